using CityOps.Server.Features.Evaluation;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Intake;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Units;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Data.Seeding;

/// <summary>
/// First-start seeding. Always: roles, the 15 channels and the GB/T 30428.2 catalogue. With
/// CityOps:City:SeedDemo (Development): the Xiamen demo city, its units, routing table, demo
/// accounts and demo channel keys. Each part runs only when its table is empty.
/// </summary>
public sealed class ReferenceDataSeeder(IOptions<CityOptions> city, UserSeed users, TimeProvider clock, ILogger<ReferenceDataSeeder> log)
{
    public async Task SeedAsync(CityOpsDb db, CancellationToken ct = default)
    {
        await users.EnsureRolesAsync(db, ct);
        if (!await db.Channels.AnyAsync(ct))
        {
            db.Channels.AddRange(ChannelSeed.All());
            await db.SaveChangesAsync(ct);
        }
        if (!await db.Categories.AnyAsync(ct))
        {
            var (majors, categories) = CategorySeed.Build(CategorySeed.Load());
            db.CategoryMajors.AddRange(majors);
            db.Categories.AddRange(categories);
            await db.SaveChangesAsync(ct);
            log.LogInformation("Seeded {Count} categories", categories.Count);
        }
        if (!await db.EvaluationSchemes.AnyAsync(ct))
        {
            // In force from the start of records; later versions take over from their own dates.
            db.EvaluationSchemes.Add(new EvaluationScheme
            {
                Name = "数字城管考评方案（GB/T 30428.4）", EffectiveFrom = new DateOnly(2000, 1, 1), CreatedAt = clock.GetUtcNow(), CreatedBy = "system",
                Definition = System.Text.Json.JsonSerializer.Serialize(SchemeRules.Default, SchemeRules.Json),
            });
            await db.SaveChangesAsync(ct);
        }
        if (city.Value.SeedDemo)
        {
            if (!await db.Areas.AnyAsync(ct)) await SeedDemoCityAsync(db, ct);
            await SeedDemoKeysAsync(db, ct);
        }
        await users.EnsureAccountsAsync(db, city.Value.SeedDemo, ct);
        db.ChangeTracker.Clear();
    }

    private async Task SeedDemoCityAsync(CityOpsDb db, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var areas = await SeedAreasAsync(db, ct);

        var units = UnitSeed.Build(areas);
        db.Units.AddRange(units);
        await db.SaveChangesAsync(ct);
        UnitSeed.LinkParents(units, areas);
        await db.SaveChangesAsync(ct);

        db.RoutingRules.AddRange(await RoutingSeed.BuildAsync(db, areas, units, ct));
        await db.SaveChangesAsync(ct);
        await users.SeedDemoAccountsAsync(db, units, areas, ct);
        await tx.CommitAsync(ct);
        log.LogInformation("Seeded the demo city: {Areas} areas, {Units} units in {Elapsed}", areas.Count, units.Count, clock.GetElapsedTime(started));
    }

    private static async Task<List<Area>> SeedAreasAsync(CityOpsDb db, CancellationToken ct)
    {
        var byCode = new Dictionary<string, Area>();
        var all = new List<Area>();
        foreach (var level in GeographySeed.DemoCity().GroupBy(a => a.Level).OrderBy(g => g.Key))
        {
            var batch = new List<Area>();
            foreach (var g in level)
            {
                var parent = byCode.GetValueOrDefault(g.ParentCode);
                var area = new Area
                {
                    Code = g.Code, Name = g.Name, NameEn = g.NameEn, Level = g.Level, ParentId = parent?.Id, Geometry = [],
                    DistrictId = g.Level == AreaLevel.District ? null : parent?.Level == AreaLevel.District ? parent.Id : parent?.DistrictId,
                    SubdistrictId = parent?.Level == AreaLevel.Subdistrict ? parent.Id : parent?.SubdistrictId,
                    CommunityId = parent?.Level == AreaLevel.Community ? parent.Id : parent?.CommunityId,
                };
                GeometryIo.SetBounds(area, g.Geometry);
                batch.Add(area);
            }
            db.Areas.AddRange(batch);
            await db.SaveChangesAsync(ct);
            foreach (var a in batch) byCode[a.Code] = a;
            all.AddRange(batch);
        }
        return all;
    }

    private static async Task SeedDemoKeysAsync(CityOpsDb db, CancellationToken ct)
    {
        var channels = await db.Channels.Where(c => c.ApiKeyHash == null).ToListAsync(ct);
        foreach (var c in channels)
        {
            var key = ChannelSeed.DemoKey(c.Code);
            c.ApiKeyHash = ApiKeys.Hash(key);
            c.ApiKeyPrefix = ApiKeys.Prefix(key);
        }
        await db.SaveChangesAsync(ct);
    }
}
