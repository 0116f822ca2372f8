using System.Collections.Frozen;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Units;

namespace CityOps.Server.Features.Routing;

/// <summary>Where a point is and who answers for it.</summary>
public readonly record struct RouteOutcome(
    int CellId, int? CommunityId, int? SubdistrictId, int? DistrictId, int? UnitId, RoutingReason Reason, int? RuleId);

/// <summary>The reference facts one route needs, for a grid cell.</summary>
public sealed record CellFacts(int Id, string Code, int? CommunityId, int? SubdistrictId, int? DistrictId, int? ResponsibleUnitId);

/// <summary>
/// An immutable in-memory picture of the grid, the routing table and the units, rebuilt when
/// reference data changes. <see cref="Route"/> is pure: (point, category) → cell → unit, with the
/// reason, following DOMAIN §2 and the routing order: 门前三包 → community street chief; then the
/// routing table, most specific area first (cell, community, subdistrict, district, city) and a
/// category row before an any-category row; then the cell's responsible party; then the territory
/// (属地: community, subdistrict, district).
/// </summary>
public sealed class RoutingSnapshot
{
    private readonly CityMap _map;
    private readonly CellFacts[] _cells;
    private readonly FrozenDictionary<string, CellFacts> _cellsByCode;
    private readonly FrozenDictionary<(int Area, int Category), (int Unit, int Rule)> _rules;
    private readonly FrozenSet<int> _storefront;
    private readonly FrozenDictionary<int, int> _communityChief;
    private readonly FrozenDictionary<int, int> _territory;

    // Area id 0 stands for "the whole city", category id 0 for "any category".
    public RoutingSnapshot(
        IReadOnlyList<(CellFacts Cell, NetTopologySuite.Geometries.Geometry Geometry)> cells,
        IEnumerable<RoutingRule> rules,
        IEnumerable<int> storefrontCategories,
        IEnumerable<Unit> units)
    {
        _map = new CityMap(cells.Select(c => (c.Cell.Id, c.Geometry)).ToList());
        _cells = cells.Select(c => c.Cell).ToArray();
        _cellsByCode = _cells.GroupBy(c => c.Code, StringComparer.Ordinal).ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        // The unique index on (area, category) does not hold where either is NULL (NULLs are distinct), so two
        // racing inserts can leave a twin: the older rule wins rather than the whole snapshot failing to load.
        _rules = rules.GroupBy(r => (r.AreaId ?? 0, r.CategoryId ?? 0))
            .ToFrozenDictionary(g => g.Key, g => g.OrderBy(r => r.Id).Select(r => (r.UnitId, r.Id)).First());
        _storefront = storefrontCategories.ToFrozenSet();
        var active = units.Where(u => u.Active && u.AreaId is not null).ToList();
        _communityChief = active.Where(u => u.Kind == UnitKind.StreetChief && u.StreetChiefLevel == StreetChiefLevel.Community)
            .GroupBy(u => u.AreaId!.Value).ToFrozenDictionary(g => g.Key, g => g.Min(u => u.Id));
        _territory = active.Where(u => u.Kind == UnitKind.Territory)
            .GroupBy(u => u.AreaId!.Value).ToFrozenDictionary(g => g.Key, g => g.Min(u => u.Id));
    }

    public int CellCount => _cells.Length;

    public CellFacts? CellByCode(string code) => _cellsByCode.GetValueOrDefault(code);

    public CellFacts? Locate(double lon, double lat)
    {
        var i = _map.LocateIndex(lon, lat);
        return i < 0 ? null : _cells[i];
    }

    /// <summary>Routes a WGS-84 point; null when the point lies outside the city's grid.</summary>
    public RouteOutcome? Route(double lon, double lat, int categoryId)
    {
        var i = _map.LocateIndex(lon, lat);
        return i < 0 ? null : Route(_cells[i], categoryId);
    }

    public RouteOutcome Route(CellFacts cell, int categoryId)
    {
        RouteOutcome Outcome(int? unit, RoutingReason reason, int? rule = null) =>
            new(cell.Id, cell.CommunityId, cell.SubdistrictId, cell.DistrictId, unit, reason, rule);

        if (_storefront.Contains(categoryId) && cell.CommunityId is { } community && _communityChief.TryGetValue(community, out var chief))
            return Outcome(chief, RoutingReason.StorefrontStreetChief);

        Span<int> areas = [cell.Id, cell.CommunityId ?? -1, cell.SubdistrictId ?? -1, cell.DistrictId ?? -1, 0];
        foreach (var area in areas)
        {
            if (area < 0) continue;
            if (_rules.TryGetValue((area, categoryId), out var hit) || _rules.TryGetValue((area, 0), out hit))
                return Outcome(hit.Unit, RoutingReason.RoutingTable, hit.Rule);
        }

        if (cell.ResponsibleUnitId is { } responsible)
            return Outcome(responsible, RoutingReason.CellResponsible);

        foreach (var area in areas[1..4])
            if (area >= 0 && _territory.TryGetValue(area, out var territory))
                return Outcome(territory, RoutingReason.Territory);

        return Outcome(null, RoutingReason.Territory);
    }
}
