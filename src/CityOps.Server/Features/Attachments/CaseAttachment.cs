namespace CityOps.Server.Features.Attachments;

/// <summary>
/// A file cited by a move of a case: the index of the hashes in the events' data, so who may see a
/// file is one key lookup, not a search through the record. Written with the event that cites it.
/// </summary>
public sealed class CaseAttachment
{
    public required string Sha256 { get; set; }
    public long CaseId { get; set; }
}
