using System.Diagnostics;
using CityOps.Server.Data.Seeding;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Units;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index;
using NetTopologySuite.Index.Strtree;

namespace CityOps.Bench;

/// <summary>Rates of one measured operation over the rounds (operations per second).</summary>
public sealed record RateStats(string Name, int Rounds, int OpsPerRound, double Median, double Best, double Worst)
{
    public static RateStats From(string name, int opsPerRound, IReadOnlyList<double> seconds)
    {
        var rates = seconds.Select(s => opsPerRound / s).Order().ToArray();
        return new RateStats(name, rates.Length, opsPerRound, Stats.Median(rates), rates[^1], rates[0]);
    }
}

public sealed record RoutingResult(
    int Cells, int RectangularCells, int Communities, int Subdistricts, int Districts, int Rules, int Units,
    TimeSpan GenerateTime, TimeSpan MapBuildTime, TimeSpan SnapshotBuildTime, TimeSpan BaselineBuildTime,
    int Points, double InsideShare, long Mismatches, long RoutedWithUnit, double MachineBusy, double OtherCores, string OtherTop,
    RateStats Locate, RateStats Route, RateStats Baseline);

/// <summary>
/// Point → cell (CityMap.Locate) and point → unit (RoutingSnapshot.Route) on one thread over the
/// Xiamen demo grid, against NetTopologySuite's STRtree + IndexedPointInAreaLocator on the same cells.
/// </summary>
public static class RoutingBench
{
    private const int CategoryCount = 120;
    private static readonly int[] Storefront = [3, 41, 77];

