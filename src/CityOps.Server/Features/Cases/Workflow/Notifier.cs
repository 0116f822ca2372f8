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
    /// <summary>A notice to a person about case <paramref name="c"/>, at the case's last change unless <paramref name="at"/> says otherwise.</summary>
    public void ToUser(string? userId, Case c, string kind, NoticeText text, DateTimeOffset? at = null)
    {
        if (userId is null || userId == "system") return;
        db.Notifications.Add(new Notification
        {
            UserId = userId, CaseId = c.Id == 0 ? null : c.Id, Kind = kind, Text = text.Stored, MessageKey = text.Key, MessageArgs = text.ArgsJson, CreatedAt = at ?? c.UpdatedAt,
        });
    }

    public void ToUnit(int? unitId, Case c, string kind, NoticeText text, DateTimeOffset? at = null)
    {
        if (unitId is null) return;
        db.Notifications.Add(new Notification
        {
            UnitId = unitId, CaseId = c.Id, Kind = kind, Text = text.Stored, MessageKey = text.Key, MessageArgs = text.ArgsJson, CreatedAt = at ?? c.UpdatedAt,
        });
    }

    /// <summary>
    /// A public event of the case, for partner systems (12345 hotline platform …): what Open311
    /// shows of it, so staff's free text does not leave by this door either; in the platform's
    /// language, whatever language the move was made in.
    /// </summary>
    public void Outbox(Case c, CaseEvent e, DateTimeOffset now) =>
        db.Outbox.Add(new OutboxMessage
        {
            Key = $"case:{c.Id}:event:{e.Seq}", Kind = "case." + e.Action, CaseId = c.Id, CreatedAt = now, NextAttemptAt = now,
            Payload = JsonSerializer.Serialize(new { caseId = c.Id, seq = e.Seq, action = e.Action, from = e.FromState?.ToString(), to = e.ToState.ToString(), at = e.At, unitId = e.UnitId, reason = Messages.InPlatformLanguage(() => Intake.Open311.Open311View.PublicDescription(e)), hash = e.Hash }),
        });

    /// <summary>
    /// 督办 to whoever answers for the case now, and their superior (see <see cref="Answering"/>);
    /// <paramref name="key"/> makes it happen once.
    /// </summary>
    public void Supervise(Case c, ReferenceData reference, string key, bool automatic, string? byUserId, string? reason, DateTimeOffset now)
    {
        var who = Answering(c, reference);
        c.SupervisionCount++;
        db.SupervisionOrders.Add(new SupervisionOrder
        {
            CaseId = c.Id, UnitId = who.Unit, SuperiorUnitId = who.Superior, Key = key, Automatic = automatic,
            IssuedById = byUserId, Reason = reason, IssuedAt = now,
        });
        var text = NoticeText.Of(automatic ? "NoticeOverdueSupervision" : "NoticeSupervision", c.Id);
        Tell(c, who, "supervision", text);
        ToUnit(who.Superior, c, "supervision", text);
        db.Outbox.Add(new OutboxMessage
        {
            Key = "supervision:" + key, Kind = "case.supervision", CaseId = c.Id, CreatedAt = now, NextAttemptAt = now,
            Payload = JsonSerializer.Serialize(new { caseId = c.Id, unitId = who.Unit, superiorUnitId = who.Superior, automatic, reason, at = now }),
        });
    }

    /// <summary>A step's time is nearly up: told to whoever answers for the case now.</summary>
    public void Warn(Case c, ReferenceData reference) => ToAnswering(c, reference, "warning", NoticeText.Of("NoticeWarning", c.Id));

    /// <summary>A notice to whoever answers for the case now (see <see cref="Answering"/>).</summary>
    public void ToAnswering(Case c, ReferenceData reference, string kind, NoticeText text, DateTimeOffset? at = null) => Tell(c, Answering(c, reference), kind, text, at);

    private void Tell(Case c, Answerable who, string kind, NoticeText text, DateTimeOffset? at = null)
    {
        if (who.People.Length == 0) ToUnit(who.Unit, c, kind, text, at);
        foreach (var person in who.People) ToUser(person, c, kind, text, at);
    }

    /// <summary>The unit that answers for a case, its superior, and the people told by name instead of the whole unit.</summary>
    public sealed record Answerable(int? Unit, int? Superior, string[] People);

    /// <summary>
    /// Who answers for the case in its state: while a unit has it (dispatched, handling, handled),
    /// that unit and its superior. Before dispatch and after the unit's confirmation, the command
    /// centre: by name, the operator who owns the case and the inspector or street chief holding a
    /// check task; the whole centre when nobody owns it yet. The unit the case was routed to is not
    /// told of what the centre has not yet sent it.
    /// </summary>
    public static Answerable Answering(Case c, ReferenceData reference)
    {
        if (c.State is CaseState.Dispatched or CaseState.Handling or CaseState.Handled)
        {
            var unit = c.AssignedUnitId is { } u && reference.Units.TryGetValue(u, out var row) ? row : null;
            return new(unit?.Id, unit?.ParentId, []);
        }
        var centre = reference.Units.Values.FirstOrDefault(u => u.Kind == Units.UnitKind.CommandCentre && u.Active);
        string?[] named = [c.ClaimedById, c.TaskAssigneeId];
        return new(centre?.Id, centre?.ParentId, [.. named.OfType<string>().Distinct()]);
    }
}
