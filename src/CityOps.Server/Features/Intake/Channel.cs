namespace CityOps.Server.Features.Intake;

/// <summary>How a report reached the bureau, in the source classes of DOMAIN §4.</summary>
public enum SourceType
{
    /// <summary>投诉举报</summary>
    Complaint = 0,
    /// <summary>上级交办</summary>
    AssignedFromAbove = 1,
    /// <summary>下级上报</summary>
    ReportedFromBelow = 2,
    /// <summary>平级转办</summary>
    TransferredFromPeer = 3,
    /// <summary>巡查发现</summary>
    FoundOnPatrol = 4,
    Other = 5,
}

/// <summary>An intake channel (12345 hotline, WeChat, inspectors …) with its hashed API key.</summary>
public sealed class Channel
{
    public int Id { get; set; }
    public required string Code { get; set; }
    public required string NameZh { get; set; }
    public required string NameEn { get; set; }
    public SourceType SourceType { get; set; }
    /// <summary>SHA-256 of the key (keys are 32 random bytes, so a fast hash is safe).</summary>
    public string? ApiKeyHash { get; set; }
    /// <summary>First characters of the key, to tell keys apart in the admin screen.</summary>
    public string? ApiKeyPrefix { get; set; }
    public DateTimeOffset? ApiKeyCreatedAt { get; set; }
    public bool Active { get; set; } = true;
}
