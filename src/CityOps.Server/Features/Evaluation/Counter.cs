namespace CityOps.Server.Features.Evaluation;

/// <summary>
/// What is counted for a subject over a period. Every count is taken from the case record as it
/// stood at the end of the period; docs/evaluation.md defines each one.
/// </summary>
public enum Counter
{
    // Cases (areas): by the place of the case.
    Reported,
    Registered,
    Voided,

    // Dispatch episodes (units, and areas by the place of the case): one per dispatch to a unit.
    Dispatched,
    Returned,
    ShouldHandle,
    Handled,
    HandledOnTime,
    Reworked,
    Overdue,
    OverdueUnhandled,
    ToClose,
    Closed,
    ClosedOnTime,
    Extended,
    Suspended,
    Supervised,
    SupervisionOrders,
    CalledBack,
    Reached,
    EffectiveFeedback,
    NoEffectiveFeedback,
    Rated,
    Satisfied,
    /// <summary>Sum of minutes from dispatch to the unit's confirmation, over handled episodes.</summary>
    HandlingMinutes,

    // People: by who made the move.
    RegisteredBy,
    RegisteredOnTime,
    RegisteredAccurate,
    DispatchedBy,
    DispatchedOnTime,
    DispatchedAccurate,
    FactChecks,
    FactChecksOnTime,
    Verifications,
    VerificationsOnTime,
    ReportsFiled,
    ValidReports,
    MissedReports,
    Submitted,
}

/// <summary>Who a row of the evaluation is about.</summary>
public enum SubjectKind
{
    Unit,
    Area,
    Person,
}

/// <summary>A unit (by id), an area (by id) or a person (by user id).</summary>
public readonly record struct Subject(SubjectKind Kind, string Id)
{
    public static Subject Unit(int id) => new(SubjectKind.Unit, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public static Subject Area(int id) => new(SubjectKind.Area, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public static Subject Person(string userId) => new(SubjectKind.Person, userId);

    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}:{Id}";

    /// <summary>Parses "unit:12", "area:345" or "person:{user id}".</summary>
    public static bool TryParse(string? text, out Subject subject)
    {
        subject = default;
        var colon = text?.IndexOf(':') ?? -1;
        if (colon <= 0 || colon == text!.Length - 1) return false;
        var id = text[(colon + 1)..];
        switch (text[..colon].ToLowerInvariant())
        {
            case "unit" when int.TryParse(id, out _): subject = new(SubjectKind.Unit, id); return true;
            case "area" when int.TryParse(id, out _): subject = new(SubjectKind.Area, id); return true;
            case "person": subject = new(SubjectKind.Person, id); return true;
            default: return false;
        }
    }
}
