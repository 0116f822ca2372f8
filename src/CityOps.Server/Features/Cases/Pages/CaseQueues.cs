using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Cases.Pages;

/// <summary>The work queues of the web app, as filters over the cases a user may see.</summary>
public static class CaseQueues
{
    public static readonly string[] Names = ["mine", "pool", "dispatch", "handling", "verify", "requests", "overdue", "supervised", "all"];

    private static readonly CaseState[] WithUnit = [CaseState.Dispatched, CaseState.Handling, CaseState.Handled];
    private static readonly CaseState[] Checking = [CaseState.Feedback, CaseState.Verifying];
    // Listed rather than "not closed, not voided", so the (state, reported) index serves the open queues.
    private static readonly CaseState[] Open = Enum.GetValues<CaseState>().Where(s => s is not (CaseState.Closed or CaseState.Voided)).ToArray();

    public static IQueryable<Case> Apply(CityOpsDb db, IQueryable<Case> q, string queue, CurrentUser u) => queue switch
    {
        "mine" => q.Where(c => Open.Contains(c.State)
                               && (c.ClaimedById == u.Id || c.HandlerId == u.Id || c.TaskAssigneeId == u.Id || (u.UnitId != null && c.AssignedUnitId == u.UnitId && c.State == CaseState.Dispatched))),
        "pool" => q.Where(c => c.State == CaseState.Reported || c.State == CaseState.NeedsLocation),
        "dispatch" => q.Where(c => c.State == CaseState.Registered),
        "handling" => q.Where(c => WithUnit.Contains(c.State)),
        "verify" => q.Where(c => Checking.Contains(c.State)),
        // Requests to extend or suspend awaiting a shift lead (made only while the unit has the case, so the state index serves).
        "requests" => q.Where(c => WithUnit.Contains(c.State) && c.Pending != PendingRequest.None),
        "overdue" => q.Where(c => Open.Contains(c.State)).OverdueTo(u),
        "supervised" => q.Where(c => Open.Contains(c.State)).SupervisedTo(db, u),
        _ => q,
    };

    /// <summary>The queue a role starts in.</summary>
    public static string Default(CurrentUser u) =>
        u.IsIn(Roles.Operator) ? "pool" : u.IsIn(Roles.Dispatcher) ? "dispatch" : u.IsAnyOf([Roles.ShiftLead, Roles.Leader, Roles.Admin]) ? "overdue" : "mine";

    public sealed record Filters(string? Category, string? Channel, string? Area, string Sort = "new", string? Unit = null, DateOnly? From = null, DateOnly? To = null,
        TimeZoneInfo? Zone = null);

    public sealed record Page(IReadOnlyDictionary<string, int> Counts, int Total, IReadOnlyList<CaseViews.CaseSummary> Rows, string? FilterError);

    /// <summary>What the queue screen shows: the count of every queue, and one page of one queue.</summary>
    public static async Task<Page> LoadAsync(CityOpsDb db, ReferenceData r, Workflow.Clocks clocks, CurrentUser user, string queue, Filters f, int page, int pageSize,
        DateTimeOffset now, CancellationToken ct)
    {
        var visible = db.Cases.AsNoTracking().VisibleTo(user);
        var counts = new Dictionary<string, int>();
        foreach (var name in Names) counts[name] = await Apply(db, visible, name, user).CountAsync(ct);
        string? error = null;
        var q = Apply(db, visible, queue, user);
        if (!string.IsNullOrWhiteSpace(f.Category))
        {
            if (r.CategoriesByCode.TryGetValue(f.Category.Trim(), out var cat)) q = q.Where(c => c.CategoryId == cat.Id);
            else error = Messages.Format("ServiceCodeUnknown", f.Category);
        }
        if (!string.IsNullOrWhiteSpace(f.Channel))
        {
            if (r.ChannelsByCode.TryGetValue(f.Channel.Trim(), out var ch)) q = q.Where(c => c.ChannelId == ch.Id);
            else error = Messages.Get("ChannelUnknown");
        }
        if (!string.IsNullOrWhiteSpace(f.Area))
        {
            var areaId = r.Areas.FirstOrDefault(a => a.Value.Code == f.Area.Trim()).Key;
            if (areaId != 0) q = q.Where(c => c.DistrictId == areaId || c.SubdistrictId == areaId || c.CommunityId == areaId);
            else error = Messages.Get("UnknownArea");
        }
        if (!string.IsNullOrWhiteSpace(f.Unit))
        {
            var unit = r.Units.Values.FirstOrDefault(u => u.Code.Equals(f.Unit.Trim(), StringComparison.OrdinalIgnoreCase));
            if (unit is not null) q = q.Where(c => c.AssignedUnitId == unit.Id);
            else error = Messages.Get("UnknownUnit");
        }
        if (f.From > f.To) error = Messages.Get("PeriodReversed");
        else if (f.Zone is { } zone)
        {
            DateTimeOffset Start(DateOnly d) => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), zone.GetUtcOffset(d.ToDateTime(TimeOnly.MinValue))).ToUniversalTime();
            if (f.From is { } from) { var t = Start(from); q = q.Where(c => c.ReportedAt >= t); }
            if (f.To is { } to) { var t = Start(to.AddDays(1)); q = q.Where(c => c.ReportedAt < t); }
        }
        var total = await q.CountAsync(ct);
        var rows = await Sorted(q, f.Sort).Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        return new Page(counts, total, rows.Select(c => CaseViews.Summary(c, r, clocks, now, user.SeesPersonalData)).ToList(), error);
    }

    /// <summary>The orders a case list can have: <c>new</c> (newest first) and <c>due</c> (the nearest deadline first, cases without one last).</summary>
    public static readonly string[] Sorts = ["new", "due"];

    public static IQueryable<Case> Sorted(IQueryable<Case> q, string sort) => sort == "due"
        ? q.OrderBy(c => c.Clock.DueAt == null).ThenBy(c => c.Clock.DueAt).ThenByDescending(c => c.Id)
        : q.OrderByDescending(c => c.Id);
}
