namespace CityOps.Server.Features.Attachments;

/// <summary>Evidence (photo or video) stored once by its SHA-256; never overwritten.</summary>
public sealed class Attachment
{
    /// <summary>Lower-case hex SHA-256 of the content: the key, the file name and what events cite.</summary>
    public required string Sha256 { get; set; }
    public required string ContentType { get; set; }
    public long Size { get; set; }
    public string? FileName { get; set; }
    public string? UploadedById { get; set; }
    public DateTimeOffset UploadedAt { get; set; }
}
