namespace CityOps.Server.Features.Routing;

/// <summary>
/// One row of the routing table: reports of <see cref="CategoryId"/> (null = any category)
/// located inside <see cref="AreaId"/> (null = the whole city; else a district, subdistrict,
/// community or single cell) go to <see cref="UnitId"/>. The most specific area wins, then a
/// specific category over "any".
/// </summary>
public sealed class RoutingRule
{
    public int Id { get; set; }
    public int? AreaId { get; set; }
    public int? CategoryId { get; set; }
    public int UnitId { get; set; }
    public string? Note { get; set; }
}
