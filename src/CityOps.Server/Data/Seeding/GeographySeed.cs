using CityOps.Server.Features.Geography;
using NetTopologySuite.Geometries;

namespace CityOps.Server.Data.Seeding;

/// <summary>The Xiamen demo city: six real districts (GCJ-02 file → WGS-84) and a generated grid inside them.</summary>
public static class GeographySeed
{
    private static readonly Dictionary<string, string> EnglishNames = new()
    {
        ["350203"] = "Siming", ["350205"] = "Haicang", ["350206"] = "Huli",
        ["350211"] = "Jimei", ["350212"] = "Tong'an", ["350213"] = "Xiang'an",
    };

    private static readonly Lazy<IReadOnlyList<GeneratedArea>> Demo = new(Build);

    /// <summary>City, districts, subdistricts, communities and cells, parents before children. Built once per process.</summary>
    public static IReadOnlyList<GeneratedArea> DemoCity() => Demo.Value;

    private static IReadOnlyList<GeneratedArea> Build()
    {
        using var stream = EmbeddedData.Open("xiamen-districts.geojson");
        var features = GeometryIo.ReadFeatures(stream);
        var districts = features
            .Select(f => (
                Code: Convert.ToString(f.Attributes["adcode"], System.Globalization.CultureInfo.InvariantCulture)!,
                Name: (string)f.Attributes["name"],
                Geometry: GeometryIo.ToWgs84(f.Geometry, CoordinateSystem.Gcj02)))
            .Select(d => (d.Code, d.Name, NameEn: EnglishNames.GetValueOrDefault(d.Code, d.Code) + " District", Geometry: Fix(d.Geometry)))
            .OrderBy(d => d.Code, StringComparer.Ordinal)
            .ToList();

        var all = new List<GeneratedArea>();
        var city = GeometryIo.Factory.CreateMultiPolygon(districts.SelectMany(d => Polygons(d.Geometry)).ToArray());
        all.Add(new GeneratedArea("350200", "厦门市", "Xiamen", AreaLevel.City, "", city));
        all.AddRange(districts.Select(d => new GeneratedArea(d.Code, d.Name, d.NameEn, AreaLevel.District, "350200", d.Geometry)));
        var generated = DemoGridGenerator.Generate(districts.Select(d => (d.Code, d.Name, d.NameEn.Replace(" District", "", StringComparison.Ordinal), d.Geometry)).ToList());
        all.AddRange(generated.OrderBy(a => a.Level));
        return all;
    }

    private static Geometry Fix(Geometry g) => g.IsValid ? g : NetTopologySuite.Geometries.Utilities.GeometryFixer.Fix(g);

    private static IEnumerable<Polygon> Polygons(Geometry g)
    {
        for (var i = 0; i < g.NumGeometries; i++)
            if (g.GetGeometryN(i) is Polygon p) yield return p;
    }
}
