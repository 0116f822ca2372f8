namespace CityOps.Server.Features.Supervision;

/// <summary>督办: an order to a unit (and its superior) to act on a case, by a person or by the sweeper.</summary>
public sealed class SupervisionOrder
{
    public long Id { get; set; }
    public long CaseId { get; set; }
    public int? UnitId { get; set; }
    public int? SuperiorUnitId { get; set; }
    /// <summary>Unique: makes an automatic order happen once per case clock, however many sweepers run.</summary>
    public required string Key { get; set; }
    public bool Automatic { get; set; }
    public string? IssuedById { get; set; }
    public string? Reason { get; set; }
    public DateTimeOffset IssuedAt { get; set; }
    /// <summary>When the unit the order went to acknowledged it (签收), by whom, and what it answered.</summary>
    public DateTimeOffset? AcknowledgedAt { get; set; }
    public string? AcknowledgedById { get; set; }
    public string? Reply { get; set; }
}

/// <summary>An in-app inbox entry for one person or for everyone of one unit.</summary>
public sealed class Notification
{
    public long Id { get; set; }
    public string? UserId { get; set; }
    public int? UnitId { get; set; }
    public long? CaseId { get; set; }
    public required string Kind { get; set; }
    /// <summary>What it says in the platform's language (zh-CN); read in the reader's language from <see cref="MessageKey"/> where there is one.</summary>
    public required string Text { get; set; }
    /// <summary>The resource key of what it says, and its arguments (a JSON array), so each reader reads it in their own language.</summary>
    public string? MessageKey { get; set; }
    public string? MessageArgs { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When it was read: by its person, or first by anyone of its unit (each reader's own mark is a <see cref="NotificationRead"/>).</summary>
    public DateTimeOffset? ReadAt { get; set; }
}

/// <summary>One person of a unit has read a notice to the whole unit: others of the unit still see it unread.</summary>
public sealed class NotificationRead
{
    public long NotificationId { get; set; }
    public required string UserId { get; set; }
    public DateTimeOffset ReadAt { get; set; }
}

/// <summary>A webhook message waiting to be delivered (transactional outbox: written with the move).</summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    /// <summary>Unique, and sent as the Idempotency-Key header so a receiver can drop repeats.</summary>
    public required string Key { get; set; }
    public required string Kind { get; set; }
    public long? CaseId { get; set; }
    public required string Payload { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }
    public string? LockedBy { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    public string? LastError { get; set; }
}

/// <summary>A named lease: background work that one instance at a time should do.</summary>
public sealed class Lease
{
    public required string Name { get; set; }
    public required string Holder { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>
/// What a notice says, as a resource key and its arguments: stored so, each reader reads it in their
/// own language, not in that of whoever made the move that caused it.
/// </summary>
public sealed record NoticeText(string Key, object[] Args)
{
    public static NoticeText Of(string key, params object[] args) => new(key, args);

    /// <summary>In the platform's language, as kept in <see cref="Notification.Text"/>.</summary>
    public string Stored => Infrastructure.Messages.FormatForStaff(Key, Args);

    public string ArgsJson => System.Text.Json.JsonSerializer.Serialize(Args);

    /// <summary>A stored notice in the reader's language; one stored with no key (before keys were kept) as it was written.</summary>
    public static string Read(string? key, string? args, string stored)
    {
        if (key is null) return stored;
        var values = args is null ? [] : System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement[]>(args) ?? [];
        return Infrastructure.Messages.Format(key, values.Select(v => (object)v.ToString()).ToArray());
    }
}
