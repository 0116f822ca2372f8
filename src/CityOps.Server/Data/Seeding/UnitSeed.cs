using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Units;

namespace CityOps.Server.Data.Seeding;

/// <summary>
/// The demo city's organisation: the command centre, city departments (one per unit type of the
/// catalogue), per district a city-management bureau (territory), an enforcement squad and a
/// district street chief; per subdistrict an office (territory) and a street chief; per community
/// a community street chief.
/// </summary>
public static class UnitSeed
{
    public static readonly (string Type, string Code, string Zh, string En)[] Departments =
    [
        ("Municipal", "city-municipal", "市市政园林局市政处", "Municipal Roads Division"),
        ("Landscaping", "city-landscaping", "市市政园林局园林处", "Landscaping Division"),
        ("Sanitation", "city-sanitation", "市环境卫生中心", "City Sanitation Centre"),
        ("Water", "city-water", "市水利局", "Water Resources Bureau"),
        ("TrafficPolice", "city-traffic-police", "市公安局交通警察支队", "Traffic Police Detachment"),
        ("Transport", "city-transport", "市交通运输局", "Transport Bureau"),
        ("Ecology", "city-ecology", "市生态环境局", "Ecology and Environment Bureau"),
        ("Construction", "city-construction", "市建设局", "Construction Bureau"),
        ("Planning", "city-planning", "市自然资源和规划局", "Natural Resources and Planning Bureau"),
        ("Marine", "city-marine", "市海洋发展局", "Marine Development Bureau"),
        ("Utilities", "city-utilities", "市政公用企业（水电气讯）", "Public Utility Companies"),
    ];

    public static List<Unit> Build(IReadOnlyList<Area> areas)
    {
        var units = new List<Unit>
        {
            new() { Code = "centre", NameZh = "市城市管理指挥中心", NameEn = "City Management Command Centre", Kind = UnitKind.CommandCentre },
        };
        units.AddRange(Departments.Select(d => new Unit { Code = d.Code, NameZh = d.Zh, NameEn = d.En, Kind = UnitKind.Department, UnitType = d.Type }));
        units.Add(new Unit { Code = "partner-transport", NameZh = "市交通运输局（数据共享）", NameEn = "Transport Bureau (data sharing)", Kind = UnitKind.PartnerBureau });
        units.Add(new Unit { Code = "partner-planning", NameZh = "市自然资源和规划局（数据共享）", NameEn = "Planning Bureau (data sharing)", Kind = UnitKind.PartnerBureau });
        units.Add(new Unit { Code = "partner-police", NameZh = "市公安局（数据共享）", NameEn = "Public Security Bureau (data sharing)", Kind = UnitKind.PartnerBureau });
        units.Add(new Unit { Code = "company-hellobike", NameZh = "哈啰出行", NameEn = "Hello Bike", Kind = UnitKind.OperatorCompany });
        units.Add(new Unit { Code = "company-meituan", NameZh = "美团单车", NameEn = "Meituan Bike", Kind = UnitKind.OperatorCompany });
        units.Add(new Unit { Code = "company-qingju", NameZh = "青桔单车", NameEn = "Qingju Bike", Kind = UnitKind.OperatorCompany });

        foreach (var d in areas.Where(a => a.Level == AreaLevel.District))
        {
            var en = d.NameEn ?? d.Code;
            units.Add(new Unit { Code = $"d{d.Code}-bureau", NameZh = $"{d.Name}城市管理局", NameEn = $"{en} City Management Bureau", Kind = UnitKind.Territory, AreaId = d.Id });
            units.Add(new Unit { Code = $"d{d.Code}-squad", NameZh = $"{d.Name}城市管理行政执法大队", NameEn = $"{en} Enforcement Squad", Kind = UnitKind.EnforcementSquad, AreaId = d.Id });
            units.Add(new Unit { Code = $"d{d.Code}-chief", NameZh = $"{d.Name}区级街长", NameEn = $"{en} district street chief", Kind = UnitKind.StreetChief, StreetChiefLevel = StreetChiefLevel.District, AreaId = d.Id });
        }
        foreach (var s in areas.Where(a => a.Level == AreaLevel.Subdistrict))
        {
            units.Add(new Unit { Code = $"s{s.Code}-office", NameZh = $"{s.Name}办事处", NameEn = $"{s.NameEn} Office", Kind = UnitKind.Territory, AreaId = s.Id });
            units.Add(new Unit { Code = $"s{s.Code}-chief", NameZh = $"{s.Name}街道级街长", NameEn = $"{s.NameEn} street chief", Kind = UnitKind.StreetChief, StreetChiefLevel = StreetChiefLevel.Subdistrict, AreaId = s.Id });
        }
        foreach (var c in areas.Where(a => a.Level == AreaLevel.Community))
        {
            units.Add(new Unit
            {
                Code = $"c{c.Code}-chief", NameZh = $"{c.Name}社区级街长", NameEn = $"{c.NameEn} street chief",
                Kind = UnitKind.StreetChief, StreetChiefLevel = StreetChiefLevel.Community, AreaId = c.Id,
                Streets = $"{c.Name}主街\n{c.Name}商业街",
            });
        }
        return units;
    }

    /// <summary>Superiors: squads and offices answer to the district bureau; chiefs to the chief above.</summary>
    public static void LinkParents(IReadOnlyList<Unit> units, IReadOnlyList<Area> areas)
    {
        var byCode = units.ToDictionary(u => u.Code);
        var areaById = areas.ToDictionary(a => a.Id);
        foreach (var u in units.Where(u => u.AreaId is not null))
        {
            var area = areaById[u.AreaId!.Value];
            var districtCode = area.Level == AreaLevel.District ? area.Code : areaById[area.DistrictId!.Value].Code;
            u.ParentId = u.Kind switch
            {
                UnitKind.EnforcementSquad => byCode[$"d{districtCode}-bureau"].Id,
                UnitKind.Territory when area.Level == AreaLevel.Subdistrict => byCode[$"d{districtCode}-bureau"].Id,
                UnitKind.StreetChief when area.Level == AreaLevel.Subdistrict => byCode[$"d{districtCode}-chief"].Id,
                UnitKind.StreetChief when area.Level == AreaLevel.Community => byCode[$"s{areaById[area.SubdistrictId!.Value].Code}-chief"].Id,
                UnitKind.StreetChief or UnitKind.Territory => byCode[$"d{districtCode}-bureau"].Id == u.Id ? null : byCode[$"d{districtCode}-bureau"].Id,
                _ => u.ParentId,
            };
        }
    }
}