    public static RoutingResult Run(BenchOptions options)
    {
        Log.Info("routing: generating the Xiamen demo city …");
        var sw = Stopwatch.StartNew();
        var areas = GeographySeed.DemoCity();
        var generate = sw.Elapsed;

        // Ids: cells 1..n, then communities, subdistricts, districts, the city.
        var cells = areas.Where(a => a.Level == AreaLevel.Cell).ToList();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var next = 1;
        foreach (var level in new[] { AreaLevel.Cell, AreaLevel.Community, AreaLevel.Subdistrict, AreaLevel.District, AreaLevel.City })
            foreach (var a in areas.Where(a => a.Level == level)) ids[a.Code] = next++;
        var parent = areas.ToDictionary(a => a.Code, a => a.ParentCode, StringComparer.Ordinal);
        var communities = areas.Where(a => a.Level == AreaLevel.Community).ToList();
        var subdistricts = areas.Where(a => a.Level == AreaLevel.Subdistrict).ToList();
        var districts = areas.Where(a => a.Level == AreaLevel.District).ToList();

        // Units: a territory office per district and subdistrict, a street chief per community,
        // a department per unit type, a few cell-responsible parties.
        var units = new List<Unit>();
        Unit NewUnit(string code, UnitKind kind, int? areaId, StreetChiefLevel? level = null)
        {
            var u = new Unit { Id = units.Count + 1, Code = code, NameZh = code, NameEn = code, Kind = kind, AreaId = areaId, StreetChiefLevel = level };
            units.Add(u);
            return u;
        }
        foreach (var d in districts) NewUnit("T" + d.Code, UnitKind.Territory, ids[d.Code]);
        foreach (var s in subdistricts) NewUnit("T" + s.Code, UnitKind.Territory, ids[s.Code]);
        foreach (var c in communities) NewUnit("SC" + c.Code, UnitKind.StreetChief, ids[c.Code], StreetChiefLevel.Community);
        var departments = Enumerable.Range(1, 12).Select(i => NewUnit("D" + i, UnitKind.Department, null)).ToList();
        var squads = districts.ToDictionary(d => ids[d.Code], d => NewUnit("Q" + d.Code, UnitKind.EnforcementSquad, ids[d.Code]));
        var responsible = NewUnit("R1", UnitKind.OperatorCompany, null);

        // Rules, shaped like the demo seed: most categories city-wide to a department, every 4th
        // (from 1) per district to the district's squad, every 4th (from 2) none (falls to the
        // territory), storefront categories to the community street chief.
        var rules = new List<RoutingRule>();
        for (var cat = 1; cat <= CategoryCount; cat++)
        {
            if (Storefront.Contains(cat) || cat % 4 == 2) continue;
            if (cat % 4 == 1)
                foreach (var (districtId, squad) in squads) rules.Add(new RoutingRule { Id = rules.Count + 1, AreaId = districtId, CategoryId = cat, UnitId = squad.Id });
            else
                rules.Add(new RoutingRule { Id = rules.Count + 1, AreaId = null, CategoryId = cat, UnitId = departments[cat % departments.Count].Id });
        }

        var facts = new List<(CellFacts Cell, Geometry Geometry)>(cells.Count);
        var rect = 0;
        for (var i = 0; i < cells.Count; i++)
        {
            var c = cells[i];
            var community = parent[c.Code];
            var subdistrict = parent[community];
            var district = parent[subdistrict];
            if (c.Geometry is Polygon p && p.IsRectangle) rect++;
            facts.Add((new CellFacts(ids[c.Code], c.Code, ids[community], ids[subdistrict], ids[district], i % 50 == 0 ? responsible.Id : null), c.Geometry));
        }

        sw.Restart();
        var map = new CityMap(facts.Select(f => (f.Cell.Id, f.Geometry)).ToList());
        var mapBuild = sw.Elapsed;
        sw.Restart();
        var snapshot = new RoutingSnapshot(facts, rules, Storefront, units);
        var snapshotBuild = sw.Elapsed;
        sw.Restart();
        var baseline = new StrTreeLocator(facts.Select(f => (f.Cell.Id, f.Geometry)).ToList());
        var baselineBuild = sw.Elapsed;
        Log.Info($"routing: {cells.Count} cells ({rect} unclipped rectangles), {communities.Count} communities, {subdistricts.Count} subdistricts, {districts.Count} districts; generated in {generate.TotalSeconds:0.0} s");

        // Points: 90 % inside a random cell's bounding box (clipped cells make some of those
        // outside), 10 % anywhere in the city's bounding box (mostly sea or outside).
        var n = options.Points;
        var lon = new double[n];
        var lat = new double[n];
        var category = new int[n];
        var rng = new Random(20261125);
        var city = new Envelope();
        foreach (var f in facts) city.ExpandToInclude(f.Geometry.EnvelopeInternal);
        for (var i = 0; i < n; i++)
        {
            Envelope e = rng.Next(10) == 0 ? city : facts[rng.Next(facts.Count)].Geometry.EnvelopeInternal;
            lon[i] = e.MinX + rng.NextDouble() * e.Width;
            lat[i] = e.MinY + rng.NextDouble() * e.Height;
            category[i] = 1 + rng.Next(CategoryCount);
        }

        // Agreement with the baseline (outside the timed loops).
        long inside = 0, mismatches = 0, withUnit = 0;
        for (var i = 0; i < n; i++)
        {
            var a = map.Locate(lon[i], lat[i]);
            var b = baseline.Locate(lon[i], lat[i]);
            if (a is not null) inside++;
            if (a != b) mismatches++;
            if (snapshot.Route(lon[i], lat[i], category[i]) is { UnitId: not null }) withUnit++;
        }
        Log.Info($"routing: {n} points, {100.0 * inside / n:0.0}% inside a cell, {mismatches} disagreements with the NTS baseline");

        long sink = 0;
        double TimeLocate()
        {
            var t = Stopwatch.GetTimestamp();
            long s = 0;
            for (var i = 0; i < n; i++) s += map.Locate(lon[i], lat[i]) ?? -1;
            var el = Stopwatch.GetElapsedTime(t).TotalSeconds;
            sink += s;
            return el;
        }
        double TimeRoute()
        {
            var t = Stopwatch.GetTimestamp();
            long s = 0;
            for (var i = 0; i < n; i++)
            {
                var r = snapshot.Route(lon[i], lat[i], category[i]);
                s += r is { } o ? o.UnitId ?? 0 : -1;
            }
            var el = Stopwatch.GetElapsedTime(t).TotalSeconds;
            sink += s;
            return el;
        }
        double TimeBaseline()
        {
            var t = Stopwatch.GetTimestamp();
            long s = 0;
            for (var i = 0; i < n; i++) s += baseline.Locate(lon[i], lat[i]) ?? -1;
            var el = Stopwatch.GetElapsedTime(t).TotalSeconds;
            sink += s;
            return el;
        }

        ProcCpu.WaitQuietAsync(0.25, options.QuietWaitSeconds).GetAwaiter().GetResult();
        var cpu0 = CpuSample.Take();
        var tracker = ProcTracker.StartAll();
        var measureStart = Stopwatch.GetTimestamp();
        Log.Info("routing: warming up …");
        for (var w = 0; w < 3; w++) { TimeLocate(); TimeRoute(); TimeBaseline(); }
        GC.Collect();
        GC.WaitForPendingFinalizers();

        var locateTimes = new List<double>();
        var routeTimes = new List<double>();
        var baselineTimes = new List<double>();
        var gen0 = GC.CollectionCount(0);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var r = 0; r < options.Rounds; r++)
        {
            // Interleaved, so machine noise hits all three alike.
            locateTimes.Add(TimeLocate());
            routeTimes.Add(TimeRoute());
            baselineTimes.Add(TimeBaseline());
            Log.Info($"routing: round {r + 1}/{options.Rounds}: Locate {n / locateTimes[^1] / 1e6:0.00} M/s, Route {n / routeTimes[^1] / 1e6:0.00} M/s, STRtree {n / baselineTimes[^1] / 1e6:0.00} M/s");
        }
        var busy = CpuSample.BusyShare(cpu0, CpuSample.Take());
        var measureSeconds = Stopwatch.GetElapsedTime(measureStart).TotalSeconds;
        var others = tracker.StopByPidAsync().GetAwaiter().GetResult()
            .Where(p => p.Pid != Environment.ProcessId && !p.Comm.StartsWith("[k]", StringComparison.Ordinal))
            .GroupBy(p => p.Comm, StringComparer.Ordinal).Select(g => (Comm: g.Key, Cores: g.Sum(p => p.Seconds) / measureSeconds))
            .OrderByDescending(x => x.Cores).ToList();
        var otherCores = others.Sum(x => x.Cores);
        var otherTop = string.Join(", ", others.Where(x => x.Cores >= 0.02).Take(4).Select(x => $"{x.Comm} {x.Cores:0.00}"));
        Log.Info($"routing: machine {busy:P0} busy while measuring (one of {Environment.ProcessorCount} cores = {1.0 / Environment.ProcessorCount:P0}); other processes {otherCores:0.00} cores {otherTop}");
        Log.Info($"routing: checksum {sink}; {GC.CollectionCount(0) - gen0} gen-0 GCs and {(GC.GetAllocatedBytesForCurrentThread() - allocated) / 1024.0 / 1024.0:0.0} MiB allocated while measuring (the baseline allocates per query)");

