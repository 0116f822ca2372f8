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

    /// <summary>How much of the start of an upload is read to tell its type.</summary>
    public const int HeadLength = 256;

    /// <summary>Fewer bytes than this are no photo or video, whatever they start with.</summary>
    public const int MinBytes = 32;

    private static readonly string[] HeicBrands = ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"];
    private static readonly string[] AvifBrands = ["avif", "avis", "avio"];
    private static readonly string[] VideoBrandPrefixes = ["iso", "mp4", "mp7", "avc", "3gp", "3g2", "3ge", "3gg", "M4V", "mmp4", "MSNV", "dash", "XAVC", "f4v"];

    /// <summary>
    /// The type the content's first bytes show, or null when it is none of <see cref="Types"/>.
    /// A JPEG starts with SOI and a marker; a PNG with its signature; a WebP with RIFF…WEBP; an ISO
    /// media file with an ftyp box whose brands tell HEIC, QuickTime and MP4 apart (AVIF, audio and
    /// other brands are refused).
    /// </summary>
    public static string? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 4 && head.StartsWith((byte[])[0xFF, 0xD8, 0xFF]) && head[3] is >= 0xC0 and < 0xFF) return "image/jpeg";
        if (head.StartsWith((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return "image/png";
        if (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return "image/webp";
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            // The whole type box must lie in the head, so no brand (an AVIF one) hides past it; sizes 0 and 1 (to the end, 64-bit) are no real ftyp.
            var size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head);
            if (size < 16 || size > head.Length || size % 4 != 0) return null;
            var brands = Brands(head[..(int)size]);
            if (brands.Any(b => AvifBrands.Contains(b))) return null;
            var major = brands[0];
            if (HeicBrands.Contains(major)) return "image/heic";
            if (major == "qt  ") return "video/quicktime";
            return VideoBrandPrefixes.Any(p => major.StartsWith(p, StringComparison.Ordinal)) ? "video/mp4" : null;
        }
        return null;
    }

    /// <summary>An ftyp box's major brand, then its compatible brands.</summary>
    private static List<string> Brands(ReadOnlySpan<byte> box)
    {
        var brands = new List<string> { System.Text.Encoding.ASCII.GetString(box[8..12]) };
        for (var at = 16; at + 4 <= box.Length; at += 4) brands.Add(System.Text.Encoding.ASCII.GetString(box.Slice(at, 4)));
        return brands;
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
