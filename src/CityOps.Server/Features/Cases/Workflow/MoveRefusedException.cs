namespace CityOps.Server.Features.Cases.Workflow;

/// <summary>A move that cannot be made: the status, why, which fields, and what the caller may do instead.</summary>
public sealed class MoveRefusedException(int status, string message, IReadOnlyList<string>? allowed = null, string? field = null) : Exception(message)
{
    public int Status { get; } = status;
    public IReadOnlyList<string> Allowed { get; } = allowed ?? [];
    public string? Field { get; } = field;
}
