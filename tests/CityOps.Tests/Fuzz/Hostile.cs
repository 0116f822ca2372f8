using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace CityOps.Tests.Fuzz;

/// <summary>
/// FsCheck generators of hostile values: the corpus's known attacks, FsCheck's own arbitrary
/// strings and numbers, Unicode oddities, raw invalid UTF-8, and valid values bent out of shape.
/// </summary>
public static class Hostile
{
    private static Corpus C => Corpus.Default;
    private static readonly Piece[] CorpusStrings = [.. Corpus.Default.Strings];
    private static readonly Piece[] CorpusJson = [.. Corpus.Default.JsonBodies];
    private static readonly Piece[] CorpusTypes = [.. Corpus.Default.ContentTypes];
    private static readonly (string, Piece)[] CorpusHeaders = [.. Corpus.Default.Headers];

    private static readonly Gen<string> AnyString = ArbMap.Default.GeneratorFor<string>().Where(s => s is not null);
    private static readonly Gen<double> AnyDouble = ArbMap.Default.GeneratorFor<double>();
    private static readonly Gen<long> AnyLong = ArbMap.Default.GeneratorFor<long>();

    /// <summary>Characters that break things: controls, lone surrogates, noncharacters, direction marks, combining marks, CJK, emoji halves.</summary>
    private static readonly char[] Nasty =
    [
        '\0', '\u0001', '\u0008', '\t', '\n', '\r', '\u000b', '\u001b', '\u007f', '\u0085', '\u00a0', '\u00ad', '\u0300', '\u034f', '\u200b', '\u200e',
        '\u2028', '\u202e', '\u2060', '\u3000', '\ud800', '\udbff', '\udc00', '\udfff', '\ue000', '\ufdd0', '\ufeff', '\ufffd', '\ufffe', '\uffff',
        '"', '\'', '<', '>', '&', '%', '\\', '/', '+', ';', '=', '?', '#', '[', ']', '{', '}', '|', '`', '$', '长', '厦', 'ß', 'İ',
    ];

    public static readonly Gen<Piece> Unicode =
        Gen.ArrayOf(Gen.Frequency((3, Gen.Elements(Nasty)), (1, Gen.Choose(0, 0xFFFF).Select(i => (char)i))))
            .Select(cs => Piece.Of(new string(cs)));

    public static readonly Gen<Piece> RawBytes =
        Gen.ArrayOf(Gen.Frequency(
                (3, Gen.Elements<byte>(0x00, 0x80, 0xBF, 0xC0, 0xC1, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xF8, 0xFE, 0xFF, 0x0D, 0x0A, 0x25, 0x22)),
                (1, Gen.Choose(0, 255).Select(i => (byte)i))))
            .Select(b => Piece.Bytes(b));

