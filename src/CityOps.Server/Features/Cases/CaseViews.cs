using CityOps.Server.Data;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Cases;

/// <summary>Cases as staff see them: what each role may see, with personal data masked where it must be.</summary>
public static class CaseViews
{
    public sealed record Place(double? Lat, double? Lon, double? LatGcj02, double? LonGcj02, string? Address, string? Cell, string? Community, string? Subdistrict, string? District);
    public sealed record Routed(int? UnitId, string? UnitCode, string? UnitName, RoutingReason Reason, string ReasonLabel, string? Detail);
    public sealed record Reporter(long ReportId, string Channel, string? Name, string? Phone, string? Email, DateTimeOffset ReceivedAt, bool Merged, string Description);
    public sealed record EventRow(int Seq, DateTimeOffset At, string Action, string? ActorName, string? ActorRole, CaseState? From, CaseState To,
        int? UnitId, string? TargetUserId, string? Reason, string? Data, string PrevHash, string Hash);
    public sealed record CaseSummary(long Id, CaseState State, string Category, string CategoryName, string Channel, string Description, Place Place,
        Routed Routing, int ReportCount, DateTimeOffset ReportedAt, DateTimeOffset UpdatedAt, Workflow.DeadlineView? Deadline);
    public sealed record CaseDetail(long Id, CaseState State, string Category, string CategoryName, string? Condition, string Channel, string Description,
        Place Place, Routed Routing, int ReportCount, DateTimeOffset ReportedAt, DateTimeOffset UpdatedAt, string? StatusNotes,
        IReadOnlyList<string> Photos, IReadOnlyList<Reporter> Reporters, IReadOnlyList<EventRow> History, int Version,
        Workflow.DeadlineView? Deadline, Work Work, IReadOnlyList<string> AllowedActions, IReadOnlyList<Workflow.HeldMove> HeldActions);
    /// <summary>What a move answers: the case's new state and the events the move appended (not the whole file).</summary>
    public sealed record MoveOutcome(long Id, CaseState State, int Version, Routed Routing, Workflow.DeadlineView? Deadline, Work Work,
        IReadOnlyList<string> AllowedActions, IReadOnlyList<EventRow> Appended);
    public sealed record Work(string? ClaimedById, string? HandlerId, string? TaskAssigneeId, string? ResultNotes, bool? VerificationPassed,
        int ReworkCount, int ReturnCount, int ExtensionCount, int SuspensionCount, int SupervisionCount, PendingRequest Pending, double? PendingValue,
        string? PendingReason, bool? HandledOnTime, bool? CallbackReached, Satisfaction? Satisfaction, bool? EffectiveFeedback, bool VerifyBeforeClose);

    /// <summary>
    /// The states a case reaches only once dispatched. A unit sees the cases it has been given, not
    /// those merely routed to it and still with the centre (nor one voided there).
    /// </summary>
    private static readonly CaseState[] GivenToUnit = [CaseState.Dispatched, CaseState.Handling, CaseState.Handled, CaseState.Feedback, CaseState.Verifying, CaseState.Closed];

    /// <summary>
    /// Restricts a query to the cases the user may see (DOMAIN §1: a unit sees its own once dispatched
    /// to it, and a unit's leads what the units below theirs have; a street chief or inspector their area too).
    /// </summary>
    public static IQueryable<Case> VisibleTo(this IQueryable<Case> q, CurrentUser u)
    {
        if (SeesEveryCase(u)) return q;
        int? unit = u.UnitId, area = u.AreaId;
        var below = u.Oversees ?? [];
        var field = u.IsAnyOf([Roles.StreetChief, Roles.Inspector]);
        if (!field && !u.IsAnyOf([Roles.Department, Roles.Handler, Roles.Enforcement])) return q.Where(_ => false);
        if (field && below.Count == 0)
            return q.Where(c => (unit != null && c.AssignedUnitId == unit && GivenToUnit.Contains(c.State))
                                || (area != null && (c.CommunityId == area || c.SubdistrictId == area || c.DistrictId == area)));
        if (field)
            return q.Where(c => (((unit != null && c.AssignedUnitId == unit) || below.Contains(c.AssignedUnitId)) && GivenToUnit.Contains(c.State))
                                || (area != null && (c.CommunityId == area || c.SubdistrictId == area || c.DistrictId == area)));
        return below.Count == 0
            ? q.Where(c => unit != null && c.AssignedUnitId == unit && GivenToUnit.Contains(c.State))
            : q.Where(c => ((unit != null && c.AssignedUnitId == unit) || below.Contains(c.AssignedUnitId)) && GivenToUnit.Contains(c.State));
    }

