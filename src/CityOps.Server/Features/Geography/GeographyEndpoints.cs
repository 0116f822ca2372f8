using System.Text.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Server.Features.Units;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Geography;

/// <summary>The administrative tree and grid: browse, edit, and import a city's real layers.</summary>
public static class GeographyEndpoints
{
    public sealed record AreaDto(int Id, string Code, string Name, string? NameEn, AreaLevel Level, int? ParentId, int? ResponsibleUnitId,
        double MinLon, double MinLat, double MaxLon, double MaxLat, double AreaSquareMeters);
    public sealed record AreaInput(string Name, string? NameEn, int? ResponsibleUnitId);

    public static void AddGeography(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GeoJsonImportQueue>();
        builder.Services.AddHostedService<GeoJsonImportWorker>();
    }

    public static void MapGeography(this WebApplication app)
    {
        var g = app.MapGroup("/api/areas").WithTags("Reference data").RequireAuthorization(Policies.Staff);
        g.MapGet("/", ListAsync);
        g.MapGet("/{code}", GetAsync);
        g.MapGet("/layers/{level}", LayerAsync).WithSummary("Every area of one level (District, Subdistrict, Community, Cell) as a GeoJSON FeatureCollection simplified for display (WGS-84, or GCJ-02 with ?coordinateSystem=GCJ02)");
        g.MapGet("/{code}/geojson", GeoJsonAsync).WithSummary("The area and its children as a GeoJSON FeatureCollection (WGS-84, or GCJ-02 with ?coordinateSystem=GCJ02)");
        var admin = app.MapGroup("/api/admin/areas").WithTags("Administration").RequireAuthorization(Policies.Admin);
        admin.MapPut("/{code}", UpdateAsync);
        var imports = app.MapGroup("/api/admin/geography/imports").WithTags("Administration").RequireAuthorization(Policies.Admin);
        imports.MapPost("/", GeoJsonImportWorker.SubmitAsync).WithSummary("Upload a GeoJSON FeatureCollection of one level; returns a job to watch");
        imports.MapGet("/{id:int}", async Task<Results<Ok<ImportJob>, NotFound>> (int id, CityOpsDb db, CancellationToken ct) =>
            await db.ImportJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct) is { } job ? TypedResults.Ok(job) : TypedResults.NotFound());
    }

    private static async Task<Ok<List<AreaDto>>> ListAsync(CityOpsDb db, AreaLevel? level, string? parent, int page = 1, int pageSize = 500, CancellationToken ct = default)
    {
        var q = db.Areas.AsNoTracking();
        if (level is not null) q = q.Where(a => a.Level == level);
        if (parent is not null) q = q.Where(a => db.Areas.Any(p => p.Code == parent && p.Id == a.ParentId));
        pageSize = Math.Clamp(pageSize, 1, 5000);
        return TypedResults.Ok(await q.OrderBy(a => a.Code).Skip((Math.Clamp(page, 1, 100_000) - 1) * pageSize).Take(pageSize).Select(a => ToDto(a)).ToListAsync(ct));
    }

    private static async Task<Results<Ok<AreaDto>, NotFound>> GetAsync(string code, CityOpsDb db, CancellationToken ct) =>
        await db.Areas.AsNoTracking().Where(a => a.Code == code).Select(a => ToDto(a)).FirstOrDefaultAsync(ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(AreaLevel, CoordinateSystem), (DateTimeOffset At, string Json)> Layers = new();

    /// <summary>A map layer: simplified to about a metre or two per level, kept for five minutes (boundaries change by import only).</summary>
    private static async Task<Results<ContentHttpResult, ValidationProblem>> LayerAsync(string level, string? coordinateSystem, CityOpsDb db, TimeProvider clock, CancellationToken ct)
    {
        if (!Enum.TryParse<AreaLevel>(level, ignoreCase: true, out var l) || l == AreaLevel.City || int.TryParse(level, out _))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["level"] = [Messages.Get("LevelUnknown")] });
        if (!Coordinates.TryParse(coordinateSystem, out var cs))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["coordinateSystem"] = [Messages.Get("CoordinateSystemUnknown")] });
        var now = clock.GetUtcNow();
        if (Layers.TryGetValue((l, cs), out var kept) && now - kept.At < TimeSpan.FromMinutes(5) && Messages.IsChinese)
            return TypedResults.Content(kept.Json, "application/geo+json");
        var tolerance = l switch { AreaLevel.District => 0.0003, AreaLevel.Subdistrict => 0.0002, _ => 0.0001 };
        var features = new JsonArray();
        foreach (var a in await db.Areas.AsNoTracking().Where(a => a.Level == l).OrderBy(a => a.Code).ToListAsync(ct))
        {
            var geometry = NetTopologySuite.Simplify.TopologyPreservingSimplifier.Simplify(GeometryIo.FromWkb(a.Geometry), tolerance);
            if (cs == CoordinateSystem.Gcj02 || cs == CoordinateSystem.Bd09) geometry = GeometryIo.FromWgs84(geometry, cs);
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["properties"] = new JsonObject { ["code"] = a.Code, ["name"] = Messages.Pick(a.Name, a.NameEn), ["level"] = a.Level.ToString() },
                ["geometry"] = JsonNode.Parse(JsonSerializer.Serialize(geometry, GeometryIo.GeoJson)),
            });
        }
        var json = new JsonObject { ["type"] = "FeatureCollection", ["features"] = features }.ToJsonString();
        if (Messages.IsChinese) Layers[(l, cs)] = (now, json);
        return TypedResults.Content(json, "application/geo+json");
    }

    private static async Task<Results<ContentHttpResult, NotFound, ValidationProblem>> GeoJsonAsync(string code, string? coordinateSystem, CityOpsDb db, CancellationToken ct)
    {
        if (!Coordinates.TryParse(coordinateSystem, out var cs))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["coordinateSystem"] = [Messages.Get("CoordinateSystemUnknown")] });
        var area = await db.Areas.AsNoTracking().FirstOrDefaultAsync(a => a.Code == code, ct);
        if (area is null) return TypedResults.NotFound();
        var children = await db.Areas.AsNoTracking().Where(a => a.ParentId == area.Id).OrderBy(a => a.Code).ToListAsync(ct);
        var features = new JsonArray();
        foreach (var a in children.Prepend(area))
        {
            var geometry = GeometryIo.FromWkb(a.Geometry);
            if (cs == CoordinateSystem.Gcj02 || cs == CoordinateSystem.Bd09) geometry = GeometryIo.FromWgs84(geometry, cs);
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["properties"] = new JsonObject { ["code"] = a.Code, ["name"] = Messages.Pick(a.Name, a.NameEn), ["level"] = a.Level.ToString(), ["parent"] = a.Id == area.Id ? null : area.Code },
                ["geometry"] = JsonNode.Parse(JsonSerializer.Serialize(geometry, GeometryIo.GeoJson)),
            });
        }
        var fc = new JsonObject { ["type"] = "FeatureCollection", ["features"] = features };
        return TypedResults.Content(fc.ToJsonString(), "application/geo+json");
    }

    private static async Task<Results<Ok<AreaDto>, NotFound, ValidationProblem>> UpdateAsync(string code, AreaInput input, CityOpsDb db, ReferenceDataCache cache, CancellationToken ct)
    {
        var a = await db.Areas.FirstOrDefaultAsync(x => x.Code == code, ct);
        if (a is null) return TypedResults.NotFound();
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(input.Name) || input.Name.Length > 100) errors["name"] = [Messages.Get("NameRequired")];
        if (input.NameEn is { Length: > 100 }) errors["nameEn"] = [Messages.Format("TextTooLong", 100)];
        if (input.ResponsibleUnitId is { } responsible)
        {
            // The party a cell's cases are routed to: a unit that handles cases, working where the area lies.
            var unit = await db.Units.Where(u => u.Id == responsible).Where(UnitRules.HandlesCases).Select(u => new { u.AreaId }).FirstOrDefaultAsync(ct);
            if (unit is null) errors["responsibleUnitId"] = [Messages.Get("UnknownUnit")];
            else if (!await UnitRules.CoversAsync(db, unit.AreaId, a.Id, ct)) errors["responsibleUnitId"] = [Messages.Get("UnitAreaOutside")];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        (a.Name, a.NameEn, a.ResponsibleUnitId) = (input.Name, input.NameEn, input.ResponsibleUnitId);
        await db.SaveChangesAsync(ct);
        cache.Invalidate();
        return TypedResults.Ok(ToDto(a));
    }

    private static AreaDto ToDto(Area a) => new(a.Id, a.Code, a.Name, a.NameEn, a.Level, a.ParentId, a.ResponsibleUnitId, a.MinLon, a.MinLat, a.MaxLon, a.MaxLat, a.AreaSquareMeters);

    internal static void AllowLargeBody(HttpContext http, long bytes)
    {
        var f = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (f is { IsReadOnly: false }) f.MaxRequestBodySize = bytes;
    }
}
