using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Supervision;

/// <summary>
/// 督办 orders and their acknowledgement (签收): the unit an order went to says it has taken it in
/// hand, once, with an optional reply; the centre sees which orders are still unanswered.
/// </summary>
public static class SupervisionEndpoints
{
    public sealed record OrderRow(long Id, long CaseId, int? UnitId, int? SuperiorUnitId, bool Automatic, string? Reason, DateTimeOffset IssuedAt,
        DateTimeOffset? AcknowledgedAt, string? AcknowledgedById, string? Reply);

    public sealed record Acknowledgement(string? Reply);

    public static void MapSupervision(this WebApplication app)
    {
        var g = app.MapGroup("/api/supervision").WithTags("Supervision").RequireAuthorization(Policies.Staff);
        g.MapGet("/", ListAsync)
            .WithSummary("督办 orders, newest first: every order for the centre, leaders and administrators; for a unit, those to it, to a unit below it, or naming it as superior. ?pending=true: not yet acknowledged; ?caseId=");
        g.MapPost("/{id:long}/acknowledge", AcknowledgeAsync)
            .WithSummary("The unit the order went to acknowledges it (签收), with an optional reply (up to 1,000 characters); once");
    }

    private static IQueryable<SupervisionOrder> VisibleTo(IQueryable<SupervisionOrder> q, CurrentUser u)
    {
        if (CaseViews.SeesEveryCase(u)) return q;
        if (u.UnitId is not { } unit) return q.Where(_ => false);
        var below = u.Oversees ?? [];
        return below.Count == 0
            ? q.Where(o => o.UnitId == unit || o.SuperiorUnitId == unit)
            : q.Where(o => o.UnitId == unit || o.SuperiorUnitId == unit || below.Contains(o.UnitId));
    }

    private static async Task<Results<Ok<List<OrderRow>>, ValidationProblem>> ListAsync(HttpContext http, CityOpsDb db, bool? pending, long? caseId,
        CancellationToken ct, int page = 1, int pageSize = 100)
    {
        var errors = new Dictionary<string, string[]>();
        if (page is < 1 or > 100_000) errors["page"] = [Messages.Get("PageInvalid")];
        if (pageSize is < 1 or > 500) errors["pageSize"] = [Messages.Format("PageSizeInvalid", 500)];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var q = VisibleTo(db.SupervisionOrders.AsNoTracking(), CurrentUser.From(http.User));
        if (pending == true) q = q.Where(o => o.AcknowledgedAt == null);
        if (pending == false) q = q.Where(o => o.AcknowledgedAt != null);
        if (caseId is not null) q = q.Where(o => o.CaseId == caseId);
        var rows = await q.OrderByDescending(o => o.Id).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(o => new OrderRow(o.Id, o.CaseId, o.UnitId, o.SuperiorUnitId, o.Automatic, o.Reason, o.IssuedAt, o.AcknowledgedAt, o.AcknowledgedById, o.Reply))
            .ToListAsync(ct);
        return TypedResults.Ok(rows);
    }

    private static async Task<Results<Ok<OrderRow>, NotFound, ProblemHttpResult, ValidationProblem>> AcknowledgeAsync(long id, Acknowledgement? body, HttpContext http,
        CityOpsDb db, TimeProvider clock, CancellationToken ct)
    {
        var u = CurrentUser.From(http.User);
        var order = await VisibleTo(db.SupervisionOrders.AsNoTracking(), u).FirstOrDefaultAsync(o => o.Id == id, ct);
        if (order is null) return TypedResults.NotFound();
        // The unit the order went to answers it; its superior and the centre only read it.
        if (order.UnitId is null || order.UnitId != u.UnitId) return TypedResults.Problem(Messages.Get("SupervisionNotYours"), statusCode: StatusCodes.Status403Forbidden);
        var errors = new List<Intake.IntakeError>();
        Intake.IntakeValidator.Text(errors, "reply", body?.Reply, 1000);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()));
        var now = clock.GetUtcNow();
        var reply = string.IsNullOrWhiteSpace(body?.Reply) ? null : body.Reply.Trim();
        // Conditional: of two acknowledgements at once, one is stored and the other told it came second.
        var stored = await db.SupervisionOrders.Where(o => o.Id == id && o.AcknowledgedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.AcknowledgedAt, now).SetProperty(o => o.AcknowledgedById, u.Id).SetProperty(o => o.Reply, reply), ct);
        if (stored == 0) return TypedResults.Problem(Messages.Get("SupervisionAcknowledged"), statusCode: StatusCodes.Status409Conflict);
        return TypedResults.Ok(new OrderRow(order.Id, order.CaseId, order.UnitId, order.SuperiorUnitId, order.Automatic, order.Reason, order.IssuedAt, now, u.Id, reply));
    }
}