    /// <summary>The steps whose lateness is the command centre's own (registering, dispatching, closing).</summary>
    private static readonly string[] CentreSteps = ["register", "dispatch", "close"];

    /// <summary>
    /// Restricts a query to the cases that are (or are not) overdue as the user sees them: for whoever
    /// sees every case, any step's; for units and field staff, the steps they answer for (handling,
    /// fact-checks and verifications), not the centre's own lateness on a case they can see (a result
    /// the unit handed in on time that the centre has not yet closed).
    /// </summary>
    public static IQueryable<Case> OverdueTo(this IQueryable<Case> q, CurrentUser u, bool overdue = true)
    {
        if (SeesEveryCase(u)) return q.Where(c => c.Clock.OverdueRaised == overdue);
        return overdue
            ? q.Where(c => c.Clock.OverdueRaised && !CentreSteps.Contains(c.Clock.Step!))
            : q.Where(c => !c.Clock.OverdueRaised || CentreSteps.Contains(c.Clock.Step!));
    }

    /// <summary>
    /// Restricts a query to the cases that are (or are not) under 督办 as the user sees them: for whoever
    /// sees every case, any order; for units and field staff, an order they can read (to their unit, to
    /// a unit below it, or naming it as superior), not the centre's 督办 of its own lateness.
    /// </summary>
    public static IQueryable<Case> SupervisedTo(this IQueryable<Case> q, CityOpsDb db, CurrentUser u, bool supervised = true)
    {
        if (SeesEveryCase(u)) return supervised ? q.Where(c => c.SupervisionCount > 0) : q.Where(c => c.SupervisionCount == 0);
        var orders = Supervision.SupervisionOrders.VisibleTo(db.SupervisionOrders, u);
        return supervised
            ? q.Where(c => c.SupervisionCount > 0 && orders.Any(o => o.CaseId == c.Id))
            : q.Where(c => c.SupervisionCount == 0 || !orders.Any(o => o.CaseId == c.Id));
    }

    /// <summary>
    /// The rule of <see cref="VisibleTo"/> for one case already at hand. Look a case up by its id
    /// alone and then ask this: mixed into the id query, the unit condition can lead PostgreSQL's
    /// cached plan for the prepared statement to walk every case of the unit instead of the key.
    /// </summary>
    public static bool CanSee(this CurrentUser u, Case c) => CanSee(u, c.State, c.AssignedUnitId, c.CommunityId, c.SubdistrictId, c.DistrictId);

    public static bool CanSee(CurrentUser u, CaseState state, int? assignedUnitId, int? communityId, int? subdistrictId, int? districtId)
    {
        if (SeesEveryCase(u)) return true;
        int? unit = u.UnitId, area = u.AreaId;
        var mine = ((unit != null && assignedUnitId == unit) || (u.Oversees ?? []).Contains(assignedUnitId)) && GivenToUnit.Contains(state);
        if (u.IsAnyOf([Roles.StreetChief, Roles.Inspector]))
            return mine || (area != null && (communityId == area || subdistrictId == area || districtId == area));
        if (u.IsAnyOf([Roles.Department, Roles.Handler, Roles.Enforcement]))
            return mine;
        return false;
    }

    /// <summary>Whether case <paramref name="id"/> exists and the user may see it (one look-up by key).</summary>
    public static async Task<bool> IsVisibleAsync(CityOpsDb db, long id, CurrentUser u, CancellationToken ct)
    {
        var row = await db.Cases.AsNoTracking().Where(c => c.Id == id)
            .Select(c => new { c.State, c.AssignedUnitId, c.CommunityId, c.SubdistrictId, c.DistrictId }).FirstOrDefaultAsync(ct);
        return row is not null && CanSee(u, row.State, row.AssignedUnitId, row.CommunityId, row.SubdistrictId, row.DistrictId);
    }

