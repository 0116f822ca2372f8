using CityOps.Server.Features.Geography;

namespace CityOps.Server.Features.Cases.Pages;

/// <summary>
/// The live map's background (section CityOps:Map). With no tile source (the default) the map draws
/// the platform's own boundaries on a plain background; with one (e.g. a Tianditu or AMap URL with
/// its key) the tiles go underneath, and points are shifted to GCJ-02 when the tiles are.
/// </summary>
public sealed class MapOptions
{
    public const string Section = "CityOps:Map";

    public string? TileUrl { get; set; }
    public string? Attribution { get; set; }
    public CoordinateSystem TileCoordinateSystem { get; set; } = CoordinateSystem.Wgs84;
    /// <summary>At most this many cases on the map (newest first).</summary>
    public int MaxCases { get; set; } = 5000;
}
