using CityOps.Server.Data;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Supervision;
using CityOps.Server.Features.Units;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Cases.Workflow;

public sealed partial class MoveEffects
{
    private void Register(Case c, MoveInput input, CurrentUser user, ReferenceData reference, DateTimeOffset now, Dictionary<string, object?> data)
    {
        var category = reference.Categories[c.CategoryId];
        if (!string.IsNullOrWhiteSpace(input.Category) && !string.Equals(input.Category, category.ServiceCode, StringComparison.OrdinalIgnoreCase))
        {
            // Registering under another category re-routes the case.
            if (!reference.CategoriesByCode.TryGetValue(input.Category, out var other) || !other.Active)
                throw new MoveRefusedException(400, Messages.Format("ServiceCodeUnknown", input.Category), field: "category");
            category = other;
            c.CategoryId = other.Id;
            if (c.Lat is { } lat && c.Lon is { } lon && reference.Routing.Route(lon, lat, other.Id) is { } route)
                (c.AssignedUnitId, c.RoutingReason, c.RoutingDetail) = (route.UnitId, route.Reason, RoutingText.Detail(route, reference));
            data["category"] = other.ServiceCode;
        }
        var condition = category.Conditions.FirstOrDefault(k => k.Code == input.Condition)
            ?? throw new MoveRefusedException(400, Messages.Get("ConditionRequiredForRegister"), field: "condition");
        (c.ConditionId, c.RegisteredAt, c.State, c.ClaimedById) = (condition.Id, now, CaseState.Registered, c.ClaimedById ?? user.Id);
        data["condition"] = condition.Code;
        StartStep(c, "dispatch", now);
    }

    /// <summary>Dispatches at once when routing was unambiguous and the category allows it.</summary>
    public void AutoDispatch(Case c, ReferenceData reference, DateTimeOffset now)
    {
        if (c.State != CaseState.Registered || c.AssignedUnitId is null || !reference.Categories[c.CategoryId].AutoDispatch) return;
        if (c.RoutingReason is not (RoutingReason.RoutingTable or RoutingReason.StorefrontStreetChief or RoutingReason.CellResponsible)) return;
        // A routed unit that cannot take the case (inactive, not one that handles cases, or working
        // elsewhere than where the case lies) leaves it for the dispatcher rather than refusing the registration.
        if (!reference.Units.TryGetValue(c.AssignedUnitId.Value, out var unit) || !UnitRules.Takes(unit) || !Covers(unit, c, reference)) return;
        var e = new CaseEvent
        {
            At = now, Action = "dispatch", ActorId = "system", ActorName = Messages.GetForStaff("SystemActor"), ActorRole = "system", FromState = c.State,
            Reason = Messages.GetForStaff("AutoDispatched"), Public = true, PrevHash = "", Hash = "",
        };
        var (step, onTime) = (c.Clock.Step, clocks.WithinLimit(c.Clock, now));
        Dispatch(c, c.AssignedUnitId, reference, now, e);
        var data = new Dictionary<string, object?>();
        CaseMoves.StepEnded(data, step, onTime, c.Clock.Step);
        e.Data = data.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(data);
        e.ToState = c.State;
        CaseChain.Append(c, e);
        AfterMove(c, e, Workflow.Find("dispatch")!, reference, now);
    }

    private void Dispatch(Case c, int? unitId, ReferenceData reference, DateTimeOffset now, CaseEvent e)
    {
        // No unit named and none routed (a unit sent the case back): the dispatcher must choose.
        if (unitId is not { } id) throw new MoveRefusedException(400, Messages.Get("DispatchUnitRequired"), field: "unitId");
        if (!reference.Units.TryGetValue(id, out var unit)) throw new MoveRefusedException(400, Messages.Get("UnknownUnit"), field: "unitId");
        // A unit that exists but takes no cases (switched off, the centre, a partner bureau, a company) is named as such.
        if (!UnitRules.Takes(unit)) throw new MoveRefusedException(400, Messages.Get(unit.Active ? "UnitTakesNoCases" : "UnitInactive"), field: "unitId");
        if (!Covers(unit, c, reference)) throw new MoveRefusedException(400, Messages.Get("UnitOutsideArea"), field: "unitId");
        var condition = reference.Categories[c.CategoryId].Conditions.First(k => k.Id == c.ConditionId);
        (c.AssignedUnitId, c.DispatchedAt, c.State, c.HandlerId) = (id, now, CaseState.Dispatched, null);
        e.UnitId = id;
        clocks.Start(c.Clock, "handle", condition.TimeLimit, condition.TimeLimitUnit, now);
    }

