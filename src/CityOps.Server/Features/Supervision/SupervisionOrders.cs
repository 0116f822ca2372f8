using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Supervision;

/// <summary>
/// 督办 orders as the API and the web app both read and answer them: who sees which, and the
/// acknowledgement (签收) by the unit an order went to.
/// </summary>
public static class SupervisionOrders
{
    public const int MaxReply = 1000;

    public sealed record OrderRow(long Id, long CaseId, int? UnitId, int? SuperiorUnitId, bool Automatic, string? IssuedById, string? Reason, DateTimeOffset IssuedAt,
        DateTimeOffset? AcknowledgedAt, string? AcknowledgedById, string? Reply);

    public enum Outcome { Acknowledged, NotFound, NotYours, AlreadyAcknowledged, Invalid }

    /// <summary>What an acknowledgement came to: the stored order, or why not (<see cref="Error"/> for <see cref="Outcome.Invalid"/>).</summary>
    public sealed record Answer(Outcome Outcome, OrderRow? Order = null, string? Error = null);

    /// <summary>Every order for the centre, leaders and administrators; for a unit, those to it, to a unit below it, or naming it as superior.</summary>
    public static IQueryable<SupervisionOrder> VisibleTo(IQueryable<SupervisionOrder> q, CurrentUser u)
    {
        if (CaseViews.SeesEveryCase(u)) return q;
        if (u.UnitId is not { } unit) return q.Where(_ => false);
        var below = u.Oversees ?? [];
        return below.Count == 0
            ? q.Where(o => o.UnitId == unit || o.SuperiorUnitId == unit)
            : q.Where(o => o.UnitId == unit || o.SuperiorUnitId == unit || below.Contains(o.UnitId));
    }

    /// <summary>Whether this user answers the order: they belong to the unit it went to and it is not yet acknowledged.</summary>
    public static bool Answers(OrderRow o, CurrentUser u) => o.AcknowledgedAt is null && o.UnitId is not null && o.UnitId == u.UnitId;

    /// <summary>
    /// One page of the orders the user sees, newest first; <paramref name="pending"/>: only the
    /// unacknowledged (true) or only the acknowledged (false). The total is counted when asked for.
    /// </summary>
    public static async Task<(List<OrderRow> Rows, int? Total)> ListAsync(CityOpsDb db, CurrentUser u, bool? pending, long? caseId, int page, int pageSize,
        bool counted, CancellationToken ct)
    {
        var q = VisibleTo(db.SupervisionOrders.AsNoTracking(), u);
        if (pending == true) q = q.Where(o => o.AcknowledgedAt == null);
        if (pending == false) q = q.Where(o => o.AcknowledgedAt != null);
        if (caseId is not null) q = q.Where(o => o.CaseId == caseId);
        int? total = counted ? await q.CountAsync(ct) : null;
        var rows = await Rows(q.OrderByDescending(o => o.Id).Skip((page - 1) * pageSize).Take(pageSize)).ToListAsync(ct);
        return (rows, total);
    }

    /// <summary>One order, if the user sees it.</summary>
    public static Task<OrderRow?> FindAsync(CityOpsDb db, CurrentUser u, long id, CancellationToken ct) =>
        Rows(VisibleTo(db.SupervisionOrders.AsNoTracking(), u).Where(o => o.Id == id)).FirstOrDefaultAsync(ct);

    private static IQueryable<OrderRow> Rows(IQueryable<SupervisionOrder> q) =>
        q.Select(o => new OrderRow(o.Id, o.CaseId, o.UnitId, o.SuperiorUnitId, o.Automatic, o.IssuedById, o.Reason, o.IssuedAt, o.AcknowledgedAt, o.AcknowledgedById, o.Reply));

    /// <summary>
    /// The unit the order went to acknowledges it, once, with an optional reply; its superior and the
    /// centre only read it. Of two acknowledgements at once, one is stored and the other told it came second.
    /// </summary>
    public static async Task<Answer> AcknowledgeAsync(CityOpsDb db, CurrentUser u, long id, string? reply, DateTimeOffset now, CancellationToken ct)
    {
        var order = await FindAsync(db, u, id, ct);
        if (order is null) return new(Outcome.NotFound);
        if (order.UnitId is null || order.UnitId != u.UnitId) return new(Outcome.NotYours);
        var errors = new List<Intake.IntakeError>();
        Intake.IntakeValidator.Text(errors, "reply", reply, MaxReply);
        if (errors.Count > 0) return new(Outcome.Invalid, Error: errors[0].Message);
        reply = string.IsNullOrWhiteSpace(reply) ? null : reply.Trim();
        var stored = await db.SupervisionOrders.Where(o => o.Id == id && o.AcknowledgedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.AcknowledgedAt, now).SetProperty(o => o.AcknowledgedById, u.Id).SetProperty(o => o.Reply, reply), ct);
        if (stored == 0) return new(Outcome.AlreadyAcknowledged);
        return new(Outcome.Acknowledged, order with { AcknowledgedAt = now, AcknowledgedById = u.Id, Reply = reply });
    }
}
