using System.Globalization;
using System.Threading.Channels;
using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using NetTopologySuite.Geometries;

namespace CityOps.Server.Features.Geography;

/// <summary>Import jobs waiting for the worker: (job id, uploaded file).</summary>
public sealed class GeoJsonImportQueue
{
    public Channel<(int JobId, string File, string CodeProperty, string NameProperty)> Jobs { get; } =
        Channel.CreateUnbounded<(int, string, string, string)>();
}

/// <summary>
/// Imports a city's real layers from GeoJSON: one level per upload, each feature's code decides
/// its parent (district 6 digits, subdistrict 9, community 12, cell 15). Features are converted
/// to WGS-84 and upserted by code. The layer is stored in one save once every feature has been
/// read, so the grid never holds half a layer: a failed import changes no area, and the reference
/// stamp moves once, so other instances reload the city once rather than at every check while it
/// runs. Progress is written to the job as it goes (not through SaveChanges), so it can be watched.
/// </summary>
public sealed class GeoJsonImportWorker(GeoJsonImportQueue queue, IServiceScopeFactory scopes, ReferenceDataCache cache, TimeProvider clock, ILogger<GeoJsonImportWorker> log)
    : BackgroundService
{
    public const long MaxUploadBytes = 200L * 1024 * 1024;

    public static async Task<Results<Accepted<ImportJob>, ValidationProblem>> SubmitAsync(
        HttpContext http, AreaLevel level, string? coordinateSystem, string? codeProperty, string? nameProperty,
        CityOpsDb db, GeoJsonImportQueue queue, TimeProvider clock, CancellationToken ct)
    {
        GeographyEndpoints.AllowLargeBody(http, MaxUploadBytes);
        var errors = new Dictionary<string, string[]>();
        if (level is AreaLevel.City || !Enum.IsDefined(level)) errors["level"] = [Messages.Get("ImportLevelInvalid")];
        if (!Coordinates.TryParse(coordinateSystem, out var cs)) errors["coordinateSystem"] = [Messages.Get("CoordinateSystemUnknown")];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var file = Path.Combine(Path.GetTempPath(), $"cityops-import-{Guid.NewGuid():N}.geojson");
        await using (var target = File.Create(file)) await http.Request.Body.CopyToAsync(target, ct);
        var job = new ImportJob { Level = level, CoordinateSystem = cs, State = ImportState.Queued, CreatedAt = clock.GetUtcNow(), SubmittedBy = CurrentUser.From(http.User).Name };
        db.ImportJobs.Add(job);
        await db.SaveChangesAsync(ct);
        await queue.Jobs.Writer.WriteAsync((job.Id, file, codeProperty ?? "code", nameProperty ?? "name"), ct);
        return TypedResults.Accepted($"/api/admin/geography/imports/{job.Id}", job);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (jobId, file, codeProperty, nameProperty) in queue.Jobs.Reader.ReadAllAsync(stoppingToken))
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
            var job = await db.ImportJobs.FirstAsync(j => j.Id == jobId, stoppingToken);
            try
            {
                await RunAsync(db, job, file, codeProperty, nameProperty, stoppingToken);
                job.State = ImportState.Succeeded;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "GeoJSON import {Job} failed", jobId);
                db.ChangeTracker.Clear();
                job = await db.ImportJobs.FirstAsync(j => j.Id == jobId, stoppingToken);
                job.State = ImportState.Failed;
                job.Error = ex is System.Text.Json.JsonException or InvalidDataException ? Messages.Get("ImportUnreadable") : ex.Message;
            }
            finally
            {
                File.Delete(file);
            }
            job.FinishedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(stoppingToken);
            cache.Invalidate();
        }
    }

    private static async Task RunAsync(CityOpsDb db, ImportJob job, string file, string codeProperty, string nameProperty, CancellationToken ct)
    {
        NetTopologySuite.Features.FeatureCollection features;
        await using (var stream = File.OpenRead(file)) features = GeometryIo.ReadFeatures(stream);
        job.State = ImportState.Running;
        job.Total = features.Count;
        await db.SaveChangesAsync(ct);

        var digits = job.Level switch { AreaLevel.District => 6, AreaLevel.Subdistrict => 9, AreaLevel.Community => 12, _ => 15 };
        var parentDigits = digits - 3;
        var problems = new List<string>();
        var seen = new Dictionary<string, Area>(StringComparer.Ordinal); // this layer's areas, saved at the end
        foreach (var f in features)
        {
            job.Processed++;
            if (job.Processed % 100 == 0)
                await db.ImportJobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Processed, job.Processed), ct);
            var code = f.Attributes?.Exists(codeProperty) == true ? Convert.ToString(f.Attributes[codeProperty], CultureInfo.InvariantCulture) : null;
            var name = f.Attributes?.Exists(nameProperty) == true ? Convert.ToString(f.Attributes[nameProperty], CultureInfo.InvariantCulture) : code;
            if (code is null || code.Length != digits || !code.All(char.IsAsciiDigit) || f.Geometry is not (Polygon or MultiPolygon))
            {
                problems.Add(Messages.Format("ImportFeatureInvalid", job.Processed, digits));
                continue;
            }
            var parentCode = job.Level == AreaLevel.District ? null : code[..parentDigits];
            var parent = parentCode is null
                ? await db.Areas.FirstOrDefaultAsync(a => a.Level == AreaLevel.City, ct)
                : await db.Areas.FirstOrDefaultAsync(a => a.Code == parentCode, ct);
            if (parentCode is not null && parent is null)
            {
                problems.Add(Messages.Format("ImportParentMissing", job.Processed, parentCode));
                continue;
            }
            var geometry = GeometryIo.ToWgs84(f.Geometry, job.CoordinateSystem);
            if (!geometry.IsValid) geometry = NetTopologySuite.Geometries.Utilities.GeometryFixer.Fix(geometry);
            var area = seen.GetValueOrDefault(code) ?? await db.Areas.FirstOrDefaultAsync(a => a.Code == code, ct);
            if (area is null)
            {
                area = new Area { Code = code, Name = name ?? code, Level = job.Level, Geometry = [] };
                db.Areas.Add(area);
                job.Created++;
            }
            else
            {
                area.Name = name ?? area.Name;
                if (!seen.ContainsKey(code)) job.Updated++; // a code repeated in the file is one area
            }
            area.ParentId = parent?.Id;
            area.DistrictId = parent?.Level == AreaLevel.District ? parent.Id : parent?.DistrictId;
            area.SubdistrictId = parent?.Level == AreaLevel.Subdistrict ? parent.Id : parent?.SubdistrictId;
            area.CommunityId = parent?.Level == AreaLevel.Community ? parent.Id : parent?.CommunityId;
            GeometryIo.SetBounds(area, geometry);
            seen[code] = area;
        }
        job.Error = problems.Count == 0 ? null : string.Join("\n", problems.Take(50)) + (problems.Count > 50 ? $"\n… (+{problems.Count - 50})" : "");
        await db.SaveChangesAsync(ct);
    }
}
