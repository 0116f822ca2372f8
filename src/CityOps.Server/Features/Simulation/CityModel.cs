using CityOps.Server.Features.Categories;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace CityOps.Server.Features.Simulation;

/// <summary>A grid cell as the platform publishes it (WGS-84); codes follow the 15-digit grid convention.</summary>
public sealed record SimCell(string Code, Geometry Geometry)
{
    public string District => Code.Length >= 6 ? Code[..6] : Code;
}

public sealed record SimCondition(string Code, int TimeLimit, TimeLimitUnit Unit);

public sealed record SimCategory(string ServiceCode, string NameZh, IReadOnlyList<SimCondition> Conditions);

/// <summary>Where a report is made: a WGS-84 point strictly inside a cell, and the hot spot it came from, if any.</summary>
public sealed record ReportPlace(double Lon, double Lat, SimCell Cell, HotSpot? HotSpot);

/// <summary>
/// What the simulator knows of the city (read from the platform's public APIs) and how it draws
/// places, categories and conditions from <see cref="TrafficFigures"/>. Pure given its inputs.
/// </summary>
public sealed class CityModel
{
    private const double EdgeDegrees = 0.00005; // about 5 m: points keep clear of cell edges, so a round trip through GCJ-02 stays in the cell
    private readonly STRtree<SimCell> _index = new();
    private readonly (string District, SimCell[] Cells, double[] CumulativeArea, double Weight)[] _districts;
    private readonly double _districtTotal;
    private readonly HotSpot[] _hotSpots;
    private readonly double _hotTotal;
    private readonly (SimCategory Category, double Weight)[] _general;
    private readonly Dictionary<string, (SimCategory Category, double Weight)[]> _byChannel = new(StringComparer.Ordinal);

    public CityModel(IReadOnlyList<SimCell> cells, IReadOnlyList<SimCategory> categories)
    {
        if (cells.Count == 0) throw new ArgumentException("The city has no grid cells.", nameof(cells));
        var usable = categories.Where(c => c.Conditions.Count > 0).ToList();
        if (usable.Count == 0) throw new ArgumentException("The catalogue has no category with a registration condition.", nameof(categories));
        Cells = cells;
        Categories = usable;
        foreach (var c in cells) _index.Insert(c.Geometry.EnvelopeInternal, c);
        _index.Build();
        var meanPopulation = TrafficFigures.Districts.Values.Average();
        _districts = cells.GroupBy(c => c.District, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.ToArray(), Cumulative(g.Select(c => c.Geometry.Area)), TrafficFigures.Districts.GetValueOrDefault(g.Key, meanPopulation))).ToArray();
        _districtTotal = _districts.Sum(d => d.Weight);
        _hotSpots = TrafficFigures.HotSpots.Where(h => _districts.Any(d => d.District == h.District)).ToArray();
        _hotTotal = _hotSpots.Sum(h => h.Weight);
        var byCode = usable.ToDictionary(c => c.ServiceCode, StringComparer.OrdinalIgnoreCase);
        _general = usable.Select(c => (c, TrafficFigures.Categories.GetValueOrDefault(c.ServiceCode, 1.0))).ToArray();
        foreach (var (channel, weights) in TrafficFigures.ChannelCategories)
        {
            var pool = weights.Where(w => byCode.ContainsKey(w.Key)).Select(w => (byCode[w.Key], w.Value)).ToArray();
            if (pool.Length > 0) _byChannel[channel] = pool;
        }
    }

    public IReadOnlyList<SimCell> Cells { get; }

    public IReadOnlyList<SimCategory> Categories { get; }

    public IReadOnlyList<string> Districts => _districts.Select(d => d.District).ToList();

    /// <summary>A hot spot (<see cref="TrafficFigures.HotSpotShare"/> of reports) or a cell of a district weighted by population.</summary>
    public ReportPlace PickPlace(Random random)
    {
        if (_hotSpots.Length > 0 && random.NextDouble() < TrafficFigures.HotSpotShare)
        {
            var spot = Pick(_hotSpots, h => h.Weight, _hotTotal, random);
            for (var attempt = 0; attempt < 20; attempt++)
            {
                var (dx, dy) = Gaussian(random);
                var lat = spot.Lat + dy * spot.SigmaMeters / 110574.0;
                var lon = spot.Lon + dx * spot.SigmaMeters / (111320.0 * Math.Cos(spot.Lat * Math.PI / 180));
                if (CellAt(lon, lat) is { } cell && cell.District == spot.District) return new ReportPlace(lon, lat, cell, spot);
            }
        }
        var district = Pick(_districts, d => d.Weight, _districtTotal, random);
        for (var attempt = 0; ; attempt++)
        {
            // A cell by its area, so the spread is even over the ground (slivers cut by the coast weigh little).
            var at = Array.BinarySearch(district.CumulativeArea, random.NextDouble() * district.CumulativeArea[^1]);
            var cell = district.Cells[Math.Min(at < 0 ? ~at : at, district.Cells.Length - 1)];
            if (PointIn(cell, random) is { } place) return place;
            if (attempt == 1000) throw new InvalidOperationException($"District {district.District} has no cell wide enough for a point.");
        }
    }

    private static double[] Cumulative(IEnumerable<double> values)
    {
        var sum = 0.0;
        return values.Select(v => sum += v).ToArray();
    }

    /// <summary>The cell holding a WGS-84 point clear of its edges, or null.</summary>
    public SimCell? CellAt(double lon, double lat)
    {
        var p = Factory.CreatePoint(new Coordinate(lon, lat));
        foreach (var c in _index.Query(p.EnvelopeInternal))
            if (c.Geometry.Contains(p) && c.Geometry.Boundary.Distance(p) > EdgeDegrees) return c;
        return null;
    }

    /// <summary>A category as this channel sees them: its own pool (cameras, sensors, storefront duty) or the whole catalogue by weight.</summary>
    public SimCategory PickCategory(string channel, Random random)
    {
        var pool = _byChannel.GetValueOrDefault(channel) ?? _general;
        return Pick(pool, p => p.Weight, pool.Sum(p => p.Weight), random).Category;
    }

    /// <summary>The registration condition the operator finds: the first (usually the urgent one) for one case in five, else one of the others.</summary>
    public static SimCondition PickCondition(SimCategory category, Random random)
    {
        var list = category.Conditions;
        if (list.Count == 1 || random.NextDouble() < 0.2) return list[0];
        return list[1 + random.Next(list.Count - 1)];
    }

    private static readonly GeometryFactory Factory = Geography.GeometryIo.Factory;

    /// <summary>A point clear of the cell's edges, or null for a sliver too thin to hold one.</summary>
    private static ReportPlace? PointIn(SimCell cell, Random random)
    {
        var e = cell.Geometry.EnvelopeInternal;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var p = Factory.CreatePoint(new Coordinate(e.MinX + random.NextDouble() * e.Width, e.MinY + random.NextDouble() * e.Height));
            if (cell.Geometry.Contains(p) && cell.Geometry.Boundary.Distance(p) > EdgeDegrees) return new ReportPlace(p.X, p.Y, cell, null);
        }
        return null;
    }

    private static (double X, double Y) Gaussian(Random random)
    {
        var r = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
        var a = 2 * Math.PI * random.NextDouble();
        return (r * Math.Cos(a), r * Math.Sin(a));
    }

    private static T Pick<T>(IReadOnlyList<T> items, Func<T, double> weight, double total, Random random)
    {
        var u = random.NextDouble() * total;
        foreach (var item in items)
        {
            u -= weight(item);
            if (u < 0) return item;
        }
        return items[^1];
    }
}
