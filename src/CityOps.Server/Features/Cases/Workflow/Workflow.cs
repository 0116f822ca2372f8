using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;

namespace CityOps.Server.Features.Cases.Workflow;

/// <summary>Whose move it is, beyond the role: checked against the case.</summary>
public enum Party
{
    /// <summary>Any user holding one of the roles.</summary>
    Role,
    /// <summary>The operator who claimed the case (or anyone of the role while nobody has).</summary>
    Owner,
    /// <summary>Staff of the unit the case is assigned to.</summary>
    AssignedUnit,
    /// <summary>The handler the unit assigned, or staff of the assigned unit.</summary>
    Handler,
    /// <summary>The inspector or street chief holding the fact-check or verification task.</summary>
    TaskAssignee,
}

/// <summary>One move of the closed loop: from which states, by whom, to which state.</summary>
public sealed record MoveRule(string Action, CaseState[] From, string[] Roles, Party Party, CaseState? To, bool ReasonRequired = false, bool Public = false);

/// <summary>
/// The closed loop of DOMAIN §5 as data, in one place. A null <see cref="MoveRule.To"/> means the
/// move keeps the state or decides it from its input (return, callback, resume …).
/// </summary>
public static class Workflow
{
    private static readonly string[] Operators = [Roles.Operator, Roles.ShiftLead];
    private static readonly string[] Dispatchers = [Roles.Dispatcher, Roles.ShiftLead];
    private static readonly string[] CentreStaff = [Roles.Operator, Roles.Dispatcher, Roles.ShiftLead];
    private static readonly string[] UnitStaff = [Roles.Department, Roles.Handler, Roles.Enforcement, Roles.StreetChief];
    /// <summary>The unit's own staff who hand out and sign off its work: not its handlers, who do the job.</summary>
    private static readonly string[] UnitLeads = Roles.UnitLeads;
    private static readonly string[] FieldStaff = [Roles.Inspector, Roles.StreetChief];
    private static readonly string[] Supervisors = [Roles.ShiftLead, Roles.Leader];
    private static readonly CaseState[] WithUnit = [CaseState.Dispatched, CaseState.Handling, CaseState.Handled];
    private static readonly CaseState[] Open =
        [CaseState.NeedsLocation, CaseState.Reported, CaseState.FactChecking, CaseState.Registered, CaseState.Dispatched,
         CaseState.Handling, CaseState.Handled, CaseState.Feedback, CaseState.Verifying];

    public static readonly IReadOnlyList<MoveRule> Rules =
    [
        new("locate", [CaseState.NeedsLocation], Operators, Party.Role, CaseState.Reported),
        new("claim", [CaseState.Reported], Operators, Party.Owner, null),
        // 转交: the owner (or a shift lead, at a change of shift) hands an owned case to another operator, who is told.
        new("transfer", Open, Operators, Party.Owner, null),
        // Sent again while the task is out, a fact-check or verification goes to someone else (the holder is away or has left the area).
        new("factcheck", [CaseState.Reported, CaseState.FactChecking], Operators, Party.Owner, CaseState.FactChecking),
        new("factcheck-report", [CaseState.FactChecking], FieldStaff, Party.TaskAssignee, CaseState.Reported),
        new("register", [CaseState.Reported], Operators, Party.Owner, CaseState.Registered, Public: true),
        new("void", [CaseState.NeedsLocation, CaseState.Reported, CaseState.FactChecking], Operators, Party.Owner, CaseState.Voided, ReasonRequired: true, Public: true),
        new("dispatch", [CaseState.Registered], Dispatchers, Party.Role, CaseState.Dispatched, Public: true),
        // Returns go one level back and always carry a reason: unit → dispatcher, handler → unit, dispatcher → operator.
        new("return", [CaseState.Registered, CaseState.Dispatched, CaseState.Handling], [.. Dispatchers, .. UnitStaff], Party.Role, null, ReasonRequired: true),
        // 改派: the centre takes a case back from a unit that has not finished it (sent to the wrong
        // unit, or left lying there), with a reason; not the unit's return, so not counted against it.
        new("recall", [CaseState.Dispatched, CaseState.Handling], Dispatchers, Party.Role, CaseState.Registered, ReasonRequired: true),
        new("assign", [CaseState.Dispatched, CaseState.Handling], UnitLeads, Party.AssignedUnit, CaseState.Handling),
        new("submit", [CaseState.Handling], UnitStaff, Party.Handler, CaseState.Handled),
        new("confirm", [CaseState.Handled], UnitLeads, Party.AssignedUnit, CaseState.Feedback, Public: true),
        new("rework", [CaseState.Handled, CaseState.Feedback, CaseState.Verifying], [.. CentreStaff, .. UnitStaff], Party.Role, null, ReasonRequired: true, Public: true),
        new("verify", [CaseState.Feedback, CaseState.Verifying], Operators, Party.Owner, CaseState.Verifying),
        new("verify-report", [CaseState.Verifying], FieldStaff, Party.TaskAssignee, CaseState.Feedback),
        new("close", [CaseState.Feedback], Operators, Party.Owner, CaseState.Closed, Public: true),
        new("callback", [CaseState.Closed], Operators, Party.Role, null),
        new("extend", WithUnit, UnitStaff, Party.AssignedUnit, null, ReasonRequired: true),
        new("suspend", WithUnit, UnitStaff, Party.AssignedUnit, null, ReasonRequired: true),
        new("approve", WithUnit, [Roles.ShiftLead], Party.Role, null),
        new("reject", WithUnit, [Roles.ShiftLead], Party.Role, null, ReasonRequired: true),
        new("resume", WithUnit, [Roles.ShiftLead, .. UnitStaff], Party.Role, null),
        new("supervise", Open, Supervisors, Party.Role, null, ReasonRequired: true),
    ];

