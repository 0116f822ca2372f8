using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CityOps.Tests.Support;
using FsCheck;
using FsCheck.Fluent;

namespace CityOps.Tests.Fuzz;

/// <summary>
/// Every public entry point fed known attacks and generated hostile input (docs/fuzzing.md):
/// no answer is a 5xx, every refusal speaks its door's dialect, nothing is half written, the
/// server keeps serving valid requests and every case's chain stays intact.
/// </summary>
[Collection("fuzz")]
public sealed class FuzzTests
{
    private static readonly Lock ReportLock = new();

    private static void Say(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (FuzzSettings.ReportFile is { } file)
            lock (ReportLock) File.AppendAllText(file, line + Environment.NewLine);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Every_entry_point_survives_known_and_generated_hostile_input(string db)
    {
        var seed = FuzzSettings.Seed;
        var clock = Stopwatch.StartNew();
        await using var world = await FuzzWorld.CreateAsync(db, seed);
        var setUp = clock.Elapsed;
        var fuzzer = new Fuzzer(world, seed);
        var only = FuzzSettings.Only;
        var families = only is { } o ? [o.Family] : EntryPoints.Families;
        Say($"fuzz {db}: seed {seed}, {FuzzSettings.InputsPerFamily} generated inputs per family, {FuzzSettings.Parallel} in flight; set-up {setUp.TotalSeconds:F1} s; baseline {world.Baseline}");

        var results = new List<Fuzzer.FamilyResult>();
        foreach (var family in families)
        {
            var result = await fuzzer.RunAsync(family, FuzzSettings.InputsPerFamily, only?.Index);
            results.Add(result);
            Say($"  {result}");
        }

        // Everything written reads back: each case in both Open311 formats with extensions, and as staff.
        var readBack = await ReadBackAsync(world);
        var counts = await world.CountAsync();
        var expected = world.Expected();
        var opened = world.CreatedCases.Count;
        var checks = await SanityAsync(world);
        var errors = world.Errors.Entries.ToList();
        Say($"fuzz {db}: {results.Sum(r => r.Inputs)} inputs in {clock.Elapsed.TotalSeconds:F1} s; {opened} cases opened by inputs; rows {counts} (expected {expected})");

        var failures = results.SelectMany(r => r.Failures).ToList();
        var message = new StringBuilder();
        foreach (var f in failures.GroupBy(f => f.Family).SelectMany(g => g.Take(5))) message.Append(f.Describe(seed)).Append("\n\n");
        if (failures.Count > 0) message.Insert(0, $"{failures.Count} inputs failed (first of each family shown, shrunk where possible):\n\n");
        foreach (var r in readBack) message.Append("read-back: ").Append(r).Append('\n');
        if (counts != expected) message.Append($"partial or unaccounted writes: rows are {counts}, the 2xx answers account for {expected}\n");
        foreach (var c in checks) message.Append("after the run: ").Append(c).Append('\n');
        foreach (var e in errors.Take(10)) message.Append("server logged: ").Append(e).Append('\n');
        Assert.True(message.Length == 0, $"seed {seed} on {db}:\n{message}");
        if (only is null)
            Assert.All(results, r => Assert.True(r.Inputs >= FuzzSettings.InputsPerFamily, $"{r.Family} was fed only {r.Inputs} inputs"));
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task The_real_socket_survives_malformed_http(string db)
    {
        var seed = FuzzSettings.Seed;
        var clock = Stopwatch.StartNew();
        await using var world = await FuzzWorld.CreateAsync(db, seed, kestrel: true);
        var server = world.App.BaseUrl;
        var before = await world.CountAsync();
        var problems = new List<string>(); // guarded by statuses' lock
        var statuses = new SortedDictionary<int, int>();
        var timeout = TimeSpan.FromSeconds(20);

        async Task Send(string name, byte[] request)
        {
            var whole = RawHttp.Whole(request);
            var answer = await RawHttp.SendAsync(server, request, whole, timeout);
            lock (statuses)
            {
                foreach (var s in answer.Statuses.DefaultIfEmpty(0)) statuses[s] = statuses.GetValueOrDefault(s) + 1;
                // 505 is Kestrel's own word for an HTTP version it does not speak (RFC 9110), said before the application sees anything.
                if (answer.Statuses.Any(s => s >= 500 && s != 505)) problems.Add($"{name}: {answer}\n  sent: {Wire.Show(request, 800)}");
                // The HTTP/2 preface is answered in HTTP/2 (a GOAWAY frame), not with an HTTP/1 status line.
                else if (whole && answer.Statuses.Count == 0 && !(Encoding.Latin1.GetString(request).StartsWith("PRI * HTTP/2.0", StringComparison.Ordinal) && answer.Bytes > 0))
                    problems.Add($"{name}: a whole request got no answer ({answer})\n  sent: {Wire.Show(request, 800)}");
            }
        }

        var corpus = Corpus.Default.Raw.Select(r => (r.Name, Request: RawHttp.Expand(r.Request, world.Token))).ToList();
        await Parallel.ForEachAsync(corpus, new ParallelOptions { MaxDegreeOfParallelism = 2 * FuzzSettings.Parallel }, async (c, _) => await Send(c.Name, c.Request));

        var templates = RawHttp.Templates(world.Token).Select(t => RawHttp.Expand(Encoding.Latin1.GetBytes(t), world.Token)).ToList();
        var gen = RawHttp.Mutated(templates);
        var count = FuzzSettings.RawInputs;
        // Twice the usual requests in flight: most of a socket's time is spent waiting on the server's timing, not on the CPU.
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 2 * FuzzSettings.Parallel }, async (i, _) =>
        {
            var request = gen.Sample(10, new Rnd(FuzzSettings.InputSeed(seed, "raw-http", i)), 1).First();
            await Send($"raw-http #{i} (seed {seed})", request);
        });

        var after = await world.CountAsync();
        var checks = await SanityAsync(world);
        Say($"fuzz {db} on a real socket: {corpus.Count} known malformed messages + {count} generated in {clock.Elapsed.TotalSeconds:F1} s; " +
            string.Join(" ", statuses.Select(s => $"{(s.Key == 0 ? "none" : s.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))}×{s.Value}")));
        var errors = world.Errors.Entries.ToList();
        Assert.True(problems.Count == 0 && checks.Count == 0 && errors.Count == 0 && before == after,
            $"seed {seed} on {db}:\n{string.Join("\n", problems.Take(10))}\n{string.Join("\n", checks)}\n{string.Join("\n", errors.Take(10))}" +
            (before == after ? "" : $"\nrows changed by requests that must all have been refused: {before} → {after}"));
    }

