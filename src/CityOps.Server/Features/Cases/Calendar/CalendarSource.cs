using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>
/// The business calendar in force: office hours and zone from configuration, holidays from the
/// built-in files, the holidays folder and the years stored by administrators (in that order of
/// precedence, a year replaced whole). Swapped atomically when the stored years change; a deadline
/// already computed keeps its value, the next computation uses the new calendar.
/// </summary>
public sealed class CalendarSource
{
    private readonly CalendarOptions _options;
    private readonly Lock _gate = new();
    private State _state;
    private string _signature = "";

    private sealed record State(WorkCalendar Calendar, HolidayData.Loaded Days);

    public CalendarSource(IOptions<CalendarOptions> options)
    {
        _options = options.Value;
        _state = Build([]);
    }

    public WorkCalendar Current => Volatile.Read(ref _state).Calendar;

    /// <summary>Day overrides in force, with where each year came from.</summary>
    public HolidayData.Loaded Days => Volatile.Read(ref _state).Days;

    /// <summary>Rebuilds the calendar when the stored years differ from the ones in use; true when it did.</summary>
    public bool Use(IReadOnlyList<HolidayYear> stored)
    {
        var signature = string.Join(';', stored.OrderBy(y => y.Year).Select(y => $"{y.Year}:{y.UpdatedAt.UtcTicks}:{y.Json.Length}"));
        lock (_gate)
        {
            if (signature == _signature) return false;
            Volatile.Write(ref _state, Build(stored.Select(y => (y.Year, y.Json)).ToList()));
            _signature = signature;
            return true;
        }
    }

    private State Build(IReadOnlyList<(int Year, string Json)> stored)
    {
        var days = HolidayData.LoadWithSources(_options.HolidaysFolder, stored);
        return new State(new WorkCalendar(OfficePeriod.ParseAll(_options.EffectiveOfficeHours), TimeZoneInfo.FindSystemTimeZoneById(_options.TimeZone), days.Days), days);
    }
}
