using System.Text;
using System.Text.Json;

namespace CityOps.Tests.Fuzz;

/// <summary>
/// A hostile value: text (which may hold lone surrogates) or raw bytes that are no text at all
/// (bad UTF-8, overlong encodings). Each request writer puts it on the wire as it is.
/// </summary>
public sealed record Piece(string? Text, byte[]? Raw)
{
    public static Piece Of(string text) => new(text, null);
    public static Piece Bytes(byte[] raw) => new(null, raw);

    public bool IsRaw => Raw is not null;

    /// <summary>The bytes on the wire: text as UTF-8, except that a lone surrogate is written as its 3-byte form (invalid UTF-8), raw as it is.</summary>
    public byte[] Utf8 => Raw ?? Wire.Utf8(Text!);

    /// <summary>As .NET text: raw bytes read as Latin-1 (one char per byte), for places that take only strings.</summary>
    public string AsText => Text ?? Encoding.Latin1.GetString(Raw!);

    public int Length => Raw?.Length ?? Text!.Length;

    public override string ToString() => Wire.Show(Utf8);
}

/// <summary>The known-attack corpus, <c>corpus.json</c> beside this file (copied to the output).</summary>
public sealed class Corpus
{
    public required IReadOnlyList<Piece> Strings { get; init; }
    public required IReadOnlyList<string> Numbers { get; init; }
    public required IReadOnlyList<Piece> JsonBodies { get; init; }
    public required IReadOnlyList<Piece> FormBodies { get; init; }
    public required IReadOnlyList<Piece> FileNames { get; init; }
    public required IReadOnlyList<Piece> ContentTypes { get; init; }
    public required IReadOnlyList<(string Name, Piece Value)> Headers { get; init; }
    public required IReadOnlyList<(string Name, byte[] Request)> Raw { get; init; }
    public required IReadOnlyList<Regression> Regressions { get; init; }

    private static readonly Lazy<Corpus> Loaded = new(() => Load(Path.Combine(AppContext.BaseDirectory, "Fuzz", "corpus.json")));

    public static Corpus Default => Loaded.Value;

    /// <summary>An input that once found a fault, sent verbatim on every run.</summary>
    public sealed record Regression(string Family, string Method, string Path, string Auth, string? ContentType, Piece? Body, IReadOnlyList<(string Name, Piece Value)> Headers, string Note, int Concurrent);

    public static Corpus Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        IReadOnlyList<Piece> List(string name) => root.GetProperty(name).EnumerateArray().Select(Value).ToList();
        (string, Piece) Header(JsonElement e) => (e.GetProperty("name").GetString()!, Value(e.GetProperty("value")));
        return new Corpus
        {
            Strings = List("strings"),
            Numbers = root.GetProperty("numbers").EnumerateArray().Select(e => e.GetString()!).ToList(),
            JsonBodies = List("jsonBodies"),
            FormBodies = List("formBodies"),
            FileNames = List("fileNames"),
            ContentTypes = List("contentTypes"),
            Headers = root.GetProperty("headers").EnumerateArray().Select(Header).ToList(),
            Raw = root.GetProperty("raw").EnumerateArray().Select(e => (e.GetProperty("name").GetString()!, Value(e.GetProperty("request")).Utf8)).ToList(),
            Regressions = root.GetProperty("regressions").EnumerateArray().Select(e => new Regression(
                e.GetProperty("family").GetString()!, e.GetProperty("method").GetString()!, Value(e.GetProperty("path")).AsText,
                e.TryGetProperty("auth", out var a) ? a.GetString()! : "none",
                e.TryGetProperty("contentType", out var ct) && ct.ValueKind != JsonValueKind.Null ? ct.GetString() : null,
                e.TryGetProperty("body", out var b) && b.ValueKind != JsonValueKind.Null ? Value(b) : null,
                e.TryGetProperty("headers", out var h) ? h.EnumerateArray().Select(Header).ToList() : [],
                e.TryGetProperty("note", out var n) ? n.GetString()! : "",
                e.TryGetProperty("concurrent", out var k) ? k.GetInt32() : 1)).ToList(),
        };
    }

    /// <summary>Decodes one value of the corpus: a string or a spec (repeat, utf16, hex, concat, nest).</summary>
    public static Piece Value(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.String) return Piece.Of(e.GetString()!);
        if (e.TryGetProperty("utf16", out var units))
            return Piece.Of(new string(units.EnumerateArray().Select(u => (char)u.GetInt32()).ToArray()));
        if (e.TryGetProperty("hex", out var hex)) return Piece.Bytes(Convert.FromHexString(hex.GetString()!));
        if (e.TryGetProperty("repeat", out var unit))
        {
            var p = Value(unit);
            var times = e.GetProperty("times").GetInt32();
            return Join(Enumerable.Repeat(p, times));
        }
        if (e.TryGetProperty("concat", out var parts)) return Join(parts.EnumerateArray().Select(Value));
        if (e.TryGetProperty("nest", out var open))
        {
            var depth = e.GetProperty("depth").GetInt32();
            var close = e.TryGetProperty("close", out var c) ? c.GetString()! : "";
            var sb = new StringBuilder();
            for (var i = 0; i < depth; i++) sb.Append(open.GetString());
            for (var i = 0; i < depth; i++) sb.Append(close);
            return Piece.Of(sb.ToString());
        }
        throw new InvalidDataException($"Unknown corpus value: {e}");
    }

    /// <summary>Text stays text while every part is text; one raw part makes the whole raw bytes.</summary>
    public static Piece Join(IEnumerable<Piece> parts)
    {
        var list = parts.ToList();
        if (list.All(p => !p.IsRaw)) return Piece.Of(string.Concat(list.Select(p => p.Text)));
        using var ms = new MemoryStream();
        foreach (var p in list) ms.Write(p.Utf8);
        return Piece.Bytes(ms.ToArray());
    }
}

