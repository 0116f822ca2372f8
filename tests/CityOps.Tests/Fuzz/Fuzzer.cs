using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace CityOps.Tests.Fuzz;

/// <summary>
/// Feeds one family of entry points: first every known attack of the corpus once, then generated
/// inputs (input <c>i</c> of a family is a pure function of the seed, the family and <c>i</c>),
/// several in flight at once. Judges every answer, books every write, and shrinks the first
/// failing input of the family to a smaller one that fails the same way.
/// </summary>
public sealed class Fuzzer(FuzzWorld world, ulong seed)
{
    public sealed record Failure(string Family, string Index, FuzzRequest Request, string Reason)
    {
        public FuzzRequest? Shrunk { get; set; }
        public string? ShrunkReason { get; set; }

        public string Describe(ulong seed)
        {
            var sb = new StringBuilder();
            sb.Append($"[{Family} #{Index}, seed {seed}] {Reason}\n  {Request.Describe().Replace("\n", "\n  ", StringComparison.Ordinal)}");
            if (Shrunk is not null) sb.Append($"\n  shrunk to ({ShrunkReason}):\n  {Shrunk.Describe().Replace("\n", "\n  ", StringComparison.Ordinal)}");
            if (int.TryParse(Index, out var i)) sb.Append($"\n  {FuzzSettings.ReplayHint(Family, i)}");
            return sb.ToString();
        }
    }

    public sealed record FamilyResult(string Family, int Known, int Generated, TimeSpan Time, IReadOnlyDictionary<int, int> Statuses, IReadOnlyList<Failure> Failures)
    {
        public int Inputs => Known + Generated;

        public override string ToString() =>
            $"{Family,-14} {Inputs,7} inputs ({Known} known attacks + {Generated} generated) in {Time.TotalSeconds,6:F1} s; " +
            string.Join(" ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")) + (Failures.Count > 0 ? $"; {Failures.Count} FAILED" : "");
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public async Task<FamilyResult> RunAsync(string family, int generated, int? only = null)
    {
        var targets = EntryPoints.All.Where(t => t.Family == family).ToList();
        var rotation = targets.SelectMany(t => Enumerable.Repeat(t, t.Weight)).ToArray();
        var gens = targets.ToDictionary(t => t, t => t.Generator(world));
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentBag<Failure>();
        var clock = Stopwatch.StartNew();

        var known = only is null ? KnownAttacks.For(family, targets, world) : [];
        await Parallel.ForEachAsync(Enumerable.Range(0, known.Count), new ParallelOptions { MaxDegreeOfParallelism = FuzzSettings.Parallel }, async (k, _) =>
        {
            var (target, request) = known[k];
            var (status, reason) = await ExecuteAsync(target.Effect, request);
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (reason is not null) failures.Add(new Failure(family, "known-" + k, request, reason));
        });

        var indexes = only is { } single ? [single] : Enumerable.Range(0, generated);
        await Parallel.ForEachAsync(indexes, new ParallelOptions { MaxDegreeOfParallelism = FuzzSettings.Parallel }, async (i, _) =>
        {
            var target = rotation[i % rotation.Length];
            var request = Generate(gens[target], family, i);
            var (status, reason) = await ExecuteAsync(target.Effect, request);
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (reason is not null) failures.Add(new Failure(family, i.ToString(System.Globalization.CultureInfo.InvariantCulture), request, reason));
        });

        var ordered = failures.OrderBy(f => f.Index.StartsWith("known", StringComparison.Ordinal) ? 0 : 1).ThenBy(f => f.Index.Length).ThenBy(f => f.Index, StringComparer.Ordinal).ToList();
        foreach (var first in ordered.GroupBy(f => Kind(f.Reason)).Select(g => g.First()).Take(3))
            await ShrinkAsync(targets.First(t => t.Name == first.Request.Target).Effect, first);
        return new FamilyResult(family, known.Count, only is null ? generated : 1, clock.Elapsed, statuses, ordered);
    }

    public FuzzRequest Generate(Gen<FuzzRequest> gen, string family, int index) =>
        gen.Sample(1 + index % 40, new Rnd(FuzzSettings.InputSeed(seed, family, index)), 1).First();

