using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Cases.Workflow;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Evaluation;

/// <summary>
/// 回访: closed cases whose citizens have not been called back yet, oldest closure first. The call's
/// outcome is the case's "callback" move (reached, satisfaction, effective, reopen). A citizen not
/// reached is tried again, <see cref="WorkflowOptions.CallbackRetryAfter"/> after the last call, up to
/// <see cref="WorkflowOptions.CallbackAttempts"/> calls after each closing, within
/// <see cref="WorkflowOptions.CallbackRetryWithin"/> of it.
/// </summary>
public static class CallbackQueue
{
    public sealed record Item(long CaseId, string Category, string CategoryName, string Description, DateTimeOffset ClosedAt, int? UnitId,
        string? UnitName, string? ReporterName, string? ReporterPhone, int OtherReporters, string? StatusNotes, int Calls, DateTimeOffset? LastCallAt);

    /// <summary>Who works the callback queue.</summary>
    public static readonly string[] Callers = [Roles.Operator, Roles.ShiftLead, Roles.Leader, Roles.Admin];

    public static async Task<Results<Ok<CaseEndpoints.Paged<Item>>, ValidationProblem, ForbidHttpResult>> ListAsync(
        HttpContext http, CityOpsDb db, ReferenceDataCache cache, IOptions<WorkflowOptions> rules, TimeProvider clock, int page = 1, int pageSize = 50, CancellationToken ct = default)
    {
        var user = CurrentUser.From(http.User);
        if (!user.IsAnyOf(Callers)) return TypedResults.Forbid();
        if (page is < 1 or > 100_000 || pageSize is < 1 or > 500)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [page < 1 || page > 100_000 ? "page" : "pageSize"] = [Messages.Get("PageInvalid")] });
        var (items, total) = await LoadAsync(db, await cache.GetAsync(ct), rules.Value, clock.GetUtcNow(), user, page, pageSize, ct);
        return TypedResults.Ok(new CaseEndpoints.Paged<Item>(items, total, page, pageSize));
    }

    /// <summary>One page of the queue, oldest closure first; reporters masked for roles that need not see them.</summary>
    public static async Task<(List<Item> Items, int Total)> LoadAsync(CityOpsDb db, ReferenceData r, WorkflowOptions rules, DateTimeOffset now, CurrentUser user,
        int page, int pageSize, CancellationToken ct)
    {
        // Calls since the latest closing (a case reopened at callback and closed again is called afresh).
        var (retryFrom, closedSince) = (now - rules.CallbackRetryAfter, now - rules.CallbackRetryWithin);
        var q = db.Cases.AsNoTracking().Where(c => c.State == CaseState.Closed)
            .Select(c => new { Case = c, Calls = db.CaseEvents.Count(e => e.CaseId == c.Id && e.Action == "callback" && e.At >= c.ClosedAt) })
            .Where(x => x.Case.CallbackAt == null
                || (x.Case.CallbackReached == false && x.Case.CallbackAt <= retryFrom && x.Case.ClosedAt >= closedSince && x.Calls < rules.CallbackAttempts));
        var total = await q.CountAsync(ct);
        var rows = await q.OrderBy(x => x.Case.ClosedAt).ThenBy(x => x.Case.Id).Skip((page - 1) * pageSize).Take(pageSize)
            // The first reporter who left a number: a case opened by a camera or a sensor and joined by
            // a citizen's call is called back on the citizen's number. The others are counted.
            .Select(x => new
            {
                x.Case, x.Calls,
                Reporter = x.Case.Reports.OrderBy(p => p.ReporterPhone == null).ThenBy(p => p.Id).Select(p => new { p.ReporterName, p.ReporterPhone }).FirstOrDefault(),
                Reachable = x.Case.Reports.Count(p => p.ReporterPhone != null),
            })
            .ToListAsync(ct);
        var personal = user.SeesPersonalData;
        var items = rows.Select(x => new Item(x.Case.Id, r.Categories[x.Case.CategoryId].ServiceCode,
            Messages.Pick(r.Categories[x.Case.CategoryId].NameZh, r.Categories[x.Case.CategoryId].NameEn), CaseViews.Described(x.Case.Description, personal), x.Case.ClosedAt!.Value,
            x.Case.AssignedUnitId, x.Case.AssignedUnitId is { } u && r.Units.TryGetValue(u, out var unit) ? Messages.Pick(unit.NameZh, unit.NameEn) : null,
            personal ? x.Reporter?.ReporterName : Mask.Name(x.Reporter?.ReporterName), personal ? x.Reporter?.ReporterPhone : Mask.Phone(x.Reporter?.ReporterPhone),
            Math.Max(0, x.Reachable - 1), personal ? CaseViews.StatusNotesOf(x.Case, r) : PublicText.Masked(CaseViews.StatusNotesOf(x.Case, r)), x.Calls, x.Case.CallbackAt)).ToList();
        return (items, total);
    }
}