    /// <summary>
    /// 并案: a report voided as a repeat of a registered case still being handled (one that can no
    /// longer be voided itself, so the pointer cannot end at a voided case, nor two reports at each
    /// other). Its public note names that case, so the citizen follows it there, and whoever answers
    /// for that case hears of the repeat.
    /// </summary>
    private async Task MergeIntoAsync(Case c, long originalId, string? reason, ReferenceData reference, DateTimeOffset now, Dictionary<string, object?> data, CancellationToken ct)
    {
        var original = originalId == c.Id ? null : await db.Cases.AsNoTracking().FirstOrDefaultAsync(x => x.Id == originalId, ct);
        if (original is null || original.State is not (CaseState.Registered or CaseState.Dispatched or CaseState.Handling or CaseState.Handled or CaseState.Feedback or CaseState.Verifying))
            throw new MoveRefusedException(400, Messages.Get("DuplicateTargetInvalid"), field: "duplicateOf");
        var note = Messages.FormatForStaff("VoidedAsDuplicate", original.Id, reason?.Trim());
        c.StatusNotes = note.Length <= 2000 ? note : note[..2000];
        data["duplicateOf"] = original.Id;
        notifier.ToAnswering(original, reference, "duplicate", NoticeText.Of("NoticeDuplicate", c.Id, original.Id), now);
    }

    /// <summary>Whether the case lies where the unit works: anywhere for a unit of the whole city; inside its territory for a street office, squad or street chief.</summary>
    internal static bool Covers(Unit unit, Case c, ReferenceData reference) =>
        unit.AreaId is not { } area || reference.Cities.Contains(area) || area == c.DistrictId || area == c.SubdistrictId || area == c.CommunityId || area == c.CellId;

    private void Return(Case c, DateTimeOffset now, CaseEvent e)
    {
        e.UnitId = c.AssignedUnitId;
        switch (c.State)
        {
            case CaseState.Registered: // dispatcher → operator
                c.State = CaseState.Reported;
                StartStep(c, "register", now);
                break;
            case CaseState.Dispatched: // unit → dispatcher: not its job
                (c.State, c.AssignedUnitId) = (CaseState.Registered, null);
                c.ReturnCount++;
                StartStep(c, "dispatch", now);
                break;
            default: // handler → unit; the handling clock runs on
                (c.State, c.HandlerId) = (CaseState.Dispatched, null);
                break;
        }
    }

    private void Rework(Case c, ReferenceData reference, DateTimeOffset now)
    {
        c.ReworkCount++;
        if (c.State == CaseState.Handled) // the unit sends its handler back; the clock runs on
        {
            c.State = CaseState.Handling;
            return;
        }
        (c.State, c.TaskAssigneeId, c.VerificationPassed, c.HandledAt, c.HandledOnTime) = (CaseState.Dispatched, null, null, null, null);
        var condition = reference.Categories[c.CategoryId].Conditions.First(k => k.Id == c.ConditionId);
        clocks.Start(c.Clock, "handle", condition.TimeLimit, condition.TimeLimitUnit, now);
    }

    private void Callback(Case c, MoveInput input, ReferenceData reference, DateTimeOffset now, Dictionary<string, object?> data)
    {
        var reached = input.Reached ?? throw Missing("reached");
        (c.CallbackAt, c.CallbackReached) = (now, reached);
        if (reached)
        {
            c.Satisfaction = input.Satisfaction ?? throw Missing("satisfaction");
            if (!Enum.IsDefined(c.Satisfaction.Value)) throw new MoveRefusedException(400, Messages.Get("SatisfactionInvalid"), field: "satisfaction");
            c.EffectiveFeedback = input.Effective ?? throw Missing("effective");
        }
        // Only a citizen who was reached can have rejected the result.
        else if (input.Reopen == true) throw new MoveRefusedException(400, Messages.Get("ReopenNeedsReach"), field: "reopen");
        data["reached"] = reached;
        // A call that reached nobody records no answers.
        data["satisfaction"] = reached ? c.Satisfaction?.ToString() : null;
        data["effective"] = reached ? c.EffectiveFeedback : null;
        if (input.Reopen == true)
        {
            // The citizen rejects the result: back to the same unit, counted as rework.
            // The call was about the result now rejected: the next closing is called back afresh
            // (this call's answers stay in the record, on this event).
            (c.State, c.ClosedAt, c.StatusNotes) = (CaseState.Feedback, null, null);
            (c.CallbackAt, c.CallbackReached, c.Satisfaction, c.EffectiveFeedback) = (null, null, null, null);
            Rework(c, reference, now);
            data["reopened"] = true;
        }
    }

