using CityOps.Server.Features.Geography;

namespace CityOps.Server.Features.Cases;

/// <summary>Where a case is in the closed loop (DOMAIN §5).</summary>
public enum CaseState
{
    /// <summary>Reported with an address only: waits for an operator to place it.</summary>
    NeedsLocation = 0,
    /// <summary>In the operators' shared pool, routed and waiting to be registered (or voided).</summary>
    Reported = 1,
    /// <summary>核查: an inspector checks the facts before registration.</summary>
    FactChecking = 2,
    /// <summary>立案: waiting for the dispatcher.</summary>
    Registered = 3,
    /// <summary>派遣: with the responsible unit, no handler yet.</summary>
    Dispatched = 4,
    /// <summary>A handler of the unit is on it.</summary>
    Handling = 5,
    /// <summary>The handler submitted the result; the unit confirms it.</summary>
    Handled = 6,
    /// <summary>反馈: the unit's result is back with the command centre.</summary>
    Feedback = 7,
    /// <summary>核实: an inspector or street chief checks the fix.</summary>
    Verifying = 8,
    Closed = 9,
    Voided = 10,
}

/// <summary>Citizen's rating at the callback (回访).</summary>
public enum Satisfaction
{
    Satisfied = 0,
    BasicallySatisfied = 1,
    Dissatisfied = 2,
}

/// <summary>A request from the unit that a shift lead must approve.</summary>
public enum PendingRequest
{
    None = 0,
    Extension = 1,
    Suspension = 2,
}

/// <summary>
/// A case: one problem at one place. Several reports (duplicates from other citizens or
/// channels) may belong to it. Location is stored in WGS-84.
/// </summary>
public sealed class Case
{
    public long Id { get; set; }
    /// <summary>Random key fixed at creation; seeds the case's event hash chain.</summary>
    public Guid Key { get; set; }
    public CaseState State { get; set; }
    public int ChannelId { get; set; }
    public int CategoryId { get; set; }
    public int? ConditionId { get; set; }
    public required string Description { get; set; }
    public string? Address { get; set; }
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    public int? CellId { get; set; }
    public int? CommunityId { get; set; }
    public int? SubdistrictId { get; set; }
    public int? DistrictId { get; set; }
    public int? AssignedUnitId { get; set; }
    public RoutingReason RoutingReason { get; set; }
    public string? RoutingDetail { get; set; }
    public int ReportCount { get; set; } = 1;

    /// <summary>The intake operator who owns the case (first to claim it).</summary>
    public string? ClaimedById { get; set; }
    /// <summary>The handler of the assigned unit working on it.</summary>
    public string? HandlerId { get; set; }
    /// <summary>Who holds the open fact-check or verification task.</summary>
    public string? TaskAssigneeId { get; set; }
    public string? ResultNotes { get; set; }
    public bool? VerificationPassed { get; set; }
    /// <summary>
    /// The unit's sign-off was by the person who did the work (a lead who handled the case
    /// themselves, a one-person unit): the centre closes it only after a passed verification (核实).
    /// </summary>
    public bool VerifyBeforeClose { get; set; }
    public int ReworkCount { get; set; }
    public int ReturnCount { get; set; }
    public int ExtensionCount { get; set; }
    public int SuspensionCount { get; set; }
    public int SupervisionCount { get; set; }
    public PendingRequest Pending { get; set; }
    public double? PendingValue { get; set; }
    public string? PendingReason { get; set; }
    public string? PendingById { get; set; }
    public DateTimeOffset? RegisteredAt { get; set; }
    public DateTimeOffset? DispatchedAt { get; set; }
    public DateTimeOffset? HandledAt { get; set; }
    public bool? HandledOnTime { get; set; }
    public DateTimeOffset? CallbackAt { get; set; }
    public bool? CallbackReached { get; set; }
    public Satisfaction? Satisfaction { get; set; }
    public bool? EffectiveFeedback { get; set; }

    /// <summary>The running time limit (a step's, or the handling limit). See <see cref="CaseClock"/>.</summary>
    public CaseClock Clock { get; set; } = new();
    public DateTimeOffset ReportedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public string? StatusNotes { get; set; }

    /// <summary>Sequence and hash of the newest event: the tip of the tamper-evident chain.</summary>
    public int LastEventSeq { get; set; }
    public string LastEventHash { get; set; } = "";

    /// <summary>Optimistic concurrency: every move bumps it; a stale writer gets 409.</summary>
    public int Version { get; set; }

    public List<Report> Reports { get; set; } = [];
    public List<CaseEvent> Events { get; set; } = [];
    public List<CasePhoto> Photos { get; set; } = [];

    public bool IsOpen => State is not (CaseState.Closed or CaseState.Voided);
}

/// <summary>Why a case went to its unit; stored with the case and shown to everyone.</summary>
public enum RoutingReason
{
    None = 0,
    /// <summary>门前三包 category: the community street chief.</summary>
    StorefrontStreetChief = 1,
    /// <summary>A row of the routing table matched.</summary>
    RoutingTable = 2,
    /// <summary>The grid cell's own responsible party.</summary>
    CellResponsible = 3,
    /// <summary>No match: the territory (属地).</summary>
    Territory = 4,
    /// <summary>No location yet.</summary>
    NeedsLocation = 5,
}

/// <summary>One citizen's (or device's) report, as received; duplicates keep theirs.</summary>
public sealed class Report
{
    public long Id { get; set; }
    public long CaseId { get; set; }
    public int ChannelId { get; set; }
    /// <summary>The channel's own message id (externalId); unique per channel.</summary>
    public string? ExternalId { get; set; }
    /// <summary>Idempotency-Key header; unique per channel.</summary>
    public string? IdempotencyKey { get; set; }
    /// <summary>SHA-256 of the normalised request, to tell a retry from a reuse of the key.</summary>
    public required string Fingerprint { get; set; }
    /// <summary>Open311 token for tokens/{token}.</summary>
    public Guid Token { get; set; }
    public string? ReporterName { get; set; }
    public string? ReporterPhone { get; set; }
    public string? ReporterEmail { get; set; }
    public string? DeviceId { get; set; }
    public string? AccountId { get; set; }
    public required string Description { get; set; }
    public string? Address { get; set; }
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    public CoordinateSystem CoordinateSystem { get; set; }
    public double? OriginalLat { get; set; }
    public double? OriginalLon { get; set; }
    /// <summary>Open311 attribute[...] values and other channel extras, as JSON.</summary>
    public string? AttributesJson { get; set; }
    public bool MergedIntoExisting { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
}

/// <summary>A photo or video reference attached at intake (URL given by the channel).</summary>
public sealed class CasePhoto
{
    public long Id { get; set; }
    public long CaseId { get; set; }
    /// <summary>The report that brought it (set through <see cref="Report"/> on insert).</summary>
    public long? ReportId { get; set; }
    public Report? Report { get; set; }
    public required string Url { get; set; }
    public DateTimeOffset AddedAt { get; set; }
}
