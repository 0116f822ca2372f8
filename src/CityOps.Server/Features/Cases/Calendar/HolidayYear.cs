namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>
/// A year's official holidays and declared working weekends entered by an administrator (the State
/// Council's notice, in the holiday-cn file format). It replaces the built-in file of that year and
/// any file in the holidays folder as a whole; every instance picks it up within a minute.
/// </summary>
public sealed class HolidayYear
{
    public int Year { get; set; }
    /// <summary>The year's file as checked and stored: <c>{"year":…,"days":[{"name","date","isOffDay"}]}</c>.</summary>
    public required string Json { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}
