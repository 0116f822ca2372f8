using CityOps.Server.Features.Geography;

namespace CityOps.Server.Features.Cases;

/// <summary>Where a case is in the closed loop (DOMAIN §5).</summary>
public enum CaseState
{
    /// <summary>Reported with an address only: waits for an operator to place it.</summary>
    NeedsLocation = 0,
    /// <summary>In the operators' shared pool, routed and waiting to be registered.</summary>
    Reported = 1,
    Registered = 2,
    Dispatched = 3,
    Handling = 4,
    Handled = 5,
    Verifying = 6,
    Closed = 7,
    Voided = 8,
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
    public long? ReportId { get; set; }
    public required string Url { get; set; }
    public DateTimeOffset AddedAt { get; set; }
}