        return new RoutingResult(cells.Count, rect, communities.Count, subdistricts.Count, districts.Count, rules.Count, units.Count,
            generate, mapBuild, snapshotBuild, baselineBuild, n, (double)inside / n, mismatches, withUnit, busy, otherCores, otherTop,
            RateStats.From("CityMap.Locate", n, locateTimes),
            RateStats.From("RoutingSnapshot.Route", n, routeTimes),
            RateStats.From("NTS STRtree + IndexedPointInAreaLocator", n, baselineTimes));
    }

    /// <summary>
    /// The usual NetTopologySuite way: an STRtree over cell envelopes, then an indexed
    /// point-in-area test of each candidate. Query objects are reused to keep it fair.
    /// </summary>
    private sealed class StrTreeLocator
    {
        private readonly STRtree<int> _tree = new();
        private readonly IndexedPointInAreaLocator[] _locators;
        private readonly int[] _ids;
        private readonly Envelope _query = new();
        private readonly Coordinate _point = new();
        private readonly FirstHit _visitor;

        public StrTreeLocator(IReadOnlyList<(int Id, Geometry Geometry)> cells)
        {
            _ids = cells.Select(c => c.Id).ToArray();
            _locators = cells.Select(c => new IndexedPointInAreaLocator(c.Geometry)).ToArray();
            for (var i = 0; i < cells.Count; i++) _tree.Insert(cells[i].Geometry.EnvelopeInternal, i);
            _tree.Build();
            // IndexedPointInAreaLocator builds its interval index lazily; build them all now.
            foreach (var l in _locators) l.Locate(new Coordinate(0, 0));
            _visitor = new FirstHit(this);
        }

        public int? Locate(double lon, double lat)
        {
            _point.X = lon;
            _point.Y = lat;
            _query.Init(lon, lon, lat, lat);
            _visitor.Hit = -1;
            _tree.Query(_query, _visitor);
            return _visitor.Hit < 0 ? null : _ids[_visitor.Hit];
        }

        private sealed class FirstHit(StrTreeLocator owner) : IItemVisitor<int>
        {
            public int Hit = -1;

            public void VisitItem(int item)
            {
                if (Hit < 0 && owner._locators[item].Locate(owner._point) != Location.Exterior) Hit = item;
            }
        }
    }
}
