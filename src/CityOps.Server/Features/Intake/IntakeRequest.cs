using CityOps.Server.Features.Geography;

namespace CityOps.Server.Features.Intake;

/// <summary>A report as both doors (Open311 and the native API) hand it to the pipeline.</summary>
public sealed record IntakeRequest
{
    public string? ServiceCode { get; init; }
    public string? ConditionCode { get; init; }
    public double? Lat { get; init; }
    public double? Lon { get; init; }
    public CoordinateSystem CoordinateSystem { get; init; }
    public string? Address { get; init; }
    public string? Description { get; init; }
    public string? ReporterName { get; init; }
    public string? ReporterPhone { get; init; }
    public string? ReporterEmail { get; init; }
    public string? DeviceId { get; init; }
    public string? AccountId { get; init; }
    public string? ExternalId { get; init; }
    public IReadOnlyList<string> MediaUrls { get; init; } = [];
    /// <summary>Join this open case of the same category instead of opening one (the intake desk's "same problem" choice).</summary>
    public long? AttachTo { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
}

/// <summary>Who submits: a channel (by its key) and, for staff, the signed-in person.</summary>
public sealed record IntakeActor(Channel Channel, string? UserId, string? UserName, string? Role);

/// <summary>One invalid field, with a message for people and a field name for programs.</summary>
public sealed record IntakeError(string Field, string Message);

public enum IntakeOutcome
{
    /// <summary>A new case was opened.</summary>
    Created,
    /// <summary>An open case of the same category nearby already existed: the report joined it.</summary>
    Merged,
    /// <summary>The same message (idempotency key or external id) was received before: nothing new written.</summary>
    Replayed,
}
