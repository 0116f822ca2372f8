using CityOps.Server.Features.Categories;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Cases;

/// <summary>
/// The case's running time limit, stored with the case (an owned type). A clock runs in one unit
/// (emergency hours, working hours, working days). Suspension pauses it: the time used so far is
/// banked in <see cref="UsedBefore"/> and the segment restarts on resume, so <see cref="DueAt"/>
/// moves by exactly the paused time on that unit's calendar.
/// </summary>
[Owned]
public sealed class CaseClock
{
    /// <summary>Which limit runs: register, factcheck, dispatch, handle, verify, close; null when none.</summary>
    public string? Step { get; set; }
    public TimeLimitUnit Unit { get; set; }
    /// <summary>The limit in the unit (hours, or days for working days), extensions included.</summary>
    public double Limit { get; set; }
    public DateTimeOffset? SegmentStart { get; set; }
    /// <summary>Time used before the current segment, in hours of the unit's clock.</summary>
    public double UsedBefore { get; set; }
    public DateTimeOffset? WarnAt { get; set; }
    public DateTimeOffset? DueAt { get; set; }
    public bool Paused { get; set; }
    public bool WarningRaised { get; set; }
    public bool OverdueRaised { get; set; }
    /// <summary>Counts clocks started on this case; keys notifications so each fires once per clock.</summary>
    public int Number { get; set; }
}
