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
    /// <summary>The centre's closing steps a person ended (closing, sending a verification or ordering rework after feedback).</summary>
    ClosingSteps,
    ClosingStepsOnTime,
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

/// <summary>A unit (by id), an area (by id) or a person (by user id). Units and areas compare by number, cheaply.</summary>
public readonly record struct Subject(SubjectKind Kind, int Number, string? Person)
{
    public static Subject Unit(int id) => new(SubjectKind.Unit, id, null);
    public static Subject Area(int id) => new(SubjectKind.Area, id, null);
    public static Subject ForPerson(string userId) => new(SubjectKind.Person, 0, userId);

    /// <summary>The unit or area id as text, or the user id.</summary>
    public string Id => Person ?? Number.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}:{Id}";

    /// <summary>Parses "unit:12", "area:345" or "person:{user id}".</summary>
    public static bool TryParse(string? text, out Subject subject)
    {
        subject = default;
        var colon = text?.IndexOf(':') ?? -1;
        if (colon <= 0 || colon == text!.Length - 1) return false;
        var id = text[(colon + 1)..];
        var number = 0;
        switch (text[..colon].ToLowerInvariant())
        {
            case "unit" when int.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number): subject = Unit(number); return true;
            case "area" when int.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number): subject = Area(number); return true;
            case "person": subject = ForPerson(id); return true;
            default: return false;
        }
    }
}