    private static readonly Dictionary<string, MoveRule> ByAction = Rules.ToDictionary(r => r.Action, StringComparer.OrdinalIgnoreCase);

    public static MoveRule? Find(string action) => ByAction.GetValueOrDefault(action);

    /// <summary>Whether the user's role and relation to the case let them make this move (state aside).</summary>
    public static bool IsParty(MoveRule rule, Case c, CurrentUser u)
    {
        if (!u.IsAnyOf(rule.Roles)) return false;
        var unitStaff = u.UnitId is not null && u.UnitId == c.AssignedUnitId;
        return rule.Party switch
        {
            Party.Owner => c.ClaimedById is null || c.ClaimedById == u.Id || u.IsIn(Roles.ShiftLead),
            Party.AssignedUnit => unitStaff,
            Party.Handler => c.HandlerId == u.Id || (unitStaff && !u.IsIn(Roles.Handler)),
            Party.TaskAssignee => c.TaskAssigneeId == u.Id,
            _ => rule.Action switch
            {
                // Unit staff act on their own unit's cases only; the centre on any. What the unit
                // decides (send a case back to the dispatcher, take it off a handler, refuse a result)
                // is for its leads; a handler may only hand back the case given to them.
                "return" => c.State switch
                {
                    CaseState.Registered => u.IsAnyOf(Dispatchers),
                    CaseState.Dispatched => unitStaff && u.IsAnyOf(UnitLeads),
                    _ => c.HandlerId == u.Id || (unitStaff && u.IsAnyOf(UnitLeads)),
                },
                "rework" => c.State == CaseState.Handled ? unitStaff && u.IsAnyOf(UnitLeads) && c.HandlerId != u.Id : u.IsAnyOf(CentreStaff),
                "resume" => u.IsIn(Roles.ShiftLead) || unitStaff,
                _ => true,
            },
        };
    }

    /// <summary>The moves this user may make on this case now: what a 409 offers and what a screen shows.</summary>
    public static IReadOnlyList<string> Allowed(Case c, CurrentUser u) =>
        Rules.Where(r => r.From.Contains(c.State) && IsParty(r, c, u) && Fits(r, c)).Select(r => r.Action).ToList();

    /// <summary>
    /// Moves this user would be offered now but for a condition with a plain reason (<see cref="WhyNot"/>):
    /// so a screen can say why, for instance, "close" is missing.
    /// </summary>
    public static IReadOnlyList<HeldMove> Held(Case c, CurrentUser u) =>
        Rules.Where(r => r.From.Contains(c.State) && IsParty(r, c, u) && !Fits(r, c) && WhyNot(r, c) is not null)
            .Select(r => new HeldMove(r.Action, Messages.Get(WhyNot(r, c)!))).ToList();

    /// <summary>Why a move the state allows is refused by <see cref="Fits"/>, where a plainer word than "not now" is owed (a resource key).</summary>
    public static string? WhyNot(MoveRule r, Case c) => r.Action switch
    {
        "close" or "verify" when c.State == CaseState.Feedback && c.VerificationPassed == false => "VerificationFailed",
        "close" when c.State == CaseState.Feedback && c.VerifyBeforeClose && c.VerificationPassed is null => "VerificationNeeded",
        "extend" or "suspend" when WithUnit.Contains(c.State) && c.Pending != PendingRequest.None => "RequestPending",
        "extend" or "suspend" when WithUnit.Contains(c.State) && c.Clock.Paused => "RequestWhilePaused",
        "submit" when c.State == CaseState.Handling && c.Clock.Paused => "SubmitWhilePaused",
        "callback" when c.State == CaseState.Closed && c.CallbackReached == true => "CallbackDone",
        _ => null,
    };

    /// <summary>
    /// Why a move the state allows is refused now, in plain words (a resource key): <see cref="WhyNot"/>,
    /// or a condition too plain to list beside every case on a screen (nothing to approve, nothing to
    /// resume, nobody to transfer from, already claimed) but owed to whoever tries the move.
    /// </summary>
    public static string? WhyRefused(MoveRule r, Case c) => !r.From.Contains(c.State) || Fits(r, c) ? null : WhyNot(r, c) ?? r.Action switch
    {
        "claim" => "AlreadyClaimed",
        "transfer" => "TransferUnclaimed",
        "approve" or "reject" => "NothingPending",
        "resume" => "NotPaused",
        _ => null,
    };

    /// <summary>Conditions on the case beyond its state (a pending request, a paused clock …).</summary>
    public static bool Fits(MoveRule r, Case c) => r.Action switch
    {
        "extend" or "suspend" => c.Pending == PendingRequest.None && !c.Clock.Paused,
        "approve" or "reject" => c.Pending != PendingRequest.None,
        "resume" => c.Clock.Paused,
        "submit" => !c.Clock.Paused,
        "claim" => c.ClaimedById is null,
        "transfer" => c.ClaimedById is not null,
        // A failed verification stands until the unit has handled the case again: rework, not another look.
        "verify" => c.VerificationPassed != false,
        // Closing needs the verification to have passed where one failed or was required.
        "close" => c.VerificationPassed == true || (c.VerificationPassed is null && !c.VerifyBeforeClose),
        // The citizen reached has rated this closing: the rating stands (a rejection reopens the case,
        // and its next closing is called afresh).
        "callback" => c.CallbackReached != true,
        _ => true,
    };
}

/// <summary>A move held back by the case's condition, and why (in the caller's language).</summary>
public sealed record HeldMove(string Action, string Reason);
