using System.Globalization;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace CityOps.Server.Features.Geography;

/// <summary>One generated node of the administrative tree.</summary>
public sealed record GeneratedArea(string Code, string Name, string NameEn, AreaLevel Level, string ParentCode, Geometry Geometry);

/// <summary>
/// Generates a demo city's subdistricts, communities and unit grid cells inside real district
/// boundaries. Cells are about 500 m × 500 m on one city-wide lattice; a community is a block of
/// 4 × 4 cells and a subdistrict a block of 3 × 3 communities, each clipped to its parent, so the
/// levels nest exactly and cover every district without gaps. Serial numbers run west→east, then
/// north→south (DOMAIN §2). Pure: same districts in, same tree out.
/// </summary>
public static class DemoGridGenerator
{
    public const double CellMeters = 500;
    private const int CellsPerCommunity = 4;
    private const int CommunitiesPerSubdistrict = 3;

    public static IReadOnlyList<GeneratedArea> Generate(IReadOnlyList<(string Code, string Name, string NameEn, Geometry Geometry)> districts)
    {
        var factory = districts[0].Geometry.Factory;
        var env = new Envelope();
        foreach (var d in districts) env.ExpandToInclude(d.Geometry.EnvelopeInternal);
        var midLat = (env.MinY + env.MaxY) / 2;
        var dLon = CellMeters / (111320.0 * Math.Cos(midLat * Math.PI / 180));
        var dLat = CellMeters / 110574.0;
        var lattice = new Lattice(env.MinX, env.MaxY, dLon, dLat, factory);

        var result = new List<GeneratedArea>();
        foreach (var district in districts)
            GenerateDistrict(district, lattice, result);
        return result;
    }

    private static void GenerateDistrict((string Code, string Name, string NameEn, Geometry Geometry) district, Lattice lattice, List<GeneratedArea> result)
    {
        var subSpan = CellsPerCommunity * CommunitiesPerSubdistrict;
        var subSerial = 0;
        foreach (var (row, col) in lattice.Blocks(district.Geometry.EnvelopeInternal, subSpan))
        {
            var sub = Clip(district.Geometry, lattice.Block(row, col, subSpan));
            if (sub is null) continue;
            subSerial++;
            var subCode = district.Code + Serial(subSerial);
            var shortName = district.Name.TrimEnd('区');
            result.Add(new GeneratedArea(subCode, $"{shortName}第{subSerial}街道", $"{district.NameEn} Subdistrict {subSerial}", AreaLevel.Subdistrict, district.Code, sub));

            var communitySerial = 0;
            foreach (var (cRow, cCol) in lattice.Blocks(sub.EnvelopeInternal, CellsPerCommunity))
            {
                var community = Clip(sub, lattice.Block(cRow, cCol, CellsPerCommunity));
                if (community is null) continue;
                communitySerial++;
                var communityCode = subCode + Serial(communitySerial);
                result.Add(new GeneratedArea(communityCode, $"{shortName}第{subSerial}街道第{communitySerial}社区",
                    $"{district.NameEn} S{subSerial} Community {communitySerial}", AreaLevel.Community, subCode, community));

                var prepared = PreparedGeometryFactory.Prepare(community);
                var cellSerial = 0;
                foreach (var (r, c) in lattice.Blocks(community.EnvelopeInternal, 1))
                {
                    var square = lattice.Block(r, c, 1);
                    var cell = prepared.Contains(square) ? square : Clip(community, square);
                    if (cell is null) continue;
                    cellSerial++;
                    var cellCode = communityCode + Serial(cellSerial);
                    result.Add(new GeneratedArea(cellCode, $"单元网格{cellCode}", $"Grid cell {cellCode}", AreaLevel.Cell, communityCode, cell));
                }
            }
        }
    }

    private static string Serial(int n) => n.ToString("000", CultureInfo.InvariantCulture);

    /// <summary>The polygonal part of a ∩ b, or null when nothing of area is left.</summary>
    private static Geometry? Clip(Geometry a, Polygon b)
    {
        if (!a.EnvelopeInternal.Intersects(b.EnvelopeInternal)) return null;
        var g = a.Intersection(b);
        var polygons = new List<Polygon>();
        for (var i = 0; i < g.NumGeometries; i++)
            if (g.GetGeometryN(i) is Polygon p && p.Area > 1e-12) polygons.Add(p);
        return polygons.Count switch
        {
            0 => null,
            1 => polygons[0],
            _ => a.Factory.CreateMultiPolygon([.. polygons]),
        };
    }

    /// <summary>The city-wide lattice of cells, numbered from the north-west corner.</summary>
    private sealed class Lattice(double originLon, double originLat, double dLon, double dLat, GeometryFactory factory)
    {
        public Polygon Block(int row, int col, int span)
        {
            var x0 = originLon + col * span * dLon;
            var y1 = originLat - row * span * dLat;
            var x1 = x0 + span * dLon;
            var y0 = y1 - span * dLat;
            return factory.CreatePolygon([new(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1), new(x0, y0)]);
        }

        /// <summary>Blocks of <paramref name="span"/> cells touching the envelope, north→south then west→east.</summary>
        public IEnumerable<(int Row, int Col)> Blocks(Envelope e, int span)
        {
            var r0 = (int)Math.Floor((originLat - e.MaxY) / (span * dLat));
            var r1 = (int)Math.Floor((originLat - e.MinY) / (span * dLat));
            var c0 = (int)Math.Floor((e.MinX - originLon) / (span * dLon));
            var c1 = (int)Math.Floor((e.MaxX - originLon) / (span * dLon));
            for (var r = r0; r <= r1; r++)
                for (var c = c0; c <= c1; c++)
                    yield return (r, c);
        }
    }
}
