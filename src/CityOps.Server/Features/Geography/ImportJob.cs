namespace CityOps.Server.Features.Geography;

public enum ImportState
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
}

/// <summary>A GeoJSON layer import, with its progress, so a long import can be watched.</summary>
public sealed class ImportJob
{
    public int Id { get; set; }
    public AreaLevel Level { get; set; }
    public CoordinateSystem CoordinateSystem { get; set; }
    public ImportState State { get; set; }
    public int Total { get; set; }
    public int Processed { get; set; }
    public int Created { get; set; }
    public int Updated { get; set; }
    public string? Error { get; set; }
    public string? SubmittedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}
