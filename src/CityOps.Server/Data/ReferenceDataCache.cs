using System.Collections.Frozen;
using CityOps.Server.Features.Categories;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Intake;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Units;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Data;

/// <summary>
/// Reference data every request needs (grid and routing table, catalogue, channels, unit and
/// area names), read once and shared. Immutable; a new one replaces it after an edit.
/// </summary>
public sealed class ReferenceData
{
    public required RoutingSnapshot Routing { get; init; }
    public required FrozenDictionary<string, Category> CategoriesByCode { get; init; }
    public required FrozenDictionary<int, Category> Categories { get; init; }
    public required FrozenDictionary<int, CategoryMajor> Majors { get; init; }
    public required FrozenDictionary<int, Channel> Channels { get; init; }
    public required FrozenDictionary<string, Channel> ChannelsByCode { get; init; }
    public required FrozenDictionary<string, Channel> ChannelsByKeyHash { get; init; }
    public required FrozenDictionary<int, Unit> Units { get; init; }
    /// <summary>Districts, subdistricts and communities (not cells): id → (code, name).</summary>
    public required FrozenDictionary<int, (string Code, string Name, string? NameEn)> Areas { get; init; }
    /// <summary>The city-level areas (the whole city), among <see cref="Areas"/>.</summary>
    public required FrozenSet<int> Cities { get; init; }

    private FrozenDictionary<int, int[]>? _below;

    /// <summary>Every unit under <paramref name="unitId"/> in the unit tree (children, their children …), not the unit itself.</summary>
    public int[] Below(int unitId)
    {
        _below ??= BuildBelow();
        return _below.GetValueOrDefault(unitId, []);
    }

    private FrozenDictionary<int, int[]> BuildBelow()
    {
        var children = Units.Values.Where(u => u.ParentId is not null).ToLookup(u => u.ParentId!.Value, u => u.Id);
        var below = new Dictionary<int, int[]>();
        foreach (var id in Units.Keys)
        {
            var found = new List<int>();
            var queue = new Queue<int>(children[id]);
            var seen = new HashSet<int> { id };
            while (queue.TryDequeue(out var next))
            {
                if (!seen.Add(next)) continue; // a cycle an edit left in the tree ends here
                found.Add(next);
                foreach (var child in children[next]) queue.Enqueue(child);
            }
            if (found.Count > 0) below[id] = [.. found];
        }
        return below.ToFrozenDictionary();
    }
}

