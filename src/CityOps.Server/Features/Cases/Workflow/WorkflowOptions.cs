using CityOps.Server.Features.Categories;

namespace CityOps.Server.Features.Cases.Workflow;

/// <summary>A step's time limit (local rule, section CityOps:Workflow:Steps).</summary>
public sealed class StepLimit
{
    public double Value { get; set; }
    public TimeLimitUnit Unit { get; set; } = TimeLimitUnit.EmergencyHours;
}

/// <summary>Local rules of the loop (DOMAIN §5): step limits, and what a submitted result must carry.</summary>
public sealed class WorkflowOptions
{
    /// <summary>
    /// Step limits by step name: register, factcheck, dispatch, verify, and close (the centre's
    /// verifying or closing after the unit's sign-off or a verification's report). Defaults: 30–60
    /// min, verify 2 h.
    /// </summary>
    public Dictionary<string, StepLimit> Steps { get; set; } = new()
    {
        ["register"] = new() { Value = 0.5 },
        ["factcheck"] = new() { Value = 1 },
        ["dispatch"] = new() { Value = 0.5 },
        ["verify"] = new() { Value = 2 },
        ["close"] = new() { Value = 1 },
    };

    /// <summary>A handler's result needs at least this many photos or videos.</summary>
    public int MinResultAttachments { get; set; } = 1;

    /// <summary>A case whose unit signed off by the one who did the work closes only after a passed verification.</summary>
    public bool VerifySelfSignOff { get; set; } = true;

    /// <summary>回访: how many calls a citizen not reached gets after each closing, before the case leaves the callback queue unanswered.</summary>
    public int CallbackAttempts { get; set; } = 3;

    /// <summary>回访: how long after a call that did not reach the citizen the case comes back to the queue.</summary>
    public TimeSpan CallbackRetryAfter { get; set; } = TimeSpan.FromHours(2);

    /// <summary>回访: a citizen not reached is tried again only this long after the closing; older cases stay unanswered.</summary>
    public TimeSpan CallbackRetryWithin { get; set; } = TimeSpan.FromDays(7);

    public StepLimit Step(string name) => Steps.TryGetValue(name, out var s) ? s : new StepLimit { Value = 1 };
}

/// <summary>What a move may carry; each move reads the fields it needs.</summary>
public sealed record MoveInput
{
    public string? Reason { get; init; }
    public string? Notes { get; init; }
    /// <summary>Target unit (dispatch).</summary>
    public int? UnitId { get; init; }
    /// <summary>Target person: the handler (assign), the inspector or street chief (factcheck, verify).</summary>
    public string? UserId { get; init; }
    /// <summary>Category service code and registration condition code (register).</summary>
    public string? Category { get; init; }
    public string? Condition { get; init; }
    /// <summary>SHA-256 of uploaded attachments (POST /api/attachments).</summary>
    public List<string>? Attachments { get; init; }
    /// <summary>close: the operator states the category's closing condition is met.</summary>
    public bool? ClosingConditionMet { get; init; }
    /// <summary>factcheck-report: the problem exists; verify-report: the fix holds.</summary>
    public bool? Passed { get; init; }
    /// <summary>extend: how much more time, in the running clock's unit.</summary>
    public double? Value { get; init; }
    /// <summary>callback (回访).</summary>
    public bool? Reached { get; init; }
    public Satisfaction? Satisfaction { get; init; }
    public bool? Effective { get; init; }
    /// <summary>callback: the citizen rejects the result, so the case goes back to the unit.</summary>
    public bool? Reopen { get; init; }
    /// <summary>void: the registered case, still being handled, that this report repeats (并案); the void's public note points the citizen there.</summary>
    public long? DuplicateOf { get; init; }
    /// <summary>locate: the place of an address-only report.</summary>
    public double? Lat { get; init; }
    public double? Lon { get; init; }
    public string? CoordinateSystem { get; init; }
    /// <summary>The case version the mover saw; a stale one is refused with 409.</summary>
    public int? Version { get; init; }
}
