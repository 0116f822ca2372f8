namespace CityOps.Server.Features.Geography;

/// <summary>
/// Coordinate systems met in China (DOMAIN §2). GPS reports WGS-84; AMap and Tencent use GCJ-02;
/// Baidu uses BD-09; Tianditu's CGCS2000 equals WGS-84 at city scale. The platform stores WGS-84.
/// </summary>
public enum CoordinateSystem
{
    Wgs84 = 0,
    Gcj02 = 1,
    Bd09 = 2,
    Cgcs2000 = 3,
}

/// <summary>
/// Conversions between WGS-84, GCJ-02 and BD-09 using the published GCJ-02 obfuscation formulas
/// (Krasovsky ellipsoid). GCJ-02 → WGS-84 has no closed form: it is inverted iteratively to
/// better than 1e-7° (about 1 cm).
/// </summary>
public static class Coordinates
{
    private const double A = 6378245.0;
    private const double Ee = 0.00669342162296594323;
    private const double XPi = Math.PI * 3000.0 / 180.0;

    public static bool TryParse(string? text, out CoordinateSystem system)
    {
        system = CoordinateSystem.Wgs84;
        if (string.IsNullOrWhiteSpace(text)) return true;
        switch (text.Trim().Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToUpperInvariant())
        {
            case "WGS84" or "EPSG:4326" or "GPS": system = CoordinateSystem.Wgs84; return true;
            case "GCJ02" or "AMAP" or "GAODE" or "TENCENT": system = CoordinateSystem.Gcj02; return true;
            case "BD09" or "BD09LL" or "BAIDU": system = CoordinateSystem.Bd09; return true;
            case "CGCS2000" or "EPSG:4490" or "TIANDITU": system = CoordinateSystem.Cgcs2000; return true;
            default: return false;
        }
    }

    public static (double Lon, double Lat) ToWgs84(CoordinateSystem from, double lon, double lat) => from switch
    {
        CoordinateSystem.Gcj02 => Gcj02ToWgs84(lon, lat),
        CoordinateSystem.Bd09 => Gcj02ToWgs84(Bd09ToGcj02(lon, lat)),
        _ => (lon, lat),
    };

    public static (double Lon, double Lat) FromWgs84(CoordinateSystem to, double lon, double lat) => to switch
    {
        CoordinateSystem.Gcj02 => Wgs84ToGcj02(lon, lat),
        CoordinateSystem.Bd09 => Gcj02ToBd09(Wgs84ToGcj02(lon, lat)),
        _ => (lon, lat),
    };

    /// <summary>GCJ-02 applies only inside China's rough bounding box.</summary>
    public static bool OutsideChina(double lon, double lat) => lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;

    public static (double Lon, double Lat) Wgs84ToGcj02(double lon, double lat)
    {
        if (OutsideChina(lon, lat)) return (lon, lat);
        var (dLon, dLat) = Delta(lon, lat);
        return (lon + dLon, lat + dLat);
    }

    public static (double Lon, double Lat) Gcj02ToWgs84(double lon, double lat)
    {
        if (OutsideChina(lon, lat)) return (lon, lat);
        double wLon = lon, wLat = lat;
        for (var i = 0; i < 10; i++)
        {
            var (gLon, gLat) = Wgs84ToGcj02(wLon, wLat);
            var eLon = gLon - lon;
            var eLat = gLat - lat;
            wLon -= eLon;
            wLat -= eLat;
            if (Math.Abs(eLon) < 1e-9 && Math.Abs(eLat) < 1e-9) break;
        }
        return (wLon, wLat);
    }

    public static (double Lon, double Lat) Gcj02ToWgs84((double Lon, double Lat) p) => Gcj02ToWgs84(p.Lon, p.Lat);

    public static (double Lon, double Lat) Gcj02ToBd09((double Lon, double Lat) p)
    {
        var (x, y) = p;
        var z = Math.Sqrt(x * x + y * y) + 0.00002 * Math.Sin(y * XPi);
        var theta = Math.Atan2(y, x) + 0.000003 * Math.Cos(x * XPi);
        return (z * Math.Cos(theta) + 0.0065, z * Math.Sin(theta) + 0.006);
    }

    public static (double Lon, double Lat) Bd09ToGcj02(double lon, double lat)
    {
        var x = lon - 0.0065;
        var y = lat - 0.006;
        var z = Math.Sqrt(x * x + y * y) - 0.00002 * Math.Sin(y * XPi);
        var theta = Math.Atan2(y, x) - 0.000003 * Math.Cos(x * XPi);
        return (z * Math.Cos(theta), z * Math.Sin(theta));
    }

    /// <summary>Great-circle distance in metres (haversine, mean Earth radius).</summary>
    public static double DistanceMeters(double lon1, double lat1, double lon2, double lat2)
    {
        const double R = 6371008.8;
        var dLat = (lat2 - lat1) * Math.PI / 180;
        var dLon = (lon2 - lon1) * Math.PI / 180;
        var h = Math.Sin(dLat / 2) * Math.Sin(dLat / 2) +
                Math.Cos(lat1 * Math.PI / 180) * Math.Cos(lat2 * Math.PI / 180) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * R * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    private static (double DLon, double DLat) Delta(double lon, double lat)
    {
        var dLat = TransformLat(lon - 105.0, lat - 35.0);
        var dLon = TransformLon(lon - 105.0, lat - 35.0);
        var radLat = lat / 180.0 * Math.PI;
        var magic = Math.Sin(radLat);
        magic = 1 - Ee * magic * magic;
        var sqrtMagic = Math.Sqrt(magic);
        dLat = dLat * 180.0 / (A * (1 - Ee) / (magic * sqrtMagic) * Math.PI);
        dLon = dLon * 180.0 / (A / sqrtMagic * Math.Cos(radLat) * Math.PI);
        return (dLon, dLat);
    }

    private static double TransformLat(double x, double y)
    {
        var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.Sqrt(Math.Abs(x));
        r += (20.0 * Math.Sin(6.0 * x * Math.PI) + 20.0 * Math.Sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
        r += (20.0 * Math.Sin(y * Math.PI) + 40.0 * Math.Sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
        r += (160.0 * Math.Sin(y / 12.0 * Math.PI) + 320 * Math.Sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
        return r;
    }

    private static double TransformLon(double x, double y)
    {
        var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.Sqrt(Math.Abs(x));
        r += (20.0 * Math.Sin(6.0 * x * Math.PI) + 20.0 * Math.Sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
        r += (20.0 * Math.Sin(x * Math.PI) + 40.0 * Math.Sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
        r += (150.0 * Math.Sin(x / 12.0 * Math.PI) + 300.0 * Math.Sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
        return r;
    }
}
