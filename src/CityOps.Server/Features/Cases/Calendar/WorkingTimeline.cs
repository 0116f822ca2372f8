namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>
/// Working time as one number: ticks of office time counted from the start of the table's first day.
/// A local instant (DateTime ticks of the local clock) maps to working ticks and back with a table
/// lookup, a binary search over days and a scan of the few periods, so nothing steps or allocates.
/// Days are <see cref="DateOnly.DayNumber"/> values (day 0 is a Monday).
/// </summary>
/// <remarks>
/// The table covers the years with holiday data ±1. Outside it only weekends are off, so working
/// time repeats weekly there and is computed from whole weeks plus at most six single days.
/// </remarks>
internal sealed class WorkingTimeline
{
    private const long TicksPerDay = TimeSpan.TicksPerDay;
    private readonly long[] _starts;
    private readonly long[] _ends;
    private readonly int _firstDay;
    private readonly int _endDay;
    // _cum[i]: office ticks in the days [_firstDay, _firstDay + i); one entry more than table days.
    private readonly long[] _cum;

    public WorkingTimeline(IReadOnlyList<OfficePeriod> periods, IReadOnlyDictionary<DateOnly, bool> offDays)
    {
        _starts = periods.Select(p => p.Start.Ticks).ToArray();
        _ends = periods.Select(p => p.End.Ticks).ToArray();
        Daily = periods.Sum(p => p.Length.Ticks);
        if (offDays.Count == 0)
        {
            _firstDay = new DateOnly(2000, 1, 1).DayNumber;
            _cum = [0];
        }
        else
        {
            _firstDay = new DateOnly(Math.Max(1, offDays.Keys.Min().Year - 1), 1, 1).DayNumber;
            var days = new DateOnly(Math.Min(9999, offDays.Keys.Max().Year + 1), 12, 31).DayNumber - _firstDay + 1;
            _cum = new long[days + 1];
            for (var i = 0; i < days; i++)
            {
                var working = offDays.TryGetValue(DateOnly.FromDayNumber(_firstDay + i), out var off) ? !off : IsWeekday(_firstDay + i);
                _cum[i + 1] = _cum[i] + (working ? Daily : 0);
            }
        }
        _endDay = _firstDay + _cum.Length - 1;
    }

    /// <summary>Office time of one working day.</summary>
    public long Daily { get; }
    private long Weekly => 5 * Daily;

    public static (int Day, long TimeOfDay) Split(long local)
    {
        var day = Math.DivRem(local, TicksPerDay, out var time);
        return time < 0 ? ((int)day - 1, time + TicksPerDay) : ((int)day, time);
    }

    public bool IsWorking(int day)
    {
        var i = day - _firstDay;
        return (uint)i < (uint)(_cum.Length - 1) ? _cum[i + 1] != _cum[i] : IsWeekday(day);
    }

    /// <summary>Working ticks at the start of a day.</summary>
    public long DayStart(int day)
    {
        var i = day - _firstDay;
        if ((uint)i < (uint)_cum.Length) return _cum[i];
        return i > 0 ? _cum[^1] + WeekdayTicks(_endDay, day - _endDay) : -WeekdayTicks(day, _firstDay - day);
    }

    /// <summary>Working ticks at a local instant.</summary>
    public long At(long local)
    {
        var (day, time) = Split(local);
        var i = day - _firstDay;
        if ((uint)i < (uint)(_cum.Length - 1))
            return _cum[i + 1] != _cum[i] ? _cum[i] + WorkedBefore(time) : _cum[i];
        return IsWeekday(day) ? DayStart(day) + WorkedBefore(time) : DayStart(day);
    }

    /// <summary>
    /// The earliest local instant whose working ticks are <paramref name="working"/>: a count that
    /// ends exactly at the end of a period stays there instead of jumping to the next period.
    /// </summary>
    public long LocalAt(long working)
    {
        var day = FindDay(working, out var rest);
        var p = 0;
        for (; p < _starts.Length - 1 && rest > _ends[p] - _starts[p]; p++) rest -= _ends[p] - _starts[p];
        return day * TicksPerDay + _starts[p] + rest;
    }

    /// <summary>The earliest working instant at or after a local instant (periods are half-open).</summary>
    public long NextWorking(long local)
    {
        var (day, time) = Split(local);
        for (var p = 0; p < _starts.Length && IsWorking(day); p++)
            if (time < _ends[p]) return day * TicksPerDay + Math.Max(time, _starts[p]);
        return FindDay(DayStart(day + 1) + 1, out _) * TicksPerDay + _starts[0];
    }

    /// <summary>The day holding working tick <paramref name="working"/>: DayStart(day) &lt; working ≤ DayStart(day + 1).</summary>
    public int FindDay(long working, out long rest)
    {
        var n = _cum.Length - 1;
        if (working > 0 && working <= _cum[n])
        {
            int lo = 0, hi = n - 1;
            while (lo < hi)
            {
                var mid = (lo + hi + 1) >> 1;
                if (_cum[mid] < working) lo = mid;
                else hi = mid - 1;
            }
            rest = working - _cum[lo];
            return _firstDay + lo;
        }
        if (working > 0)
        {
            var weeks = (working - _cum[n] - 1) / Weekly;
            var day = _endDay + checked((int)(weeks * 7));
            rest = working - _cum[n] - weeks * Weekly;
            for (; !IsWeekday(day) || rest > Daily; day++)
                if (IsWeekday(day)) rest -= Daily;
            return day;
        }
        var back = -working / Weekly;
        var d = _firstDay - checked((int)(back * 7));
        var start = -back * Weekly;
        while (start >= working)
            if (IsWeekday(--d)) start -= Daily;
        rest = working - start;
        return d;
    }

    private long WorkedBefore(long time)
    {
        long sum = 0;
        for (var p = 0; p < _starts.Length && time > _starts[p]; p++) sum += Math.Min(time, _ends[p]) - _starts[p];
        return sum;
    }

    // Office ticks in `count` days from `from` with weekends as the only days off.
    private long WeekdayTicks(int from, int count)
    {
        var ticks = count / 7 * Weekly;
        for (var d = from + count - count % 7; d < from + count; d++)
            if (IsWeekday(d)) ticks += Daily;
        return ticks;
    }

    private static bool IsWeekday(int day) => day % 7 < 5;
}
