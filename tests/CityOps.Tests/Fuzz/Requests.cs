using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace CityOps.Tests.Fuzz;

/// <summary>A request body as generated; it knows its bytes, its content type and how to get smaller.</summary>
public abstract record Body
{
    /// <summary>The Content-Type header as sent (null: none).</summary>
    public abstract string? ContentType { get; }
    public abstract byte[] Bytes();
    public virtual IEnumerable<Body> Shrink() => [];
    public override string ToString() => $"{ContentType ?? "(no content type)"} {Wire.Show(Bytes())}";
}

public sealed record JsonBody(J Root, string? Type = "application/json", bool EscapeNonAscii = false) : Body
{
    public override string? ContentType => Type;
    public override byte[] Bytes() => Root.Write(EscapeNonAscii);
    public override IEnumerable<Body> Shrink() => Root.Shrink().Select(r => this with { Root = r });
}

/// <summary>application/x-www-form-urlencoded with every byte percent-encoded as generated; <c>Suffix</c> is appended verbatim (malformed escapes).</summary>
public sealed record FormBody(IReadOnlyList<(Piece Key, Piece Value)> Fields, string? Type = "application/x-www-form-urlencoded", string Suffix = "") : Body
{
    public override string? ContentType => Type;

    public override byte[] Bytes() =>
        Encoding.ASCII.GetBytes(string.Join('&', Fields.Select(f => Wire.Percent(f.Key.Utf8) + "=" + Wire.Percent(f.Value.Utf8))) + Suffix);

    public override IEnumerable<Body> Shrink()
    {
        if (Suffix.Length > 0) yield return this with { Suffix = "" };
        if (Fields.Count > 1) yield return this with { Fields = Fields.Take(Fields.Count / 2).ToList() };
        for (var i = 0; i < Fields.Count; i++) yield return this with { Fields = [.. Fields.Take(i), .. Fields.Skip(i + 1)] };
        for (var i = 0; i < Fields.Count; i++)
            foreach (var v in Shrinking.Halves(Fields[i].Value))
                yield return this with { Fields = [.. Fields.Take(i), (Fields[i].Key, v), .. Fields.Skip(i + 1)] };
    }
}

/// <summary>One part of a multipart body: a field, or a file with a (hostile) file name and type.</summary>
public sealed record Part(Piece Name, Piece? FileName, string? Type, Piece Content);

public sealed record MultipartBody(IReadOnlyList<Part> Parts, string Boundary = "fuzz-boundary-7MA4YWxk", string? TypeOverride = null) : Body
{
    public override string? ContentType => TypeOverride ?? $"multipart/form-data; boundary={Boundary}";

    public override byte[] Bytes()
    {
        using var ms = new MemoryStream();
        void Text(string s) => ms.Write(Encoding.ASCII.GetBytes(s));
        foreach (var p in Parts)
        {
            Text($"--{Boundary}\r\nContent-Disposition: form-data; name=\"");
            ms.Write(p.Name.Utf8);
            Text("\"");
            if (p.FileName is { } f)
            {
                Text("; filename=\"");
                ms.Write(f.Utf8);
                Text("\"");
            }
            Text("\r\n");
            if (p.Type is not null) Text($"Content-Type: {p.Type}\r\n");
            Text("\r\n");
            ms.Write(p.Content.Utf8);
            Text("\r\n");
        }
        Text($"--{Boundary}--\r\n");
        return ms.ToArray();
    }

    public override IEnumerable<Body> Shrink()
    {
        for (var i = 0; i < Parts.Count; i++) yield return this with { Parts = [.. Parts.Take(i), .. Parts.Skip(i + 1)] };
    }
}

public sealed record RawBody(Piece Content, string? Type) : Body
{
    public override string? ContentType => Type;
    public override byte[] Bytes() => Content.Utf8;
    public override IEnumerable<Body> Shrink() => Shrinking.Halves(Content).Select(c => this with { Content = c });
}

/// <summary>Which dialect a door answers errors in.</summary>
public enum Door
{
    /// <summary>Open311's error list, JSON or XML by suffix.</summary>
    Open311,
    /// <summary>ProblemDetails (application/problem+json).</summary>
    Api,
}