    /// <summary>Sends one input; null when the answer is acceptable, else why not. Books what a 2xx answer wrote.</summary>
    public async Task<(int Status, string? Reason)> ExecuteAsync(Effect effect, FuzzRequest request)
    {
        using var message = request.ToHttp(world.Token);
        using var patience = new CancellationTokenSource(Patience);
        try
        {
            using var response = await world.Client.SendAsync(message, patience.Token);
            var body = await response.Content.ReadAsByteArrayAsync(patience.Token);
            var status = (int)response.StatusCode;
            // The dialect is the one of the path the server saw (a ".." segment may have left the door's prefix).
            var path = response.RequestMessage?.RequestUri?.AbsolutePath ?? request.Path;
            Door? door = path.StartsWith("/open311", StringComparison.OrdinalIgnoreCase) ? Door.Open311
                : path.StartsWith("/api", StringComparison.OrdinalIgnoreCase) ? Door.Api : null;
            var reason = door is { } d ? FuzzWorld.Judge(d, status, response.Content.Headers.ContentType?.ToString(), body) : status >= 500 ? $"HTTP {status}" : null;
            if (reason is null)
            {
                try { world.Record(effect, status, body); }
                catch (Exception e) when (e is System.Text.Json.JsonException or System.Xml.XmlException or NullReferenceException or InvalidOperationException or FormatException)
                {
                    reason = $"HTTP {status} that does not say what it wrote ({e.GetType().Name}): {Wire.Show(body, 300)}";
                }
            }
            return (status, reason);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or InvalidOperationException)
        {
            return (0, $"no answer: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Greedy shrinking: take the first smaller variant that still fails the same way, until none does (bounded).</summary>
    private async Task ShrinkAsync(Effect effect, Failure failure)
    {
        var kind = Kind(failure.Reason);
        var (current, reason) = (failure.Request, failure.Reason);
        var tries = 0;
        for (var progress = true; progress && tries < 400;)
        {
            progress = false;
            foreach (var candidate in current.Shrink())
            {
                if (++tries > 400) break;
                var (_, r) = await ExecuteAsync(effect, candidate);
                if (r is not null && Kind(r) == kind)
                {
                    (current, reason, progress) = (candidate, r, true);
                    break;
                }
            }
        }
        if (!ReferenceEquals(current, failure.Request)) (failure.Shrunk, failure.ShrunkReason) = (current, reason);
    }

    /// <summary>The kind of a failure, for shrinking and grouping: "HTTP 500", "no answer", or the dialect complaint.</summary>
    private static string Kind(string reason)
    {
        var colon = reason.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? reason : reason[..colon];
    }
}

/// <summary>
/// The corpus fed deterministically, every entry at least once per family: each hostile string
/// into a field of a valid request (fields and rows in turn), each JSON body to each JSON row in
/// turn, each form body to the Open311 POST, each header to a row in turn, and every file name
/// and content type to the upload.
/// </summary>
public static class KnownAttacks
{
    public static List<(Target, FuzzRequest)> For(string family, IReadOnlyList<Target> targets, FuzzWorld world)
    {
        var c = Corpus.Default;
        var result = new List<(Target, FuzzRequest)>();
        var valid = targets.Select(t => (Target: t, Request: Valid(t, world))).ToList();

        // Inputs that once found a fault; "{name}" in a path takes the world's first value; copies run side by side.
        foreach (var regression in c.Regressions.Where(r => r.Family == family))
        {
            var target = targets.FirstOrDefault(t => t.Method.Method == regression.Method && Matches(t.Path, regression.Path)) ?? targets[0];
            var door = regression.Path.StartsWith("/open311", StringComparison.Ordinal) ? Door.Open311 : Door.Api;
            var at = regression.Path.IndexOf('?', StringComparison.Ordinal);
            var path = Target.ValidPath(at < 0 ? regression.Path : regression.Path[..at], world);
            var request = new FuzzRequest(family, target.Name, new HttpMethod(regression.Method), path, door, [],
                world.Fill(regression.Body is { } b ? new RawBody(b, regression.ContentType) : null, new Random(1)), regression.Headers, regression.Auth, at < 0 ? "" : regression.Path[(at + 1)..]);
            result.AddRange(Enumerable.Repeat((target, request), regression.Concurrent));
        }

        for (var k = 0; k < c.Strings.Count; k++)
        {
            var (target, request) = valid[k % valid.Count];
            result.Add((target, Poison(request, k / valid.Count + k, c.Strings[k])));
        }
        for (var k = 0; k < c.Headers.Count; k++)
        {
            var (target, request) = valid[k % valid.Count];
            result.Add((target, request with { Headers = [c.Headers[k]] }));
        }
        var jsonRows = valid.Where(v => v.Request.Body is JsonBody).ToList();
        for (var k = 0; jsonRows.Count > 0 && k < c.JsonBodies.Count; k++)
        {
            var (target, request) = jsonRows[k % jsonRows.Count];
            result.Add((target, request with { Body = new RawBody(c.JsonBodies[k], "application/json") }));
        }
        foreach (var (target, request) in valid.Where(v => v.Request.Body is FormBody))
        {
            result.AddRange(c.FormBodies.Select(b => (target, request with { Body = new RawBody(b, "application/x-www-form-urlencoded") })));
            result.AddRange(c.ContentTypes.Select(t => (target, request with { Body = ((FormBody)request.Body!) with { Type = t.AsText } })));
        }
        foreach (var (target, request) in valid.Where(v => v.Target.Effect == Effect.Upload))
        {
            byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, .. new byte[60]];
            result.AddRange(c.FileNames.Select(f => (target, request with { Query = [(Piece.Of("fileName"), f)], Body = new RawBody(Piece.Bytes(jpeg), "image/jpeg") })));
            result.AddRange(c.ContentTypes.Select(t => (target, request with { Body = new RawBody(Piece.Bytes(jpeg), t.AsText) })));
            result.AddRange(c.FileNames.Select(f => (target, request with
            {
                Body = new MultipartBody([new Part(Piece.Of("file"), f, "image/jpeg", Piece.Bytes(jpeg))]),
            })));
        }
        return result;
    }

    /// <summary>A row's request with every value valid (the first of each), no extra header, nothing hostile.</summary>
    public static FuzzRequest Valid(Target t, FuzzWorld world)
    {
        var path = Target.ValidPath(t.Path, world);
        var query = t.Query.Select(q => (Piece.Of(q.Name), Piece.Of(world.Resolve(q.Valid)[0]))).ToList();
        Body? body = null;
        if (t.Json is not null) body = new JsonBody(world.Fill(J.FromObject(t.Json), new Random(1)));
        else if (t.Form is not null) body = new FormBody(t.Form.Select(f => (Piece.Of(f.Name), Piece.Of(world.Resolve(f.Valid)[0]))).ToList());
        else if (t.RawBody is not null) body = new RawBody(Piece.Bytes([0xFF, 0xD8, 0xFF, 0xE0, .. new byte[60]]), "image/jpeg");
        return new FuzzRequest(t.Family, t.Name, t.Method, path, t.Door, query, body, [], t.Callers[0]);
    }

    /// <summary>Puts <paramref name="poison"/> into one field of a valid request: a body member, a query member, or a path value.</summary>
    private static FuzzRequest Poison(FuzzRequest r, int k, Piece poison)
    {
        switch (r.Body)
        {
            case JsonBody { Root: JObj o } j when o.Props.Count > 0:
            {
                var i = k % o.Props.Count;
                return r with { Body = j with { Root = new JObj([.. o.Props.Take(i), (o.Props[i].Key, new JStr(poison)), .. o.Props.Skip(i + 1)]) } };
            }
            case FormBody f when f.Fields.Count > 0:
            {
                var i = k % f.Fields.Count;
                return r with { Body = f with { Fields = [.. f.Fields.Take(i), (f.Fields[i].Key, poison), .. f.Fields.Skip(i + 1)] } };
            }
        }
        if (r.Query.Count > 0)
        {
            var i = k % r.Query.Count;
            return r with { Query = [.. r.Query.Take(i), (r.Query[i].Key, poison), .. r.Query.Skip(i + 1)] };
        }
        var segments = r.Path.Split('/');
        var last = segments.Length - 1;
        var dot = segments[last].LastIndexOf('.');
        segments[last] = dot > 0 && r.Door == Door.Open311 ? Wire.Percent(poison.Utf8) + segments[last][dot..] : Wire.Percent(poison.Utf8);
        return r with { Path = Target.InMemory(string.Join('/', segments)) };
    }

    private static bool Matches(string pattern, string path)
    {
        var p = pattern.Split('/');
        var s = path.Split('?')[0].Split('/');
        return p.Length == s.Length && p.Zip(s).All(x => x.First.Contains('{', StringComparison.Ordinal) || x.First == x.Second);
    }
}
