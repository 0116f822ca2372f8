using CityOps.Server.Data;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Supervision;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Cases.Workflow;

/// <summary>What each move does to a case, once <see cref="CaseMoves"/> has checked it may happen.</summary>
public sealed partial class MoveEffects(CityOpsDb db, Clocks clocks, Notifier notifier, IOptions<WorkflowOptions> options)
{
    /// <summary>Applies the move; returns facts worth keeping in the event's data.</summary>
    public async Task<Dictionary<string, object?>> ApplyAsync(MoveRule rule, Case c, MoveInput input, CurrentUser user, CaseEvent e, ReferenceData reference, DateTimeOffset now, CancellationToken ct)
    {
        var data = new Dictionary<string, object?>();
        var (clockBefore, stepBefore, taskBefore) = (c.Clock.Number, c.Clock.Step, c.TaskAssigneeId);
        switch (rule.Action)
        {
            case "locate":
                Locate(c, input, reference, data);
                StartStep(c, "register", now);
                break;
            case "claim":
                c.ClaimedById = user.Id;
                break;
            case "transfer":
                var to = await OperatorAsync(input.UserId, ct);
                if (to == c.ClaimedById) throw new MoveRefusedException(400, Messages.Get("TransferToOwner"), field: "userId");
                c.ClaimedById = e.TargetUserId = to;
                notifier.ToUser(to, c, "transferred", NoticeText.Of("NoticeTransferred", c.Id));
                break;
            case "factcheck":
            case "verify":
                c.ClaimedById ??= user.Id;
                // A verification is not made by the unit whose work it checks (a street chief who handled the case).
                var worker = await PickFieldWorkerAsync(c, input.UserId, rule.Action == "verify" ? c.AssignedUnitId : null, input.UserId is null ? c.TaskAssigneeId : null, ct);
                if (worker == c.TaskAssigneeId) throw new MoveRefusedException(400, Messages.Get("TaskAlreadyHeld"), field: "userId");
                c.TaskAssigneeId = e.TargetUserId = worker;
                c.State = rule.To!.Value;
                StartStep(c, rule.Action, now);
                break;
            case "factcheck-report":
            case "verify-report":
                data["passed"] = input.Passed ?? throw Missing("passed");
                if (rule.Action == "verify-report") c.VerificationPassed = input.Passed;
                c.TaskAssigneeId = null;
                c.State = rule.To!.Value;
                // Back with the centre, on the clock of its next step (registering or voiding a report;
                // closing, or reworking, a checked result). The case's owner is told what the check found.
                var next = rule.Action == "factcheck-report" ? "register" : "close";
                StartStep(c, next, now);
                notifier.ToAnswering(c, reference, rule.Action, NoticeText.Of(
                    (rule.Action == "verify-report" ? "NoticeVerify" : "NoticeFactCheck") + (input.Passed == true ? "Passed" : "Failed"), c.Id));
                break;
            case "register":
                Register(c, input, user, reference, now, data);
                break;
            case "void":
                (c.State, c.StatusNotes, c.ClosedAt, c.ClaimedById, c.TaskAssigneeId) = (CaseState.Voided, input.Reason, now, c.ClaimedById ?? user.Id, null);
                Clocks.Stop(c.Clock);
                if (input.DuplicateOf is { } original) await MergeIntoAsync(c, original, input.Reason, reference, now, data, ct);
                break;
            case "dispatch":
                Dispatch(c, input.UnitId ?? c.AssignedUnitId, reference, now, e);
                break;
            case "recall":
                // The unit and (when one was at work on it) the handler are told before the case leaves them.
                e.UnitId = c.AssignedUnitId;
                notifier.ToUnit(c.AssignedUnitId, c, "recalled", NoticeText.Of("NoticeRecalled", c.Id));
                notifier.ToUser(c.HandlerId, c, "recalled", NoticeText.Of("NoticeRecalled", c.Id));
                (c.State, c.AssignedUnitId, c.HandlerId) = (CaseState.Registered, null, null);
                StartStep(c, "dispatch", now);
                break;
            case "return":
                Return(c, now, e);
                break;
            case "assign":
                var handler = await CheckHandlerAsync(c, input.UserId, ct);
                // Handing a case to the handler who has it changes nothing: a reassignment names someone else.
                if (c.State == CaseState.Handling && handler == c.HandlerId) throw new MoveRefusedException(400, Messages.Get("AssignToHandler"), field: "userId");
                c.HandlerId = e.TargetUserId = handler;
                c.State = CaseState.Handling;
                break;
            case "submit":
                if (string.IsNullOrWhiteSpace(input.Notes)) throw Missing("notes");
                if ((input.Attachments?.Count ?? 0) < options.Value.MinResultAttachments)
                    throw new MoveRefusedException(400, Messages.Format("ResultNeedsPhotos", options.Value.MinResultAttachments), field: "attachments");
                // Whoever submits the result did the work: its handler of record, whom the unit's sign-off must not be.
                (c.ResultNotes, c.State, c.HandlerId) = (input.Notes, CaseState.Handled, user.Id);
                break;
            case "confirm":
                (c.State, c.HandledAt, c.HandledOnTime) = (CaseState.Feedback, now, clocks.WithinLimit(c.Clock, now));
                // Nobody signs off their own work unchecked: the centre must have it verified first.
                var self = c.HandlerId == user.Id;
                c.VerifyBeforeClose = self && options.Value.VerifySelfSignOff;
                if (self) data["selfConfirmed"] = true;
                // The feedback is the centre's now: it verifies or closes on a clock of its own.
                StartStep(c, "close", now);
                break;
            case "rework":
                // The unit refuses a result: the case goes back to the handler it gave the case to, even
                // when a lead submitted for them (and so became the handler of record).
                if (c.State == CaseState.Handled) c.HandlerId = e.TargetUserId = await AssignedHandlerAsync(c, ct) ?? c.HandlerId;
                Rework(c, reference, now);
                break;
            case "close":
                if (input.ClosingConditionMet != true) throw new MoveRefusedException(400, Messages.Get("ClosingConditionRequired"), field: "closingConditionMet");
                (c.State, c.ClosedAt) = (CaseState.Closed, now);
                c.StatusNotes = string.IsNullOrWhiteSpace(input.Notes) ? ClosingText(c, reference) : input.Notes.Trim();
                Clocks.Stop(c.Clock);
                break;
            case "callback":
                Callback(c, input, reference, now, data);
                if (c.State != CaseState.Closed)
                {
                    // Reopened: the citizen sees it in the public record, the unit in its inbox.
                    e.Public = true;
                    e.Reason ??= Messages.GetForStaff("CallbackReopened");
                }
                break;
            case "extend":
            case "suspend":
                if (rule.Action == "extend") data["value"] = input.Value ?? throw Missing("value");
                (c.Pending, c.PendingValue, c.PendingReason, c.PendingById) =
                    rule.Action == "extend" ? (PendingRequest.Extension, input.Value, input.Reason, user.Id) : (PendingRequest.Suspension, null, input.Reason, user.Id);
                // The shift leads decide it: each is told by name (the rest of the centre is not).
                foreach (var lead in await ShiftLeadsAsync(ct))
                    notifier.ToUser(lead, c, "request", NoticeText.Of(rule.Action == "extend" ? "NoticeExtensionRequested" : "NoticeSuspensionRequested", c.Id));
                break;
            case "approve":
                data["request"] = c.Pending.ToString();
                if (c.Pending == PendingRequest.Extension) { clocks.Extend(c.Clock, c.PendingValue ?? 0); c.ExtensionCount++; data["value"] = c.PendingValue; }
                else { clocks.Pause(c.Clock, now); c.SuspensionCount++; }
                notifier.ToUser(c.PendingById, c, "approved", NoticeText.Of("NoticeApproved", c.Id));
                (c.Pending, c.PendingValue, c.PendingReason, c.PendingById) = (PendingRequest.None, null, null, null);
                break;
            case "reject":
                data["request"] = c.Pending.ToString();
                notifier.ToUser(c.PendingById, c, "rejected", NoticeText.Of("NoticeRejected", c.Id));
                (c.Pending, c.PendingValue, c.PendingReason, c.PendingById) = (PendingRequest.None, null, null, null);
                break;
            case "resume":
                clocks.Resume(c.Clock, now);
                break;
            case "supervise":
                notifier.Supervise(c, reference, $"manual:{c.Id}:{c.LastEventSeq + 1}", automatic: false, user.Id, input.Reason, now);
                break;
        }
        if (c.Pending != PendingRequest.None && (c.Clock.Number != clockBefore || c.Clock.Step != stepBefore))
        {
            // A request to extend or suspend concerns the clock it was made on: when that clock
            // stops or another starts (the case left the unit, went on to feedback, came back for
            // rework), nobody may approve it any more. Whoever asked is told.
            data["withdrawn"] = c.Pending.ToString();
            notifier.ToUser(c.PendingById, c, "withdrawn", NoticeText.Of("NoticeWithdrawn", c.Id));
            (c.Pending, c.PendingValue, c.PendingReason, c.PendingById) = (PendingRequest.None, null, null, null);
        }
        if (taskBefore is not null && c.TaskAssigneeId != taskBefore && rule.Action is not ("factcheck-report" or "verify-report"))
        {
            // The check task was taken away (voided, reworked, given to someone else): its holder is told not to go.
            data["taskWithdrawn"] = taskBefore;
            notifier.ToUser(taskBefore, c, "task-withdrawn", NoticeText.Of("NoticeTaskWithdrawn", c.Id));
        }
        return data;
    }

