using System.Text.Json;
using NetTopologySuite;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using NetTopologySuite.IO.Converters;

namespace CityOps.Server.Features.Geography;

/// <summary>WKB storage, GeoJSON in and out, and conversion of whole geometries between coordinate systems.</summary>
public static class GeometryIo
{
    public static readonly GeometryFactory Factory =
        NtsGeometryServices.Instance.CreateGeometryFactory(new PrecisionModel(), 4326);

    public static readonly JsonSerializerOptions GeoJson = CreateGeoJsonOptions();

    public static byte[] ToWkb(Geometry g) => new WKBWriter().Write(g);

    public static Geometry FromWkb(byte[] wkb) => new WKBReader(NtsGeometryServices.Instance).Read(wkb);

    public static FeatureCollection ReadFeatures(Stream json) =>
        JsonSerializer.Deserialize<FeatureCollection>(json, GeoJson) ?? throw new InvalidDataException("Empty GeoJSON.");

    /// <summary>Returns a copy of <paramref name="g"/> converted to WGS-84.</summary>
    public static Geometry ToWgs84(Geometry g, CoordinateSystem from)
    {
        var copy = Factory.CreateGeometry(g);
        if (from is CoordinateSystem.Wgs84 or CoordinateSystem.Cgcs2000) return copy;
        copy.Apply(new ConvertFilter(from));
        copy.GeometryChanged();
        return copy;
    }

    /// <summary>Returns a copy of a WGS-84 geometry converted to <paramref name="to"/> (for GCJ-02 map tiles).</summary>
    public static Geometry FromWgs84(Geometry g, CoordinateSystem to)
    {
        var copy = Factory.CreateGeometry(g);
        copy.Apply(new ConvertFilter(to, toWgs84: false));
        copy.GeometryChanged();
        return copy;
    }

    /// <summary>Approximate area in m² at this latitude (equirectangular; fine for cells and districts).</summary>
    public static double AreaSquareMeters(Geometry g)
    {
        var lat = g.EnvelopeInternal.Centre.Y * Math.PI / 180;
        return g.Area * 111320.0 * Math.Cos(lat) * 110574.0;
    }

    public static void SetBounds(Area a, Geometry g)
    {
        var e = g.EnvelopeInternal;
        (a.MinLon, a.MinLat, a.MaxLon, a.MaxLat) = (e.MinX, e.MinY, e.MaxX, e.MaxY);
        a.AreaSquareMeters = Math.Round(AreaSquareMeters(g), 1);
        a.Geometry = ToWkb(g);
    }

    private static JsonSerializerOptions CreateGeoJsonOptions()
    {
        var o = new JsonSerializerOptions { MaxDepth = 64 };
        o.Converters.Add(new GeoJsonConverterFactory(Factory));
        return o;
    }

    private sealed class ConvertFilter(CoordinateSystem system, bool toWgs84 = true) : IEntireCoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq)
        {
            for (var i = 0; i < seq.Count; i++)
            {
                var (lon, lat) = toWgs84
                    ? Coordinates.ToWgs84(system, seq.GetX(i), seq.GetY(i))
                    : Coordinates.FromWgs84(system, seq.GetX(i), seq.GetY(i));
                seq.SetX(i, lon);
                seq.SetY(i, lat);
            }
        }
    }
}
