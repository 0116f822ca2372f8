using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>The business calendar for time limits (section CityOps:Calendar, DOMAIN §5).</summary>
public sealed class CalendarOptions
{
    public const string Section = "CityOps:Calendar";

    public static readonly IReadOnlyList<string> DefaultOfficeHours = ["08:30-12:00", "14:30-18:00"];

    /// <summary>
    /// Office periods of a working day, "HH:mm-HH:mm" in local time; null or empty means
    /// <see cref="DefaultOfficeHours"/>. The default is not put in the list itself because the
    /// configuration binder appends configured items to an existing list instead of replacing it.
    /// </summary>
    public List<string>? OfficeHours { get; set; }

    /// <summary>Time zone of the office hours and of the holiday dates.</summary>
    public string TimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>
    /// Optional folder of holiday files in the holiday-cn format (*.json); a file there for a year
    /// replaces the embedded data of that year, so a newly published year needs no release.
    /// </summary>
    public string? HolidaysFolder { get; set; }

    /// <summary>Share of a limit after which a running clock turns yellow; at 100 % it is red.</summary>
    public double WarningShare { get; set; } = 0.8;

    public IReadOnlyList<string> EffectiveOfficeHours => OfficeHours is { Count: > 0 } hours ? hours : DefaultOfficeHours;
}

/// <summary>Refuses a calendar that would silently count wrong time limits.</summary>
public sealed class CalendarOptionsValidator : IValidateOptions<CalendarOptions>
{
    public ValidateOptionsResult Validate(string? name, CalendarOptions options)
    {
        var errors = new List<string>();
        OfficePeriod.ParseAll(options.EffectiveOfficeHours, errors);
        if (!(options.WarningShare is > 0 and < 1))
            errors.Add($"WarningShare must be between 0 and 1 (exclusive), not {options.WarningShare}.");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(options.TimeZone ?? "", out _))
            errors.Add($"Unknown time zone '{options.TimeZone}'.");
        if (!string.IsNullOrWhiteSpace(options.HolidaysFolder) && !Directory.Exists(options.HolidaysFolder))
            errors.Add($"HolidaysFolder '{options.HolidaysFolder}' does not exist.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => $"{CalendarOptions.Section}: {e}"));
    }
}
