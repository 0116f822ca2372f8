namespace CityOps.Server.Features.Cases;

/// <summary>
/// One step of a case's record. Append-only: no API edits or deletes it, and each event carries
/// the hash of the one before it in the same case (<see cref="CaseChain"/>), so a changed or
/// removed row is found by re-hashing the chain.
/// </summary>
public sealed class CaseEvent
{
    public long Id { get; set; }
    public long CaseId { get; set; }
    public int Seq { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Action { get; set; }
    public string? ActorId { get; set; }
    public string? ActorName { get; set; }
    public string? ActorRole { get; set; }
    public CaseState? FromState { get; set; }
    public CaseState ToState { get; set; }
    public int? UnitId { get; set; }
    /// <summary>The person the step was aimed at (handler, inspector, street chief), if any.</summary>
    public string? TargetUserId { get; set; }
    /// <summary>The mover's Idempotency-Key: a repeated move finds its event instead of moving twice.</summary>
    public string? IdempotencyKey { get; set; }
    /// <summary>
    /// SHA-256 of the move's input, kept beside the key: the same key with other input is refused
    /// rather than answered as the move made. Not part of the chain: it is no fact of the case.
    /// </summary>
    public string? RequestFingerprint { get; set; }
    public string? Reason { get; set; }
    /// <summary>Extra facts of the step (routing detail, report id …) as canonical JSON.</summary>
    public string? Data { get; set; }
    /// <summary>Public: shown in Open311 notes[].</summary>
    public bool Public { get; set; }
    public required string PrevHash { get; set; }
    public required string Hash { get; set; }
}
