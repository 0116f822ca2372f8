using System.ComponentModel.DataAnnotations;

namespace CityOps.Server.Infrastructure;

/// <summary>The city this deployment serves (section CityOps:City).</summary>
public sealed class CityOptions
{
    [Required, RegularExpression(@"^\d{6}$")]
    public string Code { get; set; } = "350200";

    public string NameZh { get; set; } = "厦门市";
    public string NameEn { get; set; } = "Xiamen";

    /// <summary>IANA zone used to show local times (Open311 datetimes, calendars).</summary>
    public string TimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>Seed the Xiamen demo city, its demo accounts and demo channel keys on first start.</summary>
    public bool SeedDemo { get; set; }

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}
