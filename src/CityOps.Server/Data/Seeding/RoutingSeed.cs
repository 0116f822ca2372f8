using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Units;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Data.Seeding;

/// <summary>
/// The demo routing table, from each category's unit type: department categories city-wide to
/// that department; enforcement categories to each district's squad; territory categories get no
/// row and fall to the subdistrict office (属地).
/// </summary>
public static class RoutingSeed
{
    public static async Task<List<RoutingRule>> BuildAsync(CityOpsDb db, IReadOnlyList<Area> areas, IReadOnlyList<Unit> units, CancellationToken ct)
    {
        var categories = await db.Categories.AsNoTracking().ToListAsync(ct);
        var departments = units.Where(u => u.Kind == UnitKind.Department && u.UnitType != null).ToDictionary(u => u.UnitType!);
        var districts = areas.Where(a => a.Level == AreaLevel.District).ToList();
        var squads = units.Where(u => u.Kind == UnitKind.EnforcementSquad).ToDictionary(u => u.AreaId!.Value);
        var rules = new List<RoutingRule>();
        foreach (var c in categories.Where(c => !c.StorefrontDuty))
        {
            if (departments.TryGetValue(c.UnitType, out var dept))
                rules.Add(new RoutingRule { CategoryId = c.Id, UnitId = dept.Id, Note = $"{c.ServiceCode} → {dept.Code}" });
            else if (c.UnitType == "Enforcement")
                rules.AddRange(districts.Select(d => new RoutingRule { AreaId = d.Id, CategoryId = c.Id, UnitId = squads[d.Id].Id, Note = $"{c.ServiceCode} in {d.Code} → squad" }));
        }
        return rules;
    }
}