/// <summary>
/// One generated input: a request to one entry point. <see cref="Auth"/> is resolved when sent
/// (none, <c>bearer:ROLE</c>, <c>key:web</c>), so a generated input is data that can be printed
/// and replayed.
/// </summary>
public sealed record FuzzRequest(
    string Family, string Target, HttpMethod Method, string Path, Door Door,
    IReadOnlyList<(Piece Key, Piece Value)> Query, Body? Body, IReadOnlyList<(string Name, Piece Value)> Headers, string Auth,
    string QuerySuffix = "")
{
    /// <summary>Path and query as sent: query bytes percent-encoded, the suffix verbatim.</summary>
    public string PathAndQuery
    {
        get
        {
            var q = string.Join('&', Query.Select(p => Wire.Percent(p.Key.Utf8) + "=" + Wire.Percent(p.Value.Utf8))) + QuerySuffix;
            return q.Length == 0 ? Path : Path + "?" + q;
        }
    }

    public HttpRequestMessage ToHttp(Func<string, string?> bearerFor)
    {
        var request = new HttpRequestMessage(Method, new Uri(PathAndQuery, UriKind.Relative));
        if (Body is not null)
        {
            var content = new ByteArrayContent(Body.Bytes());
            content.Headers.ContentType = null;
            if (Body.ContentType is { } type && !content.Headers.TryAddWithoutValidation("Content-Type", type))
                request.Headers.TryAddWithoutValidation("Content-Type", type);
            request.Content = content;
        }
        if (Auth.StartsWith("bearer:", StringComparison.Ordinal) && bearerFor(Auth[7..]) is { } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        else if (Auth.StartsWith("key:", StringComparison.Ordinal))
            request.Headers.TryAddWithoutValidation("X-Api-Key", $"demo-{Auth[4..]}-key");
        foreach (var (name, value) in Headers)
        {
            var text = value.AsText;
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                if (request.Content is not null) request.Content.Headers.TryAddWithoutValidation(name, text);
            }
            else if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Authorization = null;
                request.Headers.TryAddWithoutValidation(name, text);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, text);
            }
        }
        return request;
    }

    /// <summary>Everything needed to read and replay the input by hand.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Method} {Wire.Show(Encoding.ASCII.GetBytes(PathAndQuery), 1500)}  as {Auth}");
        foreach (var (name, value) in Headers) sb.Append(CultureInfo.InvariantCulture, $"\n  {name}: {value}");
        if (Body is not null)
        {
            var bytes = Body.Bytes();
            sb.Append(CultureInfo.InvariantCulture, $"\n  Content-Type: {Body.ContentType ?? "(none)"}\n  body ({bytes.Length} bytes): {Wire.Show(bytes, 1500)}");
        }
        return sb.ToString();
    }

    /// <summary>Smaller variants, the most aggressive first: drop headers, query members, body members; then cut values.</summary>
    public IEnumerable<FuzzRequest> Shrink()
    {
        for (var i = 0; i < Headers.Count; i++) yield return this with { Headers = [.. Headers.Take(i), .. Headers.Skip(i + 1)] };
        if (QuerySuffix.Length > 0) yield return this with { QuerySuffix = "" };
        for (var i = 0; i < Query.Count; i++) yield return this with { Query = [.. Query.Take(i), .. Query.Skip(i + 1)] };
        if (Body is not null)
            foreach (var b in Body.Shrink()) yield return this with { Body = b };
        for (var i = 0; i < Query.Count; i++)
            foreach (var v in Shrinking.Halves(Query[i].Value))
                yield return this with { Query = [.. Query.Take(i), (Query[i].Key, v), .. Query.Skip(i + 1)] };
        for (var i = 0; i < Headers.Count; i++)
            foreach (var v in Shrinking.Halves(Headers[i].Value))
                yield return this with { Headers = [.. Headers.Take(i), (Headers[i].Name, v), .. Headers.Skip(i + 1)] };
    }
}
