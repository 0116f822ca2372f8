using System.Security.Cryptography;

namespace CityOps.Server.Features.Attachments;

public sealed class AttachmentOptions
{
    /// <summary>Folder for evidence files, one per content hash.</summary>
    public string Path { get; set; } = "data/attachments";
    public long MaxImageBytes { get; set; } = 10 * 1024 * 1024;
    public long MaxVideoBytes { get; set; } = 200 * 1024 * 1024;
}

/// <summary>
/// Evidence on disk by SHA-256 (ab/cd/abcd…): the same content is stored once, and a file, once
/// written, is never replaced. The type comes from the content's magic bytes, not the client's word.
/// </summary>
public sealed class AttachmentStore(AttachmentOptions options)
{
    /// <summary>Name prefix of an upload being written, before it is moved to its hash.</summary>
    public const string TempPrefix = ".upload-";

    public static readonly string[] Types = ["image/jpeg", "image/png", "image/webp", "image/heic", "video/mp4", "video/quicktime"];

    public static string? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((byte[])[0xFF, 0xD8, 0xFF])) return "image/jpeg";
        if (head.StartsWith((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return "image/png";
        if (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return "image/webp";
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = head[8..12];
            if (brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("mif1"u8)) return "image/heic";
            if (brand.SequenceEqual("qt  "u8)) return "video/quicktime";
            return "video/mp4";
        }
        return null;
    }

    public long MaxBytes(string contentType) => contentType.StartsWith("video/", StringComparison.Ordinal) ? options.MaxVideoBytes : options.MaxImageBytes;

    public string PathOf(string sha256) => System.IO.Path.Combine(options.Path, sha256[..2], sha256[2..4], sha256);

    /// <summary>
    /// Copies the upload (its first bytes, already read to check the type, then the rest of the
    /// stream) to a temporary file while hashing it, then moves it into place unless that hash is
    /// already stored.
    /// </summary>
    public async Task<(string Sha256, long Size)> SaveAsync(ReadOnlyMemory<byte> head, Stream rest, long limit, CancellationToken ct)
    {
        Directory.CreateDirectory(options.Path);
        var temp = System.IO.Path.Combine(options.Path, $"{TempPrefix}{Guid.NewGuid():N}");
        try
        {
            long size;
            string hash;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[81920];
                size = head.Length;
                sha.AppendData(head.Span);
                await file.WriteAsync(head, ct);
                int n;
                while ((n = await rest.ReadAsync(buffer, ct)) > 0)
                {
                    size += n;
                    if (size > limit) throw new InvalidDataException("too large");
                    sha.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                }
                hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            }
            var target = PathOf(hash);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            if (!File.Exists(target))
            {
                try
                {
                    File.Move(temp, target, overwrite: false);
                }
                catch (IOException) when (File.Exists(target))
                {
                    // The same bytes, uploaded at the same moment, were moved into place first: they are what is stored.
                }
            }
            return (hash, size);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