/// <summary>Byte-level helpers: hostile UTF-8, percent-encoding of raw bytes, printable rendering.</summary>
public static class Wire
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    /// <summary>UTF-8, but a lone surrogate becomes its 3-byte encoding (ED A0 80 …), which no decoder accepts.</summary>
    public static byte[] Utf8(string s)
    {
        if (!HasLoneSurrogate(s)) return Encoding.UTF8.GetBytes(s);
        var bytes = new List<byte>(s.Length + 8);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            int cp = c;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) cp = char.ConvertToUtf32(c, s[++i]);
            if (cp < 0x80) bytes.Add((byte)cp);
            else if (cp < 0x800) { bytes.Add((byte)(0xC0 | (cp >> 6))); bytes.Add((byte)(0x80 | (cp & 0x3F))); }
            else if (cp < 0x10000) { bytes.Add((byte)(0xE0 | (cp >> 12))); bytes.Add((byte)(0x80 | ((cp >> 6) & 0x3F))); bytes.Add((byte)(0x80 | (cp & 0x3F))); }
            else
            {
                bytes.Add((byte)(0xF0 | (cp >> 18))); bytes.Add((byte)(0x80 | ((cp >> 12) & 0x3F)));
                bytes.Add((byte)(0x80 | ((cp >> 6) & 0x3F))); bytes.Add((byte)(0x80 | (cp & 0x3F)));
            }
        }
        return [.. bytes];
    }

    private static bool HasLoneSurrogate(string s)
    {
        if (!s.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF')) return false;
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(s[i])) return true;
        }
        return false;
    }

    private static readonly string[] Escapes = Enumerable.Range(0, 256).Select(b =>
        b is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_' or '.' or '~' ? ((char)b).ToString() : "%" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Percent-encodes every byte that is not unreserved, so raw bytes travel in a URL or form as they are.</summary>
    public static string Percent(byte[] bytes)
    {
        var sb = new StringBuilder(bytes.Length * 2);
        foreach (var b in bytes) sb.Append(Escapes[b]);
        return sb.ToString();
    }

    /// <summary>A printable, bounded rendering of bytes: ASCII as is, the rest as \xNN, long runs cut with their length.</summary>
    public static string Show(byte[] bytes, int max = 600)
    {
        var sb = new StringBuilder();
        string? text;
        try { text = Strict.GetString(bytes); }
        catch (DecoderFallbackException) { text = null; }
        if (text is not null)
        {
            foreach (var c in text)
            {
                if (sb.Length >= max) break;
                if (c is '\r') sb.Append("\\r");
                else if (c is '\n') sb.Append("\\n");
                else if (char.IsControl(c) || c is '\uFEFF' or '\uFFFE' or '\uFFFF' or '\u202E') sb.Append($"\\u{(int)c:x4}");
                else sb.Append(c);
            }
        }
        else
        {
            foreach (var b in bytes)
            {
                if (sb.Length >= max) break;
                if (b is >= 0x20 and < 0x7F) sb.Append((char)b);
                else sb.Append($"\\x{b:x2}");
            }
        }
        if (sb.Length >= max) sb.Append($"… ({bytes.Length} bytes)");
        return sb.ToString();
    }
}