    /// <summary>Whether the running step is within its limit now (see <see cref="Clocks.WithinLimit"/>).</summary>
    public bool WithinLimit(Case c, DateTimeOffset now) => clocks.WithinLimit(c.Clock, now);

    /// <summary>Notifications for the people the move concerns, and the public outbox message.</summary>
    public void AfterMove(Case c, CaseEvent e, MoveRule rule, ReferenceData reference, DateTimeOffset now)
    {
        switch (rule.Action)
        {
            // Back with the centre: whoever owns the case (or the whole centre, when nobody does) is told.
            case "confirm":
                notifier.ToAnswering(c, reference, "feedback", NoticeText.Of("NoticeFeedback", c.Id));
                break;
            case "dispatch" or "rework" when c.State == CaseState.Dispatched:
                notifier.ToUnit(c.AssignedUnitId, c, rule.Action, NoticeText.Of("NoticeDispatched", c.Id));
                break;
            case "callback" when c.State == CaseState.Dispatched:
                notifier.ToUnit(c.AssignedUnitId, c, "reopened", NoticeText.Of("NoticeReopened", c.Id));
                break;
            case "assign":
                notifier.ToUser(c.HandlerId, c, "assigned", NoticeText.Of("NoticeAssigned", c.Id));
                break;
            case "rework" when c.State == CaseState.Handling:
                notifier.ToUser(c.HandlerId, c, "rework", NoticeText.Of("NoticeReworked", c.Id));
                break;
            case "factcheck" or "verify":
                notifier.ToUser(c.TaskAssigneeId, c, rule.Action, NoticeText.Of("NoticeTask", c.Id));
                break;
        }
        if (e.Public) notifier.Outbox(c, e, now);
    }

