using System.Globalization;
using CityOps.Server.Features.Cases.Calendar;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Components;

/// <summary>Times on screen: in the city's zone (CityOps:Calendar:TimeZone), formatted for the current culture.</summary>
public sealed class LocalTime(IOptions<CalendarOptions> calendar)
{
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(calendar.Value.TimeZone);

    public TimeZoneInfo Zone => _zone;

    public string Show(DateTimeOffset? t) =>
        t is { } v ? TimeZoneInfo.ConvertTime(v, _zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "—";

    public DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, _zone).DateTime);
}
