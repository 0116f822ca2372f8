namespace CityOps.Server.Features.Attachments;

/// <summary>
/// A person who uploaded these bytes: the first uploader, and everyone who uploaded the same
/// content after. They may see the file and cite it in a move; nobody else may cite what they
/// cannot see.
/// </summary>
public sealed class AttachmentHolder
{
    public required string Sha256 { get; set; }
    public required string UserId { get; set; }
    public DateTimeOffset At { get; set; }
}