/// <summary>
/// Holds the current <see cref="ReferenceData"/>. Admin edits on this instance invalidate it at
/// once. Edits made on another instance change the <see cref="ReferenceStamp"/>, which this one
/// reads every <see cref="CheckInterval"/>; it reloads only when the stamp moved, or after
/// <see cref="MaxAge"/> in case a table was edited outside the application.
/// </summary>
public sealed class ReferenceDataCache(IServiceScopeFactory scopes, TimeProvider clock, ILogger<ReferenceDataCache> log)
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(10);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Entry? _current;

    /// <param name="Stamp">The stamp read before the data, so an edit during the load is seen at the next check.</param>
    private sealed record Entry(ReferenceData Data, long Stamp, long LoadedAt, long CheckedAt);

    private int _generation;

    /// <summary>Forgets the data; a load that began before this call is not kept.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        Volatile.Write(ref _current, null);
    }

    /// <summary>
    /// The current data. After an edit here it is reloaded before answering; otherwise the data held
    /// keeps serving while one check (and, if the stamp moved, one reload) runs in the background,
    /// so no request waits for it.
    /// </summary>
    public async ValueTask<ReferenceData> GetAsync(CancellationToken ct = default)
    {
        var e = Volatile.Read(ref _current);
        if (e is not null)
        {
            if (clock.GetElapsedTime(e.CheckedAt) >= CheckInterval && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
                _ = RefreshAsync(e);
            return e.Data;
        }
        await _gate.WaitAsync(ct);
        try
        {
            if (Volatile.Read(ref _current) is { } loaded) return loaded.Data;
            var generation = Volatile.Read(ref _generation);
            var entry = await LoadEntryAsync(CancellationToken.None);
            // An edit committed during the load may be missing from it: serve it once, keep it only if no edit came.
            if (generation == Volatile.Read(ref _generation)) Interlocked.CompareExchange(ref _current, entry, null);
            return entry.Data;
        }
        finally
        {
            _gate.Release();
        }
    }

    private int _refreshing;
    private bool _failing; // written only by the one refresh running

    private async Task RefreshAsync(Entry seen)
    {
        try
        {
            var generation = Volatile.Read(ref _generation);
            Entry fresh;
            if (clock.GetElapsedTime(seen.LoadedAt) < MaxAge && await ReadStampAsync() == seen.Stamp)
                fresh = seen with { CheckedAt = clock.GetTimestamp() };
            else
                fresh = await LoadEntryAsync(CancellationToken.None);
            if (generation == Volatile.Read(ref _generation))
                Interlocked.CompareExchange(ref _current, fresh, seen); // an Invalidate meanwhile wins
            if (_failing)
            {
                _failing = false;
                log.LogInformation("Reference data refresh works again");
            }
        }
        catch (Exception ex)
        {
            // Tried again at the next check, not at the next request. While the database stays
            // out of reach, one error is logged, not one every few seconds.
            Interlocked.CompareExchange(ref _current, seen with { CheckedAt = clock.GetTimestamp() }, seen);
            if (_failing) log.LogDebug(ex, "Reference data refresh failed again; serving the previous data");
            else log.LogError(ex, "Reference data refresh failed; serving the previous data until it works again");
            _failing = true;
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private async Task<long> ReadStampAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        return await ReferenceStamp.ReadAsync(scope.ServiceProvider.GetRequiredService<CityOpsDb>(), CancellationToken.None);
    }

    private async Task<Entry> LoadEntryAsync(CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        var stamp = await ReferenceStamp.ReadAsync(db, ct);
        var data = await LoadAsync(db, ct);
        log.LogInformation("Reference data loaded: {Cells} cells in {Elapsed}", data.Routing.CellCount, clock.GetElapsedTime(started));
        var now = clock.GetTimestamp();
        return new Entry(data, stamp, now, now);
    }

    public static async Task<ReferenceData> LoadAsync(CityOpsDb db, CancellationToken ct)
    {
        var cells = await db.Areas.AsNoTracking().Where(a => a.Level == AreaLevel.Cell)
            .Select(a => new { a.Id, a.Code, a.CommunityId, a.SubdistrictId, a.DistrictId, a.ResponsibleUnitId, a.Geometry })
            .ToListAsync(ct);
        var areas = await db.Areas.AsNoTracking().Where(a => a.Level != AreaLevel.Cell)
            .Select(a => new { a.Id, a.Code, a.Name, a.NameEn, a.Level }).ToListAsync(ct);
        var rules = await db.RoutingRules.AsNoTracking().ToListAsync(ct);
        var categories = await db.Categories.AsNoTracking().Include(c => c.Conditions).ToListAsync(ct);
        var majors = await db.CategoryMajors.AsNoTracking().ToListAsync(ct);
        var channels = await db.Channels.AsNoTracking().ToListAsync(ct);
        var units = await db.Units.AsNoTracking().ToListAsync(ct);
        var routing = new RoutingSnapshot(
            cells.Select(c => (new CellFacts(c.Id, c.Code, c.CommunityId, c.SubdistrictId, c.DistrictId, c.ResponsibleUnitId), GeometryIo.FromWkb(c.Geometry))).ToList(),
            rules, categories.Where(c => c.StorefrontDuty).Select(c => c.Id), units);
        foreach (var c in categories) c.Conditions.Sort((a, b) => string.CompareOrdinal(a.Code, b.Code));
        return new ReferenceData
        {
            Routing = routing,
            CategoriesByCode = categories.ToFrozenDictionary(c => c.ServiceCode, StringComparer.OrdinalIgnoreCase),
            Categories = categories.ToFrozenDictionary(c => c.Id),
            Majors = majors.ToFrozenDictionary(m => m.Id),
            Channels = channels.ToFrozenDictionary(c => c.Id),
            ChannelsByCode = channels.ToFrozenDictionary(c => c.Code, StringComparer.OrdinalIgnoreCase),
            ChannelsByKeyHash = channels.Where(c => c.ApiKeyHash != null && c.Active).ToFrozenDictionary(c => c.ApiKeyHash!),
            Units = units.ToFrozenDictionary(u => u.Id),
            Areas = areas.ToFrozenDictionary(a => a.Id, a => (a.Code, a.Name, a.NameEn)),
            Cities = areas.Where(a => a.Level == AreaLevel.City).Select(a => a.Id).ToFrozenSet(),
        };
    }
}