    public static readonly Gen<string> NumberText = Gen.Frequency(
        (4, Gen.Elements(C.Numbers.ToArray())),
        (2, AnyDouble.Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (2, AnyLong.Select(l => l.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Choose(1, 400).Select(n => "1" + new string('0', n))),
        (1, Gen.Choose(-400, 400).Select(e => "1e" + e.ToString(CultureInfo.InvariantCulture))));

    /// <summary>Long runs of one unit, made once: lengths around every limit the server has (64 … 4000, 10 000); longer ones are in the corpus.</summary>
    public static readonly Gen<Piece> Lengthy = Gen.Elements(
        (from c in new[] { "a", "长", "👍", "%", "<", "\\", "'", " ", "\u0000", "../" }
         from n in new[] { 64, 101, 129, 201, 256, 501, 1001, 2001, 4001, 64, 129, 256, 1001, 4001, 10_000 }
         select Piece.Of(string.Concat(Enumerable.Repeat(c, n)))).ToArray());

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Gen<Piece>> Texts = new(StringComparer.Ordinal);
    private static readonly Gen<Piece> AnyText = MakeText(null);

    /// <summary>Any hostile text; <paramref name="valid"/> (when given) is also bent: padded, doubled, poisoned, cut. Built once per value.</summary>
    public static Gen<Piece> Text(string? valid = null) => valid is null ? AnyText : Texts.GetOrAdd(valid, v => MakeText(v));

    private static Gen<Piece> MakeText(string? valid)
    {
        var gens = new List<(int, Gen<Piece>)>
        {
            (30, Gen.Elements(CorpusStrings)),
            (12, AnyString.Select(Piece.Of)),
            (10, Unicode),
            (6, Lengthy),
            (6, RawBytes),
            (8, NumberText.Select(Piece.Of)),
        };
        if (valid is not null) gens.Add((20, Bent(valid)));
        return Gen.Frequency(gens.ToArray());
    }

    /// <summary>A valid value made hostile in one way.</summary>
    public static Gen<Piece> Bent(string valid) => Gen.OneOf(
        Gen.Elements(CorpusStrings).Select(s => Corpus.Join([Piece.Of(valid), s])),
        Gen.Elements(CorpusStrings).Select(s => Corpus.Join([s, Piece.Of(valid)])),
        Gen.Elements(Nasty).SelectMany(c => Gen.Choose(0, valid.Length).Select(i => Piece.Of(valid.Insert(i, c.ToString())))),
        Gen.Elements(" ", "  \t", "\u3000", "\u00a0").Select(p => Piece.Of(p + valid + p)),
        Gen.Elements(2, 50, 300).Select(n => Piece.Of(string.Concat(Enumerable.Repeat(valid, n)))),
        Gen.Constant(Piece.Of(valid.ToUpperInvariant())),
        Gen.Constant(Piece.Of(valid.ToLowerInvariant())),
        Gen.Choose(0, Math.Max(0, valid.Length - 1)).Select(n => Piece.Of(valid[..n])),
        RawBytes.Select(r => Corpus.Join([Piece.Of(valid), r])),
        Gen.Constant(Piece.Of(valid.Normalize(NormalizationForm.FormD))),
        Gen.Constant(Piece.Of(new string(valid.Select(ch => ch is >= '0' and <= '9' ? (char)(ch - '0' + '０') : ch).ToArray()))));

    /// <summary>A JSON value in place of <paramref name="valid"/>: kept, replaced by hostile text or numbers, the wrong type, or deep nesting.</summary>
    public static Gen<J> Json(J valid, int depth = 0)
    {
        var validText = valid switch { JStr { Value.Text: { } t } => t, JLit l => l.Text, _ => null };
        var gens = new List<(int, Gen<J>)>
        {
            (45, Gen.Constant(valid)),
            (16, Text(validText).Select(p => (J)new JStr(p))),
            (10, NumberText.Select(n => (J)new JLit(n))),
            (3, Gen.Elements<J>(new JLit("true"), new JLit("false"), new JLit("null"), new JArr([]), new JObj([]), new JArr([valid]),
                new JObj([(Piece.Of("value"), valid)]), new JLit("undefined"), new JLit("NaN"), new JLit("-"), new JLit("0x10"), new JLit("'single'"))),
            (2, Gen.Elements(10, 63, 64, 65, 1000, 10_000).Select(d => (J)new JLit(new string('[', d) + new string(']', d)))),
        };
        if (depth < 4 && valid is JObj o) gens.Add((30, Members(o, depth + 1).Select(x => (J)x)));
        if (depth < 4 && valid is JArr a) gens.Add((30, Items(a, depth + 1)));
        return Gen.Frequency(gens.ToArray());
    }

    /// <summary>An object with members dropped, bent, added, duplicated or renamed.</summary>
    public static Gen<JObj> Members(JObj template, int depth = 0)
    {
        var members = template.Props.Select(p =>
        {
            var values = Json(p.Value, depth);
            var keys = Gen.Frequency((20, Gen.Constant(p.Key)), (1, Gen.Constant(Piece.Of(p.Key.AsText.ToUpperInvariant()))), (1, Text(p.Key.AsText)));
            return from keep in Gen.Frequency((5, Gen.Constant(true)), (1, Gen.Constant(false)))
                   from value in values
                   from key in keys
                   select keep ? new[] { (key, value) } : [];
        }).ToList();
        var anyValue = Json(new JStr(Piece.Of("x")), 4);
        var twins = template.Props.Count == 0
            ? Gen.Constant(new[] { (Piece.Of("x"), (J)new JLit("1")) })
            : Gen.OneOf(template.Props.Select(p => Json(p.Value, 4).Select(v => new[] { (p.Key, v) })));
        var extra = Gen.Frequency(
            (6, Gen.Constant(System.Array.Empty<(Piece, J)>())),
            (1, from k in Text() from v in anyValue select new[] { (k, v) }),
            (1, twins),
            (1, Gen.Elements("__proto__", "$type", "$id", "$ref", "constructor", "id", "version", "state", "Id").Select(k => new[] { (Piece.Of(k), (J)new JLit("1")) })));
        return from ms in Gen.CollectToArray(members)
               from e in extra
               from order in Gen.Frequency((8, Gen.Constant(false)), (1, Gen.Constant(true)))
               let all = ms.SelectMany(x => x).Concat(e).ToList()
               select new JObj(order ? all.AsEnumerable().Reverse().ToList() : all);
    }

    public static Gen<J> Items(JArr template, int depth = 0)
    {
        var item = template.Items.Count > 0 ? template.Items[0] : new JStr(Piece.Of("x"));
        var each = Gen.CollectToArray(template.Items.Select(i => Json(i, depth))).Select(items => (J)new JArr(items));
        // Long arrays (past the server's caps of 10 and 20 items, and far past) only near the top: repeated inside each other they would be millions.
        var many = depth > 1 ? new[] { 11, 21 } : item is JObj or JArr ? [11, 21, 51] : [11, 21, 51, 1001, 5000];
        return Gen.Frequency(
            (8, each),
            (2, Gen.ListOf(Json(item, depth)).Resize(depth <= 1 ? 12 : 3).Select(items => (J)new JArr(items.ToList()))),
            (1, Gen.Elements(many).Select(n => (J)new JArr(Enumerable.Repeat(item, n).ToList()))),
            (1, Gen.Constant((J)new JArr([new JLit("null")]))));
    }

    /// <summary>A whole JSON body built on <paramref name="template"/>; some are no JSON, or the wrong content type, at all.</summary>
    public static Gen<Body> JsonBody(JObj template) => Gen.Frequency(
        (80, from o in Members(template)
             from ascii in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
             from type in ContentTypeFor("application/json")
             select (Body)new JsonBody(o, type, ascii)),
        (8, Gen.Elements(CorpusJson).Select(b => (Body)new RawBody(b, "application/json"))),
        (6, Mangled(new JsonBody(template).Bytes(), "application/json")),
        (3, Gen.Elements<J>(new JArr([template]), new JArr([template, template]), new JLit("null"), new JStr(Piece.Of("{}")))
            .Select(j => (Body)new JsonBody(j))),
        (3, Gen.Constant<Body>(new FormBody(template.Props.Select(p => (p.Key, Piece.Of(p.Value is JStr s ? s.Value.AsText : p.Value.ToString()))).ToList()))));

    /// <summary>The right content type mostly; sometimes a wrong, odd or missing one.</summary>
    public static Gen<string?> ContentTypeFor(string valid) => Gen.Frequency(
        (20, Gen.Constant<string?>(valid)),
        (1, Gen.Constant<string?>(null)),
        (1, Gen.Elements(valid + "; charset=utf-8", valid.ToUpperInvariant(), valid + "; charset=latin1", valid + ";", " " + valid).Select(s => (string?)s)),
        (2, Gen.Elements(CorpusTypes).Select(p => (string?)p.AsText)));

    /// <summary>Valid bytes damaged: cut short, a byte flipped, hostile bytes inserted, a stretch doubled.</summary>
    public static Gen<Body> Mangled(byte[] valid, string? type) =>
        from how in Gen.Choose(0, 3)
        from at in Gen.Choose(0, Math.Max(0, valid.Length - 1))
        from b in Gen.Elements<byte>(0x00, 0x22, 0x5C, 0x7B, 0x7D, 0xC0, 0xED, 0xFF, 0x0A, 0x25)
        from n in Gen.Choose(1, 64)
        select (Body)new RawBody(Piece.Bytes(how switch
        {
            0 => valid[..at],
            1 => [.. valid[..at], b, .. valid[Math.Min(valid.Length, at + 1)..]],
            2 => [.. valid[..at], .. Enumerable.Repeat(b, n), .. valid[at..]],
            _ => [.. valid[..at], .. valid[at..Math.Min(valid.Length, at + n)], .. valid[at..]],
        }), type);

    /// <summary>Query or form members from a template (name → valid values): each left out, valid, or hostile; plus extras and duplicates.</summary>
    public static Gen<List<(Piece, Piece)>> Fields(IReadOnlyList<(string Name, string[] Valid)> template, double presence = 0.6)
    {
        var each = template.Select(t =>
        {
            var name = Piece.Of(t.Name);
            var one = Gen.OneOf(t.Valid.Select(v => Gen.Frequency((55, Gen.Constant(Piece.Of(v))), (45, Text(v)))));
            var absent = Gen.Constant(System.Array.Empty<(Piece, Piece)>());
            var present = Gen.Frequency(
                (25, one.Select(v => new[] { (name, v) })),
                (1, one.Two().Select(v => new[] { (name, v.Item1), (name, v.Item2) })));
            return Gen.Frequency(((int)(presence * 100), present), (100 - (int)(presence * 100), absent));
        }).ToList();
        var extra = Gen.Frequency(
            (30, Gen.Constant(System.Array.Empty<(Piece, Piece)>())),
            (4, from k in Text() from v in Text() select new[] { (k, v) }),
            (4, from v in Text() select new[] { (Piece.Of("culture"), v) }),
            (1, Gen.Elements(ManyFields)));
        return from ms in Gen.CollectToArray(each)
               from e in extra
               select ms.SelectMany(x => x).Concat(e).ToList();
    }

    /// <summary>More members than a form may have (1024): made once.</summary>
    private static readonly (Piece, Piece)[][] ManyFields = [.. new[] { 1030, 5000 }.Select(n => Enumerable.Range(0, n).Select(i => (Piece.Of("k" + i.ToString(CultureInfo.InvariantCulture)), Piece.Of("v"))).ToArray())];

    /// <summary>Malformed escapes and separators appended verbatim to a query or form.</summary>
    public static readonly Gen<string> Suffix = Gen.Frequency(
        (12, Gen.Constant("")),
        (1, Gen.Elements("&", "&&", "&=", "&%", "&%zz=1", "&a=%", "&a=%C0%AF", "&a=%ED%A0%80", "&%00=%00", "&a=%FF%FE", "&a[]=1&a[]=2", "&a=1;b=2", "&&&&=&=&")));

    /// <summary>Extra headers: usually none; else from the corpus, or a hostile Idempotency-Key or Accept-Language.</summary>
    public static readonly Gen<List<(string, Piece)>> Headers = Gen.Frequency(
        (14, Gen.Constant(new List<(string, Piece)>())),
        (4, Gen.Elements(CorpusHeaders).Select(h => new List<(string, Piece)> { h })),
        (1, Gen.Elements(CorpusHeaders).Two().Select(t => new List<(string, Piece)> { t.Item1, t.Item2 })),
        (2, Text("fuzz-key").Select(v => new List<(string, Piece)> { ("Idempotency-Key", v) })),
        (1, Text("en").Select(v => new List<(string, Piece)> { ("Accept-Language", v) })));

    /// <summary>A path segment: a valid one mostly, else hostile (percent-encoded so it stays one segment), or the corpus's path tricks verbatim.</summary>
    public static Gen<string> Segment(string[] valid) => Gen.Frequency(
        (14, Gen.Elements(valid).Select(v => Wire.Percent(Wire.Utf8(v)))),
        (5, Text(valid.Length > 0 ? valid[0] : null).Select(p => Wire.Percent(p.Utf8))),
        (1, Gen.Elements("..", ".", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%00", "%2F", "%5C", "~", "%25", "%C0%AF", "%ED%A0%80", "%FF", "a%2Fb", "*", "CON", "0", "-1",
            "9223372036854775808", "99999999999999999999", "1e3", "0x1", "+1", "%20")));

    /// <summary>Who sends: the target's own callers mostly; sometimes nobody, a bureau outside the staff, or the wrong kind of credential.</summary>
    public static Gen<string> Auth(string[] callers) => Gen.Frequency(
        (17, Gen.Elements(callers)),
        (1, Gen.Elements("none", "bearer:partner", "bearer:company", "key:web", "bearer:handler", "bearer:admin")));
}