    /// <summary>
    /// The inspector (or street chief) for a fact-check or verification: the one named, or the nearest
    /// inspector by area, and among those of the same area the one with the fewest open check tasks.
    /// </summary>
    private async Task<string> PickFieldWorkerAsync(Case c, string? userId, int? notOfUnit, string? notUser, CancellationToken ct)
    {
        int?[] areas = [c.CommunityId, c.SubdistrictId, c.DistrictId];
        var roles = await db.Roles.Where(r => r.Name == Roles.Inspector || r.Name == Roles.StreetChief).Select(r => new { r.Id, r.Name }).ToListAsync(ct);
        var roleIds = roles.Select(r => r.Id).ToList();
        var inspectorRole = roles.FirstOrDefault(r => r.Name == Roles.Inspector)?.Id;
        var q = db.Users.Where(u => db.UserRoles.Any(ur => ur.UserId == u.Id && roleIds.Contains(ur.RoleId)));
        q = userId != null ? q.Where(u => u.Id == userId) : q.Where(u => u.AreaId != null && areas.Contains(u.AreaId));
        var candidates = (await q.Select(u => new
            {
                u.Id, u.AreaId, u.UnitId, Inspector = db.UserRoles.Any(ur => ur.UserId == u.Id && ur.RoleId == inspectorRole),
                Open = db.Cases.Count(k => k.TaskAssigneeId == u.Id),
            }).ToListAsync(ct))
            .Where(x => (notOfUnit is null || x.Inspector || x.UnitId != notOfUnit) && x.Id != notUser).ToList(); // an inspector checks any unit's work; a street chief not their own
        var pick = userId != null
            ? candidates.FirstOrDefault(x => areas.Contains(x.AreaId))
            : candidates.Where(x => x.Inspector).OrderBy(x => Array.IndexOf(areas, x.AreaId)).ThenBy(x => x.Open).ThenBy(x => x.Id, StringComparer.Ordinal).FirstOrDefault();
        return pick?.Id ?? throw new MoveRefusedException(400, Messages.Get(userId is null ? "NoInspector" : notOfUnit is null ? "FieldWorkerNotInArea" : "FieldWorkerNotInAreaOrHandled"), field: "userId");
    }

    private static readonly CompiledQuery<Func<CityOpsDb, string, int?, CancellationToken, Task<bool>>> HandlerOfUnit = new(() =>
        EF.CompileAsyncQuery((CityOpsDb db, string userId, int? unitId, CancellationToken ct) => db.Users.Any(u => u.Id == userId && u.UnitId == unitId)));

    /// <summary>The person named to own a case: an operator or shift lead of the command centre.</summary>
    private async Task<string> OperatorAsync(string? userId, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(userId)) throw Missing("userId");
        var ok = await CentreOperators(db).AnyAsync(u => u.Id == userId, ct);
        return ok ? userId : throw new MoveRefusedException(400, Messages.Get("TransferTargetInvalid"), field: "userId");
    }

    /// <summary>Whom a case may be owned by: the command centre's operators and shift leads.</summary>
    public static IQueryable<AppUser> CentreOperators(CityOpsDb db) =>
        db.Users.Where(u => db.Units.Any(x => x.Id == u.UnitId && x.Kind == UnitKind.CommandCentre)
            && db.UserRoles.Any(ur => ur.UserId == u.Id && db.Roles.Any(r => r.Id == ur.RoleId && (r.Name == Roles.Operator || r.Name == Roles.ShiftLead))));

    /// <summary>The shift leads (值班长), who decide requests to extend or suspend.</summary>
    private Task<List<string>> ShiftLeadsAsync(CancellationToken ct) =>
        db.Users.AsNoTracking().Where(u => db.UserRoles.Any(ur => ur.UserId == u.Id && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.ShiftLead)))
            .Select(u => u.Id).ToListAsync(ct);

    /// <summary>Whom the unit last assigned the case to (the target of its latest <c>assign</c> event), if they are still of the unit.</summary>
    private async Task<string?> AssignedHandlerAsync(Case c, CancellationToken ct)
    {
        var assigned = await db.CaseEvents.AsNoTracking().Where(x => x.CaseId == c.Id && x.Action == "assign").OrderByDescending(x => x.Seq)
            .Select(x => x.TargetUserId).FirstOrDefaultAsync(ct);
        return assigned is not null && await HandlerOfUnit.For(db)(db, assigned, c.AssignedUnitId, ct) ? assigned : null;
    }

    private async Task<string> CheckHandlerAsync(Case c, string? userId, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(userId)) throw Missing("userId");
        var ok = await HandlerOfUnit.For(db)(db, userId, c.AssignedUnitId, ct);
        return ok ? userId : throw new MoveRefusedException(400, Messages.Get("HandlerNotInUnit"), field: "userId");
    }
}
