using System.Text.Json;
using CityOps.Server.Data;
using CityOps.Server.Features.Supervision;
using CityOps.Server.Infrastructure;

namespace CityOps.Server.Features.Cases.Workflow;

/// <summary>
/// Writes inbox entries, webhook outbox messages and supervision orders into the same unit of
/// work as the move, so they exist exactly when the move does.
/// </summary>
public sealed class Notifier(CityOpsDb db)
{
    public void ToUser(string? userId, Case c, string kind, string text)
    {
        if (userId is null || userId == "system") return;
        db.Notifications.Add(new Notification { UserId = userId, CaseId = c.Id == 0 ? null : c.Id, Kind = kind, Text = text, CreatedAt = c.UpdatedAt });
    }

    public void ToUnit(int? unitId, Case c, string kind, string text)
    {
        if (unitId is null) return;
        db.Notifications.Add(new Notification { UnitId = unitId, CaseId = c.Id, Kind = kind, Text = text, CreatedAt = c.UpdatedAt });
    }

    /// <summary>A public event of the case, for partner systems (12345 hotline platform …).</summary>
    public void Outbox(Case c, CaseEvent e, DateTimeOffset now) =>
        db.Outbox.Add(new OutboxMessage
        {
            Key = $"case:{c.Id}:event:{e.Seq}", Kind = "case." + e.Action, CaseId = c.Id, CreatedAt = now, NextAttemptAt = now,
            Payload = JsonSerializer.Serialize(new { caseId = c.Id, seq = e.Seq, action = e.Action, from = e.FromState?.ToString(), to = e.ToState.ToString(), at = e.At, unitId = e.UnitId, reason = e.Reason, hash = e.Hash }),
        });

    /// <summary>督办 to the case's unit and its superior; <paramref name="key"/> makes it happen once.</summary>
    public void Supervise(Case c, ReferenceData reference, string key, bool automatic, string? byUserId, string? reason, DateTimeOffset now)
    {
        var unit = c.AssignedUnitId is { } u && reference.Units.TryGetValue(u, out var row) ? row : null;
        c.SupervisionCount++;
        db.SupervisionOrders.Add(new SupervisionOrder
        {
            CaseId = c.Id, UnitId = unit?.Id, SuperiorUnitId = unit?.ParentId, Key = key, Automatic = automatic,
            IssuedById = byUserId, Reason = reason, IssuedAt = now,
        });
        var text = Messages.Format(automatic ? "NoticeOverdueSupervision" : "NoticeSupervision", c.Id);
        ToUnit(unit?.Id, c, "supervision", text);
        ToUnit(unit?.ParentId, c, "supervision", text);
        db.Outbox.Add(new OutboxMessage
        {
            Key = "supervision:" + key, Kind = "case.supervision", CaseId = c.Id, CreatedAt = now, NextAttemptAt = now,
            Payload = JsonSerializer.Serialize(new { caseId = c.Id, unitId = unit?.Id, superiorUnitId = unit?.ParentId, automatic, reason, at = now }),
        });
    }
}