    /// <summary>Starts the clock of a centre step (register, factcheck, dispatch, verify, close) on its configured limit.</summary>
    private void StartStep(Case c, string step, DateTimeOffset now)
    {
        var limit = options.Value.Step(step);
        clocks.Start(c.Clock, step, limit.Value, limit.Unit, now);
    }

    private static MoveRefusedException Missing(string field) => new(400, Messages.Format("FieldRequired", field), field: field);

    private static string ClosingText(Case c, ReferenceData reference)
    {
        var condition = reference.Categories[c.CategoryId].Conditions.FirstOrDefault(k => k.Id == c.ConditionId);
        return condition is null ? Messages.GetForStaff("StateClosed") : condition.ClosingZh;
    }

    private static void Locate(Case c, MoveInput input, ReferenceData reference, Dictionary<string, object?> data)
    {
        if (input.Lat is not { } lat || input.Lon is not { } lon) throw Missing("lat");
        if (!Coordinates.TryParse(input.CoordinateSystem, out var cs)) throw new MoveRefusedException(400, Messages.Get("CoordinateSystemUnknown"), field: "coordinateSystem");
        var (wLon, wLat) = Coordinates.ToWgs84(cs, lon, lat);
        var route = reference.Routing.Route(wLon, wLat, c.CategoryId) ?? throw new MoveRefusedException(400, Messages.Get("OutsideCity"), field: "lat");
        (c.Lat, c.Lon, c.CellId, c.CommunityId, c.SubdistrictId, c.DistrictId) = (wLat, wLon, route.CellId, route.CommunityId, route.SubdistrictId, route.DistrictId);
        (c.AssignedUnitId, c.RoutingReason, c.RoutingDetail, c.State) = (route.UnitId, route.Reason, RoutingText.Detail(route, reference), CaseState.Reported);
        data["routing"] = c.RoutingDetail;
    }
}
