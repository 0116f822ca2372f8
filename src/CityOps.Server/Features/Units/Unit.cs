using System.Linq.Expressions;
using CityOps.Server.Data;
using CityOps.Server.Features.Geography;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Units;

public enum UnitKind
{
    /// <summary>指挥中心: intake operators, dispatchers, shift leads.</summary>
    CommandCentre = 0,
    /// <summary>处置部门: a professional department (roads, landscaping, sanitation …).</summary>
    Department = 1,
    /// <summary>执法大队: a district's city-management enforcement squad.</summary>
    EnforcementSquad = 2,
    /// <summary>属地: district bureau or subdistrict office answering for its territory.</summary>
    Territory = 3,
    /// <summary>街长: a street chief (level in <see cref="Unit.StreetChiefLevel"/>).</summary>
    StreetChief = 4,
    /// <summary>协同部门: partner bureau receiving shared data.</summary>
    PartnerBureau = 5,
    /// <summary>运营企业: e.g. a shared-bike operator.</summary>
    OperatorCompany = 6,
}

public enum StreetChiefLevel
{
    District = 1,
    Subdistrict = 2,
    Community = 3,
}

/// <summary>An organisation that receives, handles or supervises cases.</summary>
public sealed class Unit
{
    public int Id { get; set; }
    /// <summary>Stable code, also the demo login name ({code}@demo.cityops).</summary>
    public required string Code { get; set; }
    public required string NameZh { get; set; }
    public required string NameEn { get; set; }
    public UnitKind Kind { get; set; }
    /// <summary>The department type it covers (Municipal, Sanitation …) for departments.</summary>
    public string? UnitType { get; set; }
    public StreetChiefLevel? StreetChiefLevel { get; set; }
    /// <summary>The superior unit: receives supervision orders and escalations.</summary>
    public int? ParentId { get; set; }
    /// <summary>Jurisdiction: the area it answers for (null = the whole city).</summary>
    public int? AreaId { get; set; }
    /// <summary>Streets a street chief owns, one per line (names as signposted).</summary>
    public string? Streets { get; set; }
    public string? ContactPhone { get; set; }
    public bool Active { get; set; } = true;
}

/// <summary>Which units cases may be routed and dispatched to, and where they work.</summary>
public static class UnitRules
{
    /// <summary>A unit that handles cases: not the command centre, a partner bureau or an operator company.</summary>
    public static readonly Expression<Func<Unit, bool>> HandlesCases =
        u => u.Kind != UnitKind.CommandCentre && u.Kind != UnitKind.PartnerBureau && u.Kind != UnitKind.OperatorCompany;

    private static readonly Func<Unit, bool> Handling = HandlesCases.Compile();

    /// <summary>An active unit that handles cases (see <see cref="HandlesCases"/>).</summary>
    public static bool Takes(Unit unit) => unit.Active && Handling(unit);

    /// <summary>
    /// Whether a unit working in <paramref name="territory"/> (null: the whole city) works in the whole
    /// of <paramref name="areaId"/> (null: the whole city): the area is the territory or lies inside it.
    /// </summary>
    public static async Task<bool> CoversAsync(CityOpsDb db, int? territory, int? areaId, CancellationToken ct)
    {
        if (territory is not { } t || await db.Areas.AnyAsync(a => a.Id == t && a.Level == AreaLevel.City, ct)) return true;
        return areaId is { } id && await db.Areas.AnyAsync(a => a.Id == id && (a.Id == t || a.DistrictId == t || a.SubdistrictId == t || a.CommunityId == t), ct);
    }
}
