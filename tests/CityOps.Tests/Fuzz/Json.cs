using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOps.Tests.Fuzz;

/// <summary>
/// A JSON document as the fuzzer writes it: unlike JsonNode it can hold what JSON forbids or
/// parsers choke on (duplicate keys, NaN and 1e309 literals, raw invalid UTF-8 inside a string,
/// lone surrogate escapes, garbage tokens), so the bytes on the wire are exactly the attack.
/// </summary>
public abstract record J
{
    public static J From(JsonNode? node) => node switch
    {
        null => new JLit("null"),
        JsonObject o => new JObj(o.Select(p => (Piece.Of(p.Key), From(p.Value))).ToList()),
        JsonArray a => new JArr(a.Select(From).ToList()),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => new JStr(Piece.Of(v.GetValue<string>())),
        JsonValue v => new JLit(v.ToJsonString()),
        _ => throw new ArgumentException("Unknown JSON node", nameof(node)),
    };

    public static J FromObject(object template) => From(JsonSerializer.SerializeToNode(template, Support.Api.Json));

    public byte[] Write(bool escapeNonAscii = false)
    {
        using var ms = new MemoryStream();
        Write(ms, this, escapeNonAscii);
        return ms.ToArray();
    }

    private static void Write(MemoryStream w, J j, bool ascii)
    {
        switch (j)
        {
            case JObj o:
                w.WriteByte((byte)'{');
                for (var i = 0; i < o.Props.Count; i++)
                {
                    if (i > 0) w.WriteByte((byte)',');
                    WriteString(w, o.Props[i].Key, ascii);
                    w.WriteByte((byte)':');
                    Write(w, o.Props[i].Value, ascii);
                }
                w.WriteByte((byte)'}');
                break;
            case JArr a:
                w.WriteByte((byte)'[');
                for (var i = 0; i < a.Items.Count; i++)
                {
                    if (i > 0) w.WriteByte((byte)',');
                    Write(w, a.Items[i], ascii);
                }
                w.WriteByte((byte)']');
                break;
            case JStr s:
                WriteString(w, s.Value, ascii);
                break;
            case JLit l:
                w.Write(Wire.Utf8(l.Text));
                break;
        }
    }

    /// <summary>A string literal: raw pieces go between the quotes as they are; text is escaped as JSON allows, lone surrogates as \uD800 escapes.</summary>
    private static void WriteString(MemoryStream w, Piece p, bool ascii)
    {
        w.WriteByte((byte)'"');
        if (p.Raw is { } raw)
        {
            w.Write(raw);
        }
        else
        {
            var sb = new StringBuilder();
            var s = p.Text!;
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (c == '"') sb.Append("\\\"");
                else if (c == '\\') sb.Append("\\\\");
                else if (c < 0x20 || char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(s[i - 1])))
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else if (ascii && c > 0x7E) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else sb.Append(c);
            }
            w.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        }
        w.WriteByte((byte)'"');
    }

    /// <summary>Smaller documents for shrinking a failing input: fewer members, shorter strings, simpler values.</summary>
    public IEnumerable<J> Shrink()
    {
        switch (this)
        {
            case JObj o:
                for (var i = 0; i < o.Props.Count; i++)
                    yield return new JObj([.. o.Props.Take(i), .. o.Props.Skip(i + 1)]);
                for (var i = 0; i < o.Props.Count; i++)
                    foreach (var smaller in o.Props[i].Value.Shrink())
                        yield return new JObj([.. o.Props.Take(i), (o.Props[i].Key, smaller), .. o.Props.Skip(i + 1)]);
                break;
            case JArr a:
                if (a.Items.Count > 1) yield return new JArr(a.Items.Take(a.Items.Count / 2).ToList());
                for (var i = 0; i < a.Items.Count; i++)
                    yield return new JArr([.. a.Items.Take(i), .. a.Items.Skip(i + 1)]);
                break;
            case JStr s when s.Value.Length > 1:
                foreach (var p in Shrinking.Halves(s.Value)) yield return new JStr(p);
                break;
            case JLit l when l.Text.Length > 8:
                yield return new JLit(l.Text[..(l.Text.Length / 2)]);
                break;
        }
    }
}

public sealed record JObj(IReadOnlyList<(Piece Key, J Value)> Props) : J;

public sealed record JArr(IReadOnlyList<J> Items) : J;

public sealed record JStr(Piece Value) : J;

/// <summary>Any literal text: numbers, true/false/null, or tokens that are no JSON at all.</summary>
public sealed record JLit(string Text) : J;

public static class Shrinking
{
    /// <summary>The two halves of a value, the first first: how a long hostile value is cut down.</summary>
    public static IEnumerable<Piece> Halves(Piece p)
    {
        if (p.Raw is { } raw)
        {
            if (raw.Length < 2) yield break;
            yield return Piece.Bytes(raw[..(raw.Length / 2)]);
            yield return Piece.Bytes(raw[(raw.Length / 2)..]);
        }
        else
        {
            var s = p.Text!;
            if (s.Length < 2) yield break;
            yield return Piece.Of(s[..(s.Length / 2)]);
            yield return Piece.Of(s[(s.Length / 2)..]);
        }
    }
}
