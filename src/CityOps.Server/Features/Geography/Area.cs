namespace CityOps.Server.Features.Geography;

public enum AreaLevel
{
    City = 0,
    District = 1,
    Subdistrict = 2,
    Community = 3,
    Cell = 4,
}

/// <summary>
/// One node of the administrative tree, down to the unit grid cell (单元网格). Codes follow
/// DOMAIN §2: 6-digit district, +3 subdistrict, +3 community, +3 cell serial (15 digits).
/// Geometry is WGS-84 WKB with its bounding box beside it, so both databases hold it alike.
/// </summary>
public sealed class Area
{
    public int Id { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public string? NameEn { get; set; }
    public AreaLevel Level { get; set; }
    public int? ParentId { get; set; }

    /// <summary>Denormalised ancestors so a cell answers "which district?" without a walk.</summary>
    public int? DistrictId { get; set; }
    public int? SubdistrictId { get; set; }
    public int? CommunityId { get; set; }

    /// <summary>The party responsible for this area when the routing table names none (cells).</summary>
    public int? ResponsibleUnitId { get; set; }

    public required byte[] Geometry { get; set; }
    public double MinLon { get; set; }
    public double MinLat { get; set; }
    public double MaxLon { get; set; }
    public double MaxLat { get; set; }
    public double AreaSquareMeters { get; set; }
}
