using CityOps.Server.Features.Categories;

namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>
/// The business calendar for time limits (DOMAIN §5). Working days are Monday to Friday, minus the
/// official holidays, plus the weekend days declared working days (调休); working time is the office
/// periods of working days, in local clock time. Pure, immutable and thread-safe.
/// </summary>
/// <remarks>
/// Office hours are local clock times, so a zone whose clock changes inside office hours would
/// gain or lose that hour; real DST changes happen at night, so this does not arise in practice.
/// </remarks>
public sealed class WorkCalendar
{
    // About 9 000 years: keeps every tick sum far from overflow.
    private const double MaxHours = 80_000_000;
    private readonly WorkingTimeline _timeline;
    private readonly ZoneClock _clock;

    /// <param name="officeHours">Office periods of a working day, ascending, non-overlapping.</param>
    /// <param name="zone">Time zone of the office hours and the dates.</param>
    /// <param name="days">Day overrides: true = holiday (off), false = weekend day declared a working day.</param>
    public WorkCalendar(IReadOnlyList<OfficePeriod> officeHours, TimeZoneInfo zone, IReadOnlyDictionary<DateOnly, bool> days)
    {
        ArgumentNullException.ThrowIfNull(officeHours);
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(days);
        ArgumentOutOfRangeException.ThrowIfZero(officeHours.Count, nameof(officeHours));
        for (var i = 0; i < officeHours.Count; i++)
        {
            var p = officeHours[i];
            if (p.Start < TimeSpan.Zero || p.Start >= p.End || p.End > TimeSpan.FromDays(1) || (i > 0 && p.Start < officeHours[i - 1].End))
                throw new ArgumentException($"Office period {p} is malformed, overlapping or out of order.", nameof(officeHours));
        }
        OfficeHours = [.. officeHours];
        Zone = zone;
        _timeline = new WorkingTimeline(OfficeHours, days);
        _clock = new ZoneClock(zone);
    }

    public IReadOnlyList<OfficePeriod> OfficeHours { get; }

    public TimeZoneInfo Zone { get; }

    /// <summary>Office time of one working day (7 h with the default office hours).</summary>
    public TimeSpan DailyOfficeTime => TimeSpan.FromTicks(_timeline.Daily);

    /// <summary>Builds the calendar from options, the embedded holiday data and the optional holidays folder.</summary>
    public static WorkCalendar Load(CalendarOptions options) =>
        new(OfficePeriod.ParseAll(options.EffectiveOfficeHours), TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone),
            HolidayData.Load(options.HolidaysFolder));

    /// <summary>Monday to Friday unless a holiday; Saturday and Sunday only when declared working days.</summary>
    public bool IsWorkingDay(DateOnly day) => _timeline.IsWorking(day.DayNumber);

    /// <summary>The instant itself when inside office hours of a working day, else the start of the next period.</summary>
    public DateTimeOffset NextWorkingInstant(DateTimeOffset t) =>
        FromLocal(_timeline.NextWorking(_clock.ToLocal(t.UtcTicks)), t.Offset);

    /// <summary>
    /// The deadline <paramref name="value"/> units after <paramref name="start"/>, in the offset of
    /// <paramref name="start"/>. A value of 0 returns <paramref name="start"/>.
    /// <list type="bullet">
    /// <item>EmergencyHours: start + value hours, round the clock.</item>
    /// <item>WorkingHours: the earliest instant after exactly value hours of office time, counting
    /// from the next working instant; a count ending at the end of a period stays there (Mon 10:00 + 2 h
    /// = Mon 12:00). Negative values count back.</item>
    /// <item>WorkingDays: let a = <see cref="NextWorkingInstant"/>(start); the deadline is a's clock
    /// time on the N-th working day after a's day, N = ⌊value⌋ (so inside office hours the same clock
    /// time N working days later; after hours or at 12:00 sharp, the next period's start). A fraction
    /// of a day is then added as that share of <see cref="DailyOfficeTime"/> in working hours. value ≥ 0.</item>
    /// </list>
    /// </summary>
    public DateTimeOffset Add(DateTimeOffset start, double value, TimeLimitUnit unit)
    {
        switch (unit)
        {
            case TimeLimitUnit.EmergencyHours:
                return start.AddTicks(HoursToTicks(value));
            case TimeLimitUnit.WorkingHours:
                var ticks = HoursToTicks(value);
                return ticks == 0 ? start : FromLocal(_timeline.LocalAt(_timeline.At(_clock.ToLocal(start.UtcTicks)) + ticks), start.Offset);
            case TimeLimitUnit.WorkingDays:
                return AddWorkingDays(start, value);
            default:
                throw new ArgumentOutOfRangeException(nameof(unit), unit, null);
        }
    }

    /// <summary>
    /// Time used between two instants on the unit's clock: wall time for emergency hours, office
    /// time for working hours and working days (compare with <see cref="LimitDuration"/>). Negative
    /// when <paramref name="to"/> is before <paramref name="from"/>.
    /// </summary>
    public TimeSpan Elapsed(DateTimeOffset from, DateTimeOffset to, TimeLimitUnit unit) => unit switch
    {
        TimeLimitUnit.EmergencyHours => to - from,
        TimeLimitUnit.WorkingHours or TimeLimitUnit.WorkingDays =>
            TimeSpan.FromTicks(_timeline.At(_clock.ToLocal(to.UtcTicks)) - _timeline.At(_clock.ToLocal(from.UtcTicks))),
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, null),
    };

    /// <summary>A limit on the unit's <see cref="Elapsed"/> clock: hours, or value × <see cref="DailyOfficeTime"/> for working days.</summary>
    public TimeSpan LimitDuration(double value, TimeLimitUnit unit) => unit switch
    {
        TimeLimitUnit.EmergencyHours or TimeLimitUnit.WorkingHours => TimeSpan.FromTicks(HoursToTicks(value)),
        TimeLimitUnit.WorkingDays => TimeSpan.FromTicks(DaysToTicks(value)),
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, null),
    };

    private DateTimeOffset AddWorkingDays(DateTimeOffset start, double value)
    {
        if (!(value >= 0)) throw new ArgumentOutOfRangeException(nameof(value), value, "Working days must be zero or more.");
        if (DaysToTicks(value) == 0) return start;
        var (day, time) = WorkingTimeline.Split(_timeline.NextWorking(_clock.ToLocal(start.UtcTicks)));
        var whole = Math.Floor(value);
        // Every working day holds exactly Daily working ticks, so the N-th one starts at DayStart + N × Daily.
        var target = _timeline.FindDay(_timeline.DayStart(day) + (long)whole * _timeline.Daily + 1, out _);
        var local = target * TimeSpan.TicksPerDay + time;
        var rest = DaysToTicks(value - whole);
        return FromLocal(rest == 0 ? local : _timeline.LocalAt(_timeline.At(local) + rest), start.Offset);
    }

    private DateTimeOffset FromLocal(long local, TimeSpan offset) => new(_clock.ToUtc(local) + offset.Ticks, offset);

    private long DaysToTicks(double days) => HoursToTicks(days * DailyOfficeTime.TotalHours);

    private static long HoursToTicks(double hours) =>
        double.IsFinite(hours) && Math.Abs(hours) <= MaxHours
            ? (long)Math.Round(hours * TimeSpan.TicksPerHour)
            : throw new ArgumentOutOfRangeException(nameof(hours), hours, "Not a usable number of hours.");
}
