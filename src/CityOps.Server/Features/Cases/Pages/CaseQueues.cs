using CityOps.Server.Features.Users;

namespace CityOps.Server.Features.Cases.Pages;

/// <summary>The work queues of the web app, as filters over the cases a user may see.</summary>
public static class CaseQueues
{
    public static readonly string[] Names = ["mine", "pool", "dispatch", "handling", "verify", "overdue", "supervised", "all"];

    private static readonly CaseState[] WithUnit = [CaseState.Dispatched, CaseState.Handling, CaseState.Handled];
    private static readonly CaseState[] Checking = [CaseState.Feedback, CaseState.Verifying];

    public static IQueryable<Case> Apply(IQueryable<Case> q, string queue, CurrentUser u) => queue switch
    {
        "mine" => q.Where(c => c.State != CaseState.Closed && c.State != CaseState.Voided
                               && (c.ClaimedById == u.Id || c.HandlerId == u.Id || c.TaskAssigneeId == u.Id || (u.UnitId != null && c.AssignedUnitId == u.UnitId && c.State == CaseState.Dispatched))),
        "pool" => q.Where(c => c.State == CaseState.Reported || c.State == CaseState.NeedsLocation),
        "dispatch" => q.Where(c => c.State == CaseState.Registered),
        "handling" => q.Where(c => WithUnit.Contains(c.State)),
        "verify" => q.Where(c => Checking.Contains(c.State)),
        "overdue" => q.Where(c => c.Clock.OverdueRaised && c.State != CaseState.Closed && c.State != CaseState.Voided),
        "supervised" => q.Where(c => c.SupervisionCount > 0 && c.State != CaseState.Closed && c.State != CaseState.Voided),
        _ => q,
    };

    /// <summary>The queue a role starts in.</summary>
    public static string Default(CurrentUser u) =>
        u.IsIn(Roles.Operator) ? "pool" : u.IsIn(Roles.Dispatcher) ? "dispatch" : u.IsAnyOf([Roles.ShiftLead, Roles.Leader, Roles.Admin]) ? "overdue" : "mine";
}