    /// <summary>Reads back every case the inputs opened (and those of the set-up): no stored value may break an answer.</summary>
    private static async Task<List<string>> ReadBackAsync(FuzzWorld world)
    {
        var problems = new List<string>();
        var ids = world.CreatedCases.Concat(world.Values("caseId").Where(v => v is not ("0" or "999999999")).Select(long.Parse)).Distinct().ToList();
        async Task Read(string path, bool staff, Func<string, bool> wellFormed)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (staff) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", world.AuditorToken);
            using var response = await world.Client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode || !wellFormed(body)) problems.Add($"GET {path} → {(int)response.StatusCode}: {body[..Math.Min(body.Length, 300)]}");
        }
        static bool Xml(string s) { try { XDocument.Parse(s); return true; } catch (System.Xml.XmlException) { return false; } }
        static bool Json(string s) { try { JsonNode.Parse(s); return true; } catch (System.Text.Json.JsonException) { return false; } }
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = FuzzSettings.Parallel }, async (id, _) =>
        {
            await Read($"/open311/v2/requests/{id}.xml?extensions=true", false, Xml);
            await Read($"/open311/v2/requests/{id}.json?extensions=true", false, Json);
            await Read($"/api/cases/{id}", true, Json);
        });
        await Read("/open311/v2/requests.xml?extensions=true&page_size=1000", false, Xml);
        await Read("/open311/v2/requests.json?extensions=true&page_size=1000", false, Json);
        await Read("/api/cases?pageSize=500", true, Json);
        await Read("/api/evaluation/export.xlsx?period=" + world.Values("year")[0], true, _ => true);
        return problems;
    }

    /// <summary>After the run: a valid Open311 POST and GET still work, and every case's chain is intact.</summary>
    private static async Task<List<string>> SanityAsync(FuzzWorld world)
    {
        var problems = new List<string>();
        var client = world.Client;
        var marker = "fuzz-sanity-" + Guid.NewGuid().ToString("N")[..8];
        var posted = await client.PostAsync("/open311/v2/requests.json", new FormUrlEncodedContent(Api.Report("E0103", (double.Parse(world.Values("lon")[^1], System.Globalization.CultureInfo.InvariantCulture), double.Parse(world.Values("lat")[^1], System.Globalization.CultureInfo.InvariantCulture)), marker)));
        var postedBody = await posted.Content.ReadAsStringAsync();
        if (posted.StatusCode != HttpStatusCode.Created)
        {
            problems.Add($"a valid Open311 POST got {(int)posted.StatusCode}: {postedBody}");
        }
        else
        {
            var created = JsonNode.Parse(postedBody)![0]!;
            world.Record(Effect.Open311Report, 201, Encoding.UTF8.GetBytes(postedBody));
            var id = created["service_request_id"]!.GetValue<string>();
            var read = await client.GetAsync($"/open311/v2/requests/{id}.json");
            var readBody = await read.Content.ReadAsStringAsync();
            if (read.StatusCode != HttpStatusCode.OK || JsonNode.Parse(readBody)![0]!["service_request_id"]!.GetValue<string>() != id)
                problems.Add($"a valid Open311 GET of {id} got {(int)read.StatusCode}: {readBody}");
            var list = await client.GetAsync($"/open311/v2/requests.xml?service_request_id={id}");
            if (list.StatusCode != HttpStatusCode.OK || XDocument.Parse(await list.Content.ReadAsStringAsync()).Root!.Elements("request").Count() != 1)
                problems.Add($"a valid Open311 list of {id} got {(int)list.StatusCode}");
        }

        using var verify = new HttpRequestMessage(HttpMethod.Get, "/api/audit/verify");
        verify.Headers.Authorization = new AuthenticationHeaderValue("Bearer", world.AuditorToken);
        using var audit = await client.SendAsync(verify);
        var auditBody = await audit.Content.ReadAsStringAsync();
        var counts = await world.CountAsync();
        if (audit.StatusCode != HttpStatusCode.OK) problems.Add($"the audit check got {(int)audit.StatusCode}: {auditBody}");
        else
        {
            var result = JsonNode.Parse(auditBody)!;
            if (result["intact"]!.GetValue<bool>() != true || result["casesChecked"]!.GetValue<int>() != counts.Cases || result["eventsChecked"]!.GetValue<long>() != counts.Events)
                problems.Add($"the audit check does not find every chain intact: {auditBody} (rows {counts})");
        }
        return problems;
    }
}

/// <summary>The fuzz tests run alone: they measure their own time and load the machine on purpose.</summary>
[CollectionDefinition("fuzz", DisableParallelization = true)]
public sealed class FuzzCollection;