    /// <summary>A description as its reader may see it: mobile and identity numbers typed into it masked for those who see no personal data.</summary>
    public static string Described(string description, bool personal) => personal ? description : Workflow.PublicText.Masked(description) ?? "";

    /// <summary>
    /// A case's status notes in the reader's language where the platform wrote them: the registration
    /// condition's closing text is kept in Chinese and read in English from the condition; what staff
    /// wrote stays as written.
    /// </summary>
    public static string? StatusNotesOf(Case c, ReferenceData r)
    {
        if (c.StatusNotes is not { } notes || Messages.IsChinese || c.State != CaseState.Closed) return c.StatusNotes;
        var condition = r.Categories[c.CategoryId].Conditions.FirstOrDefault(k => k.Id == c.ConditionId);
        if (condition is not null && notes == condition.ClosingZh && !string.IsNullOrEmpty(condition.ClosingEn)) return condition.ClosingEn;
        return notes == Messages.GetForStaff("StateClosed") ? Messages.Get("StateClosed") : notes;
    }

    /// <summary>The command centre, leaders and administrators see every case.</summary>
    public static bool SeesEveryCase(CurrentUser u) => u.IsAnyOf([Roles.Operator, Roles.Dispatcher, Roles.ShiftLead, Roles.Leader, Roles.Admin]);

    /// <summary>A case in a list; <paramref name="personal"/>: whether its reader sees personal data (else numbers in the description are masked).</summary>
    public static CaseSummary Summary(Case c, ReferenceData r, Workflow.Clocks clocks, DateTimeOffset now, bool personal) => new(
        c.Id, c.State, r.Categories[c.CategoryId].ServiceCode, Name(r, c.CategoryId), r.Channels[c.ChannelId].Code, Described(c.Description, personal),
        PlaceOf(c, r), RoutedOf(c, r), c.ReportCount, c.ReportedAt, c.UpdatedAt, clocks.View(c.Clock, now));

    public static async Task<CaseDetail?> DetailAsync(CityOpsDb db, ReferenceData r, long id, CurrentUser user, Workflow.Clocks clocks, DateTimeOffset now, CancellationToken ct)
    {
        var c = await db.Cases.AsNoTracking().Include(x => x.Photos).Include(x => x.Reports).Include(x => x.Events)
            .AsSplitQuery().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (c is null) return null;
        var category = r.Categories[c.CategoryId];
        var condition = category.Conditions.FirstOrDefault(k => k.Id == c.ConditionId);
        var seePersonal = user.SeesPersonalData;
        return new CaseDetail(
            c.Id, c.State, category.ServiceCode, Name(r, c.CategoryId), condition is null ? null : Messages.Pick(condition.DescriptionZh, condition.DescriptionEn),
            r.Channels[c.ChannelId].Code, Described(c.Description, seePersonal), PlaceOf(c, r), RoutedOf(c, r), c.ReportCount, c.ReportedAt, c.UpdatedAt,
            seePersonal ? StatusNotesOf(c, r) : Workflow.PublicText.Masked(StatusNotesOf(c, r)),
            c.Photos.OrderBy(p => p.Id).Select(p => p.Url).ToList(),
            c.Reports.OrderBy(x => x.Id).Select(x => new Reporter(x.Id, r.Channels[x.ChannelId].Code,
                seePersonal ? x.ReporterName : Mask.Name(x.ReporterName), seePersonal ? x.ReporterPhone : Mask.Phone(x.ReporterPhone),
                seePersonal ? x.ReporterEmail : Mask.Email(x.ReporterEmail), x.ReceivedAt, x.MergedIntoExisting, Described(x.Description, seePersonal))).ToList(),
            c.Events.OrderBy(e => e.Seq).Select(e => Row(e, seePersonal)).ToList(),
            c.Version, clocks.View(c.Clock, now), WorkOf(c, seePersonal), Workflow.Workflow.Allowed(c, user), Workflow.Workflow.Held(c, user));
    }

    public static MoveOutcome Outcome(Case c, ReferenceData r, CurrentUser user, Workflow.Clocks clocks, DateTimeOffset now, bool replayed) => new(
        c.Id, c.State, c.Version, RoutedOf(c, r), clocks.View(c.Clock, now), WorkOf(c, user.SeesPersonalData), Workflow.Workflow.Allowed(c, user),
        replayed ? [] : c.Events.OrderBy(e => e.Seq).Select(e => Row(e, user.SeesPersonalData)).ToList());

