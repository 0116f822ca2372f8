using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace CityOps.Tests.Fuzz;

/// <summary>
/// HTTP/1.1 by hand over a TCP socket to the Kestrel-hosted server, for what no HTTP client will
/// send: malformed request lines and headers, bad bytes in paths, lying Content-Length,
/// smuggling, broken chunking, oversize bodies. Sends the bytes, half-closes, and reads what comes back.
/// </summary>
public static class RawHttp
{
    public sealed record Answer(IReadOnlyList<int> Statuses, int Bytes, bool Closed, bool TimedOut, string Head)
    {
        public override string ToString() => $"statuses [{string.Join(", ", Statuses)}], {Bytes} bytes, {(Closed ? "closed by the server" : TimedOut ? "no answer in time" : "left open")}: {Head}";
    }

    /// <summary>
    /// Sends <paramref name="request"/> and reads until the server closes, or has gone quiet after a
    /// complete answer. Kestrel takes a half-closed connection for a client that left, so the
    /// socket stays open; a request that is not whole (<paramref name="whole"/> false) waits for
    /// more that never comes, so its early answer, if any, is awaited briefly and the socket then dropped.
    /// </summary>
    public static async Task<Answer> SendAsync(Uri server, byte[] request, bool whole, TimeSpan timeout)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var received = new MemoryStream();
        var readBuffer = new byte[64 * 1024];
        var limit = whole ? timeout : TimeSpan.FromSeconds(0.6);
        var clock = Stopwatch.StartNew();
        var reading = Task.Run(async () =>
        {
            while (clock.Elapsed < limit)
            {
                var complete = Complete(received.ToArray());
                using var wait = new CancellationTokenSource(complete ? TimeSpan.FromMilliseconds(150) : limit - clock.Elapsed);
                int n;
                try { n = await stream.ReadAsync(readBuffer, wait.Token); }
                catch (OperationCanceledException) { return (Closed: false, TimedOut: whole && !complete); }
                catch (IOException) { return (Closed: true, TimedOut: false); }
                if (n == 0) return (Closed: true, TimedOut: false);
                received.Write(readBuffer, 0, n);
            }
            return (Closed: false, TimedOut: whole && !Complete(received.ToArray()));
        });
        try
        {
            // The server may answer (and close) before reading everything: that is its right.
            for (var at = 0; at < request.Length; at += 64 * 1024)
                await stream.WriteAsync(request.AsMemory(at, Math.Min(64 * 1024, request.Length - at)));
        }
        catch (IOException) { }
        catch (SocketException) { }
        var (closed, timedOut) = await reading;
        var bytes = received.ToArray();
        return new Answer(Statuses(bytes), bytes.Length, closed, timedOut, Wire.Show(bytes.AsSpan(0, Math.Min(bytes.Length, 200)).ToArray(), 200));
    }

    /// <summary>The status codes of every response in the bytes (pipelined answers follow each other).</summary>
    public static List<int> Statuses(byte[] bytes)
    {
        var result = new List<int>();
        var text = Encoding.Latin1.GetString(bytes);
        var at = 0;
        while ((at = text.IndexOf("HTTP/1.", at, StringComparison.Ordinal)) >= 0)
        {
            if ((at == 0 || text[at - 1] == '\n') && at + 12 <= text.Length && int.TryParse(text.AsSpan(at + 9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status))
                result.Add(status);
            at += 7;
        }
        return result;
    }

    /// <summary>Whether the bytes end with a complete response (headers, then a Content-Length body or a finished chunked one).</summary>
    private static bool Complete(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var last = text.LastIndexOf("HTTP/1.", StringComparison.Ordinal);
        if (last < 0) return false;
        var end = text.IndexOf("\r\n\r\n", last, StringComparison.Ordinal);
        if (end < 0) return false;
        var head = text[last..end];
        var body = text.Length - end - 4;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
                return long.TryParse(line[15..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var length) && body >= length;
            if (line.StartsWith("transfer-encoding:", StringComparison.OrdinalIgnoreCase) && line.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                return text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
        }
        return true;
    }

    /// <summary>
    /// Whether the first request in the bytes was sent whole, so the server has all it will get
    /// and must answer: a complete header block, then as much body as its Content-Length or its
    /// chunks announce (a framing the server cannot read at all is answered at once, so it counts as whole).
    /// </summary>
    public static bool Whole(byte[] request)
    {
        // Empty lines before a request line are skipped (RFC 9112); a connection of nothing else is never whole.
        var text = Encoding.Latin1.GetString(request).TrimStart('\r', '\n');
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end <= 0) return false;
        var lines = text[..end].Split("\r\n");
        var body = text[(end + 4)..];
        string? Header(string name) => lines.Skip(1).Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Select(l => l[(name.Length + 1)..].Trim()).FirstOrDefault();
        var lengths = lines.Skip(1).Count(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase));
        if (Header("transfer-encoding") is { } te)
        {
            if (!te.EndsWith("chunked", StringComparison.OrdinalIgnoreCase)) return true;
            for (var at = 0; ;)
            {
                var eol = body.IndexOf("\r\n", at, StringComparison.Ordinal);
                if (eol < 0) return false;
                var sizeText = body[at..eol].Split(';')[0].Trim();
                if (!long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0 || sizeText.Length == 0) return true;
                if (size == 0) return body.IndexOf("\r\n", eol + 2, StringComparison.Ordinal) >= 0 || body.Length >= eol + 4;
                if (body.Length < eol + 2 + size + 2) return false;
                at = (int)(eol + 2 + size + 2);
            }
        }
        if (lengths == 0) return true;
        if (lengths > 1 || !long.TryParse(Header("content-length"), NumberStyles.None, CultureInfo.InvariantCulture, out var length)) return true;
        return Encoding.Latin1.GetByteCount(body) >= length;
    }

    /// <summary>Puts signed-in tokens and computed lengths into a corpus request ({{bearer:ROLE}}, Content-Length: {{length}}).</summary>
    public static byte[] Expand(byte[] template, Func<string, string?> bearer)
    {
        var text = Encoding.Latin1.GetString(template);
        while (text.IndexOf("{{bearer:", StringComparison.Ordinal) is var at and >= 0)
        {
            var end = text.IndexOf("}}", at, StringComparison.Ordinal);
            text = text[..at] + bearer(text[(at + 9)..end]) + text[(end + 2)..];
        }
        if (text.Contains("{{length}}", StringComparison.Ordinal))
        {
            var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
            text = text.Replace("{{length}}", (text.Length - split).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
        return Encoding.Latin1.GetBytes(text);
    }

    /// <summary>
    /// Well-formed requests the mutations start from; none of them can write, however damaged (an
    /// unknown service code or category, a caller who may make no move, a body that is no image).
    /// </summary>
    public static IReadOnlyList<string> Templates(Func<string, string?> bearer) =>
    [
        "POST /open311/v2/requests.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {{length}}\r\nIdempotency-Key: raw-1\r\n\r\n" +
            "api_key=demo-web-key&service_code=X9999&lat=24.4565&long=118.0830&description=%E4%BA%95%E7%9B%96&email=a%40b.cn",
        "POST /open311/v2/requests.xml HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=b0\r\nContent-Length: {{length}}\r\n\r\n" +
            "--b0\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\ndemo-web-key\r\n--b0\r\nContent-Disposition: form-data; name=\"service_code\"\r\n\r\nX9999\r\n" +
            "--b0\r\nContent-Disposition: form-data; name=\"media\"; filename=\"../../etc/passwd\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n--b0--\r\n",
        "POST /api/reports HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Api-Key: demo-web-key\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {{length}}\r\n\r\n" +
            "{\"category\":\"NOPE\",\"description\":\"\xe4\xba\x95\",\"location\":{\"lat\":24.4565,\"lon\":118.083}}",
        "POST /api/reports HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Api-Key: demo-web-key\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "10\r\n{\"category\":\"NOP\r\n6\r\nE\",\"x\":\r\n2\r\n1}\r\n0\r\n\r\n",
        $"POST /api/cases/999999999/claim HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {bearer("partner")}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nIf-Match: \"1\"\r\n\r\n{{}}",
        $"POST /api/attachments?fileName=..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {bearer("handler")}\r\nContent-Type: image/png\r\nContent-Length: 4\r\n\r\nGIF8",
        "GET /open311/v2/requests.xml?extensions=true&page_size=5&status=open,closed&start_date=2026-01-01T00:00:00%2B08:00 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAccept-Language: en;q=0.9, zh-CN\r\n\r\n",
        $"GET /api/cases?state=Reported&page=1&pageSize=5 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {bearer("operator")}\r\n\r\n",
        $"GET /api/evaluation/units?period=2026-Q4 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {bearer("leader")}\r\n\r\n",
        "POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {{length}}\r\n\r\n{\"email\":\"nobody@demo.cityops\",\"password\":\"x\"}",
    ];

    private static readonly byte[][] Poison =
    [
        [0x00], [0xFF], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x0D], [0x0A], [0x0D, 0x0A], [0x20], [0x3A], [0x25], [0x09], [0x7F],
        "\r\n\r\n"u8.ToArray(), "\r\nTransfer-Encoding: chunked"u8.ToArray(), "\r\nContent-Length: 5"u8.ToArray(), "\r\nContent-Length: -1"u8.ToArray(),
        "\r\nHost: b"u8.ToArray(), "\r\nExpect: 100-continue"u8.ToArray(), "%00"u8.ToArray(), "%C0%AF"u8.ToArray(), "/../.."u8.ToArray(), "\r\n  folded"u8.ToArray(),
        "GET / HTTP/1.1\r\n\r\n"u8.ToArray(), "\r\nContent-Type: text/xml"u8.ToArray(), "\r\nAuthorization: Bearer x"u8.ToArray(), "\r\nConnection: keep-alive"u8.ToArray(),
    ];

    /// <summary>A template damaged one to four times: bytes flipped, poison inserted, stretches cut or doubled, the end cut off.</summary>
    public static Gen<byte[]> Mutated(IReadOnlyList<byte[]> templates) =>
        from template in Gen.Elements(templates.ToArray())
        from steps in Gen.Choose(1, 4)
        from edits in Gen.ArrayOf(Edit, steps)
        select edits.Aggregate(template, (bytes, edit) => edit(bytes));

    private static readonly Gen<Func<byte[], byte[]>> Edit = Gen.OneOf(
        from at in Gen.Choose(0, 10_000) from b in Gen.Choose(0, 255)
        select (Func<byte[], byte[]>)(x => x.Length == 0 ? x : [.. x[..(at % x.Length)], (byte)b, .. x[(at % x.Length + 1)..]]),
        from at in Gen.Choose(0, 10_000) from p in Gen.Elements(Poison)
        select (Func<byte[], byte[]>)(x => [.. x[..(at % (x.Length + 1))], .. p, .. x[(at % (x.Length + 1))..]]),
        from at in Gen.Choose(0, 10_000) from n in Gen.Choose(1, 40)
        select (Func<byte[], byte[]>)(x => x.Length == 0 ? x : [.. x[..(at % x.Length)], .. x[Math.Min(x.Length, at % x.Length + n)..]]),
        from at in Gen.Choose(0, 10_000) from n in Gen.Choose(1, 40)
        select (Func<byte[], byte[]>)(x => x.Length == 0 ? x : [.. x[..(at % x.Length)], .. x[(at % x.Length)..Math.Min(x.Length, at % x.Length + n)], .. x[(at % x.Length)..]]),
        from at in Gen.Choose(0, 10_000)
        select (Func<byte[], byte[]>)(x => x[..(at % (x.Length + 1))]),
        from n in Gen.Elements("0", "-1", "1", "99999999999", "1e3", "0x10", " 5", "5,5")
        select (Func<byte[], byte[]>)(x => LengthTo(x, n)));

    private static byte[] LengthTo(byte[] x, string value)
    {
        var text = Encoding.Latin1.GetString(x);
        var at = text.IndexOf("Content-Length: ", StringComparison.OrdinalIgnoreCase);
        if (at < 0) return x;
        var end = text.IndexOf("\r\n", at, StringComparison.Ordinal);
        return end < 0 ? x : Encoding.Latin1.GetBytes(text[..(at + 16)] + value + text[end..]);
    }
}
