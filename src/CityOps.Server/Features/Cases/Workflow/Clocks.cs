using CityOps.Server.Features.Cases.Calendar;
using CityOps.Server.Features.Categories;

namespace CityOps.Server.Features.Cases.Workflow;

public enum DeadlineStatus
{
    None = 0,
    Green = 1,
    Yellow = 2,
    Red = 3,
}

/// <summary>The clock as shown: how much is used and left, and its colour.</summary>
public sealed record DeadlineView(string Step, TimeLimitUnit Unit, double Limit, DateTimeOffset? DueAt, double UsedHours, double LeftHours, DeadlineStatus Status, bool Paused);

/// <summary>Starting, pausing, extending and reading a <see cref="CaseClock"/> on the business calendar.</summary>
public sealed class Clocks(Func<WorkCalendar> calendarInForce, double warningShare)
{
    /// <summary>Clocks on one fixed calendar.</summary>
    public Clocks(WorkCalendar calendar, double warningShare) : this(() => calendar, warningShare) { }

    /// <summary>Clocks on the calendar in force (swapped when administrators store a holiday year).</summary>
    public Clocks(CalendarSource source, double warningShare) : this(() => source.Current, warningShare) { }

    private WorkCalendar Calendar => calendarInForce();

    public void Start(CaseClock k, string step, double limit, TimeLimitUnit unit, DateTimeOffset now)
    {
        k.Number++;
        (k.Step, k.Limit, k.Unit, k.SegmentStart, k.UsedBefore, k.Paused) = (step, limit, unit, now, 0, false);
        // A new step's clock has warned of nothing yet, whatever the last step's did.
        (k.WarningRaised, k.OverdueRaised) = (false, false);
        Recompute(k);
    }

    public static void Stop(CaseClock k) =>
        (k.Step, k.DueAt, k.WarnAt, k.SegmentStart, k.Paused, k.WarningRaised, k.OverdueRaised) = (null, null, null, null, false, false, false);

    /// <summary>
    /// Whether the running step is within its limit now. A paused clock has no deadline, so what
    /// counts is the time it had used when it was paused.
    /// </summary>
    public bool WithinLimit(CaseClock k, DateTimeOffset now)
    {
        if (k.Step is null) return true;
        if (k.Paused) return k.UsedBefore <= Calendar.LimitDuration(k.Limit, k.Unit).TotalHours;
        return k.DueAt is null || now <= k.DueAt;
    }

    public void Pause(CaseClock k, DateTimeOffset now)
    {
        if (k.Step is null || k.Paused || k.SegmentStart is null) return;
        k.UsedBefore += Calendar.Elapsed(k.SegmentStart.Value, now, k.Unit).TotalHours;
        (k.Paused, k.SegmentStart, k.DueAt, k.WarnAt) = (true, null, null, null);
    }

    public void Resume(CaseClock k, DateTimeOffset now)
    {
        if (k.Step is null || !k.Paused) return;
        (k.Paused, k.SegmentStart) = (false, now);
        Recompute(k);
    }

    /// <summary>Moves the deadline by <paramref name="value"/> of the clock's unit; a passed deadline may then fire again.</summary>
    public void Extend(CaseClock k, double value)
    {
        if (k.Step is null) return;
        k.Limit += value;
        k.Number++;
        (k.WarningRaised, k.OverdueRaised) = (false, false);
        if (!k.Paused) Recompute(k);
    }

    public DeadlineView? View(CaseClock k, DateTimeOffset now)
    {
        if (k.Step is null) return null;
        var calendar = Calendar; // one calendar for the whole reading, even if it is swapped meanwhile
        var limitHours = calendar.LimitDuration(k.Limit, k.Unit).TotalHours;
        var used = k.UsedBefore + (k.Paused || k.SegmentStart is null ? 0 : calendar.Elapsed(k.SegmentStart.Value, now, k.Unit).TotalHours);
        var status = used >= limitHours ? DeadlineStatus.Red : used >= limitHours * warningShare ? DeadlineStatus.Yellow : DeadlineStatus.Green;
        return new DeadlineView(k.Step, k.Unit, k.Limit, k.DueAt, Math.Round(used, 3), Math.Round(limitHours - used, 3), status, k.Paused);
    }

    private void Recompute(CaseClock k)
    {
        var start = k.SegmentStart!.Value;
        var calendar = Calendar;
        var limitHours = calendar.LimitDuration(k.Limit, k.Unit).TotalHours;
        // Whole working days keep their clock time when nothing was banked; after a pause the rest
        // runs as working hours, which is what the banked time is measured in.
        k.DueAt = k.UsedBefore == 0 ? calendar.Add(start, k.Limit, k.Unit) : Add(calendar, start, limitHours - k.UsedBefore, k.Unit);
        k.WarnAt = Add(calendar, start, Math.Max(0, limitHours * warningShare - k.UsedBefore), k.Unit);
        if (k.WarnAt > k.DueAt) k.WarnAt = k.DueAt;
    }

    private static DateTimeOffset Add(WorkCalendar calendar, DateTimeOffset start, double hours, TimeLimitUnit unit) =>
        hours <= 0 ? start : calendar.Add(start, hours, unit == TimeLimitUnit.WorkingDays ? TimeLimitUnit.WorkingHours : unit);
}
