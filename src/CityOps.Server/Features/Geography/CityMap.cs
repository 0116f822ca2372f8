using NetTopologySuite.Geometries;

namespace CityOps.Server.Features.Geography;

/// <summary>
/// Point → grid cell lookup for the whole city, built once per reference-data version. Cells are
/// bucketed on a uniform grid; each candidate is tested by bounding box, then (only for clipped
/// cells) by an even-odd ray cast over its rings. Immutable after construction, so any number of
/// threads may query it.
/// </summary>
public sealed class CityMap
{
    private readonly double _minLon, _minLat, _bucketLon, _bucketLat;
    private readonly int _cols, _rows;
    private readonly int[][] _buckets;
    private readonly double[] _env; // minLon, minLat, maxLon, maxLat per cell
    private readonly bool[] _rect;
    private readonly double[][][] _rings;

    public IReadOnlyList<int> CellIds { get; }

    public CityMap(IReadOnlyList<(int Id, Geometry Geometry)> cells)
    {
        CellIds = cells.Select(c => c.Id).ToArray();
        _env = new double[cells.Count * 4];
        _rect = new bool[cells.Count];
        _rings = new double[cells.Count][][];
        var all = new Envelope();
        double sumW = 0, sumH = 0;
        for (var i = 0; i < cells.Count; i++)
        {
            var g = cells[i].Geometry;
            var e = g.EnvelopeInternal;
            all.ExpandToInclude(e);
            (_env[i * 4], _env[i * 4 + 1], _env[i * 4 + 2], _env[i * 4 + 3]) = (e.MinX, e.MinY, e.MaxX, e.MaxY);
            _rect[i] = g is Polygon p && p.IsRectangle;
            _rings[i] = Rings(g);
            sumW += e.Width;
            sumH += e.Height;
        }
        var n = Math.Max(cells.Count, 1);
        _minLon = all.MinX;
        _minLat = all.MinY;
        _bucketLon = Math.Max(sumW / n, 1e-6);
        _bucketLat = Math.Max(sumH / n, 1e-6);
        _cols = Math.Max(1, (int)Math.Ceiling(all.Width / _bucketLon) + 1);
        _rows = Math.Max(1, (int)Math.Ceiling(all.Height / _bucketLat) + 1);
        var lists = new List<int>?[_cols * _rows];
        for (var i = 0; i < cells.Count; i++)
        {
            var (c0, r0) = Bucket(_env[i * 4], _env[i * 4 + 1]);
            var (c1, r1) = Bucket(_env[i * 4 + 2], _env[i * 4 + 3]);
            for (var r = r0; r <= r1; r++)
                for (var c = c0; c <= c1; c++)
                    (lists[r * _cols + c] ??= []).Add(i);
        }
        _buckets = lists.Select(l => l?.ToArray() ?? []).ToArray();
    }

    public int Count => CellIds.Count;

    /// <summary>The id of the cell containing the WGS-84 point, or null when it is outside every cell.</summary>
    public int? Locate(double lon, double lat)
    {
        var i = LocateIndex(lon, lat);
        return i < 0 ? null : CellIds[i];
    }

    public int LocateIndex(double lon, double lat)
    {
        if (double.IsNaN(lon) || double.IsNaN(lat)) return -1;
        var c = (int)((lon - _minLon) / _bucketLon);
        var r = (int)((lat - _minLat) / _bucketLat);
        if (lon < _minLon || lat < _minLat || c >= _cols || r >= _rows) return -1;
        foreach (var i in _buckets[r * _cols + c])
        {
            var o = i * 4;
            if (lon < _env[o] || lat < _env[o + 1] || lon > _env[o + 2] || lat > _env[o + 3]) continue;
            if (_rect[i] || Inside(_rings[i], lon, lat)) return i;
        }
        return -1;
    }

    private (int Col, int Row) Bucket(double lon, double lat) =>
        (Math.Clamp((int)((lon - _minLon) / _bucketLon), 0, _cols - 1), Math.Clamp((int)((lat - _minLat) / _bucketLat), 0, _rows - 1));

    private static bool Inside(double[][] rings, double x, double y)
    {
        var inside = false;
        foreach (var ring in rings)
        {
            for (int i = 0, j = ring.Length - 2; i < ring.Length; j = i, i += 2)
            {
                double xi = ring[i], yi = ring[i + 1], xj = ring[j], yj = ring[j + 1];
                if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
            }
        }
        return inside;
    }

    private static double[][] Rings(Geometry g)
    {
        var rings = new List<double[]>();
        for (var p = 0; p < g.NumGeometries; p++)
        {
            if (g.GetGeometryN(p) is not Polygon poly) continue;
            rings.Add(Flatten(poly.ExteriorRing));
            foreach (var hole in poly.InteriorRings) rings.Add(Flatten(hole));
        }
        return [.. rings];
    }

    private static double[] Flatten(LineString ring)
    {
        var cs = ring.Coordinates;
        var a = new double[cs.Length * 2];
        for (var i = 0; i < cs.Length; i++) (a[i * 2], a[i * 2 + 1]) = (cs[i].X, cs[i].Y);
        return a;
    }
}