    /// <summary>An event as its reader may see it: for those who see no personal data, numbers in its free text (reason, notes) masked.</summary>
    private static EventRow Row(CaseEvent e, bool personal) =>
        new(e.Seq, e.At, e.Action, e.ActorName, e.ActorRole, e.FromState, e.ToState, e.UnitId, e.TargetUserId,
            personal ? e.Reason : Workflow.PublicText.Masked(e.Reason), personal ? e.Data : NotesMasked(e.Data), e.PrevHash, e.Hash);

    /// <summary>An event's data with its one free text, <c>notes</c>, masked (the rest are codes, numbers and file hashes).</summary>
    private static string? NotesMasked(string? data)
    {
        if (data is null || !data.Contains("\"notes\"", StringComparison.Ordinal)) return data;
        if (System.Text.Json.Nodes.JsonNode.Parse(data) is not System.Text.Json.Nodes.JsonObject o || o["notes"]?.GetValueKind() != System.Text.Json.JsonValueKind.String) return data;
        var notes = o["notes"]!.GetValue<string>();
        var masked = Workflow.PublicText.Masked(notes);
        if (masked == notes) return data;
        o["notes"] = masked;
        return o.ToJsonString();
    }

    private static Work WorkOf(Case c, bool personal) =>
        new(c.ClaimedById, c.HandlerId, c.TaskAssigneeId, personal ? c.ResultNotes : Workflow.PublicText.Masked(c.ResultNotes), c.VerificationPassed, c.ReworkCount,
            c.ReturnCount, c.ExtensionCount, c.SuspensionCount, c.SupervisionCount, c.Pending, c.PendingValue,
            personal ? c.PendingReason : Workflow.PublicText.Masked(c.PendingReason), c.HandledOnTime, c.CallbackReached, c.Satisfaction, c.EffectiveFeedback,
            c.VerifyBeforeClose);

    private static string Name(ReferenceData r, int categoryId) => Messages.Pick(r.Categories[categoryId].NameZh, r.Categories[categoryId].NameEn);

    private static Place PlaceOf(Case c, ReferenceData r)
    {
        string? Code(int? id) => id is { } v && r.Areas.TryGetValue(v, out var a) ? a.Code : null;
        (double Lon, double Lat)? gcj = c.Lat is { } lat && c.Lon is { } lon ? Coordinates.Wgs84ToGcj02(lon, lat) : null;
        var cell = c.Lat is { } la && c.Lon is { } lo ? r.Routing.Locate(lo, la)?.Code : null;
        return new Place(c.Lat, c.Lon, gcj?.Lat, gcj?.Lon, c.Address, cell, Code(c.CommunityId), Code(c.SubdistrictId), Code(c.DistrictId));
    }

    private static Routed RoutedOf(Case c, ReferenceData r)
    {
        var unit = c.AssignedUnitId is { } id && r.Units.TryGetValue(id, out var u) ? u : null;
        return new Routed(unit?.Id, unit?.Code, unit is null ? null : Messages.Pick(unit.NameZh, unit.NameEn), c.RoutingReason,
            Routing.RoutingText.Label(c.RoutingReason), c.RoutingDetail);
    }
}

/// <summary>Masks personal data for roles that need not see it: 张** / 138****1234 / z***@example.com.</summary>
public static class Mask
{
    public static string? Name(string? s) => string.IsNullOrEmpty(s) ? s : s[..1] + new string('*', Math.Max(1, s.Length - 1));

    public static string? Phone(string? s) =>
        string.IsNullOrEmpty(s) ? s : s.Length <= 4 ? "****" : s.Length < 8 ? new string('*', s.Length - 2) + s[^2..] : s[..3] + new string('*', s.Length - 7) + s[^4..];

    public static string? Email(string? s)
    {
        if (string.IsNullOrEmpty(s)) return s;
        var at = s.IndexOf('@', StringComparison.Ordinal);
        return at <= 0 ? "***" : s[..1] + "***" + s[at..];
    }
}
