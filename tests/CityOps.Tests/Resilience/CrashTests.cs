using System.Diagnostics;
using System.Globalization;
using System.Text;
using CityOps.Server.Data;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Tests.Resilience;

/// <summary>
/// "Will it lose a complaint?" The real server process is killed with SIGKILL at random moments
/// under steady load — intake and moves in flight — and started again on the same database; the
/// clients retry what was not acknowledged with the same Idempotency-Key. Afterwards every
/// acknowledged report and move is stored exactly once, nothing retried is doubled, every case's
/// history and side effects are whole and every hash chain verifies.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    /// <summary>Reports and moves acknowledged after each start before the next kill may fall.</summary>
    private const int ProgressBetweenKills = 4;

    private static readonly string[] LoopActions = ["claim", "register", "assign", "submit", "confirm", "close", "callback"];

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Killing_the_server_under_load_loses_and_doubles_nothing_that_was_acknowledged(string db)
    {
        var settings = CrashSettings.FromEnvironment();
        var rng = new Random(settings.Seed);
        var tag = "crash" + Guid.NewGuid().ToString("N")[..8];
        var clock = Stopwatch.StartNew();
        await using var server = await ServerProcess.StartAsync(db, await SeededDatabase.NewAsync(db), name: "crash");
        var tokens = new CrashLoad.Tokens(await server.TokenAsync("operator"), await server.TokenAsync("department"),
            await server.TokenAsync("handler"), await (await server.SignInAsync("handler")).MyIdAsync());

        var load = new CrashLoad(server, settings, tag);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(tokens, TimeSpan.FromSeconds(90), stop.Token);
        var cutInFlight = 0;
        var startupKills = 0;
        var lockKills = 0;
        var loadClock = Stopwatch.StartNew();
        try
        {
            var mean = settings.Seconds / settings.Kills;
            for (var k = 1; k <= settings.Kills; k++)
            {
                // A random moment, but never before the (re)started server has acknowledged some work:
                // on a busy machine the first requests after a start are slow.
                var started = load.Acknowledged;
                await Task.Delay(TimeSpan.FromSeconds(mean * (0.4 + 1.2 * rng.NextDouble())));
                Assert.True(await CrashLoad.ProgressAsync(() => load.Acknowledged >= started + ProgressBetweenKills, TimeSpan.FromSeconds(60)),
                    $"no progress within a minute after start {k}: {load.Acknowledged - started} acknowledged");
                Assert.False(running.IsCompleted, "the clients stopped early: " + running.Exception);
                cutInFlight += load.InFlight;
                server.Kill();
                await Task.Delay(rng.Next(0, 400));
                if (k % 6 == 2)
                {
                    // A kill while starting, at its worst moment: holding the migration lock.
                    lockKills += await MigrationLock.KillWhileHeldAsync(server) ? 1 : 0;
                    startupKills++;
                }
                else if (k % 6 == 5)
                {
                    // A kill while starting, at a random moment: migrating, seeding, opening the port.
                    var typical = server.StartupTimes[^1];
                    server.Launch();
                    await Task.Delay(TimeSpan.FromMilliseconds(typical.TotalMilliseconds * rng.NextDouble()));
                    server.Kill();
                    startupKills++;
                }
                await server.StartAsync();
            }
            // After the last start the load goes on until the drivers have moved cases again.
            var moved = load.MovesAcknowledged;
            await Task.Delay(TimeSpan.FromSeconds(1));
            await CrashLoad.ProgressAsync(() => load.MovesAcknowledged > Math.Max(moved, settings.Drivers), TimeSpan.FromSeconds(60));
        }
        finally
        {
            await stop.CancelAsync();
        }
        await running;
        var loadTime = loadClock.Elapsed;

        // Every client finished: each report and move was answered (the assertions below say which not).
        var verifyClock = Stopwatch.StartNew();
        var reports = load.Reports.ToList();
        var moves = load.Moves.ToList();
        var problems = new List<string>();
        problems.AddRange(reports.Where(r => !r.Acknowledged).Select(r => $"report {r.Marker} not acknowledged: {r.Failure}"));
        problems.AddRange(moves.Where(m => !m.Acknowledged || m.Failure is not null).Select(m => $"move {m.Action} on {m.CaseId}: {m.Failure}"));
        problems.AddRange(load.ServerErrors.Select(e => "5xx: " + e));

        var options = new DbContextOptionsBuilder<CityOpsDb>();
        DatabaseSetup.Configure(options, db, server.Connection);
        await using var data = new CityOpsDb(options.Options);
        var storedReports = await data.Reports.AsNoTracking().Where(r => r.Description.Contains(tag))
            .Select(r => new { r.Id, r.CaseId, r.IdempotencyKey, r.Description, r.ReceivedAt }).ToListAsync();
        var byMarker = storedReports.GroupBy(r => r.Description[(r.Description.IndexOf(tag, StringComparison.Ordinal))..]).ToDictionary(g => g.Key, g => g.ToList());
        var storedEarlier = 0;
        foreach (var r in reports.Where(r => r.Acknowledged))
        {
            var stored = byMarker.GetValueOrDefault(r.Marker) ?? [];
            if (stored.Count != 1) { problems.Add($"report {r.Marker} stored {stored.Count} times"); continue; }
            if (stored[0].CaseId != r.CaseId) problems.Add($"report {r.Marker} acknowledged as case {r.CaseId} but stored in case {stored[0].CaseId}");
            if (stored[0].IdempotencyKey != r.Key) problems.Add($"report {r.Marker} stored under another key");
            if (r.Attempts > 1 && stored[0].ReceivedAt < r.FinalAttemptAt) storedEarlier++;
        }
        if (storedReports.Count != reports.Count) problems.Add($"{reports.Count} reports sent, {storedReports.Count} stored");

        // Each case the reports went into: one report or merge event per report, the count on the case agrees.
        var caseIds = reports.Where(r => r.Acknowledged).Select(r => r.CaseId).Distinct().ToList();
        var cases = await data.Cases.AsNoTracking().Where(c => caseIds.Contains(c.Id))
            .Select(c => new { c.Id, c.ReportCount, c.State, c.LastEventSeq, c.Version }).ToDictionaryAsync(c => c.Id);
        var events = (await data.CaseEvents.AsNoTracking().Where(e => caseIds.Contains(e.CaseId))
            .Select(e => new { e.CaseId, e.Seq, e.Action, e.ToState, e.IdempotencyKey, e.Public }).ToListAsync()).ToLookup(e => e.CaseId);
        var reportsPerCase = storedReports.GroupBy(r => r.CaseId).ToDictionary(g => g.Key, g => g.Count());
        foreach (var id in caseIds)
        {
            if (!cases.TryGetValue(id, out var c)) { problems.Add($"case {id} acknowledged but missing"); continue; }
            var history = events[id].OrderBy(e => e.Seq).ToList();
            var intake = history.Count(e => e.Action is "report" or "merge");
            if (intake != c.ReportCount || intake != reportsPerCase.GetValueOrDefault(id))
                problems.Add($"case {id}: {intake} report/merge events, ReportCount {c.ReportCount}, {reportsPerCase.GetValueOrDefault(id)} reports of this run");
            if (history.Count != c.LastEventSeq || history.Select(e => e.Seq).SequenceEqual(Enumerable.Range(1, history.Count)) is false)
                problems.Add($"case {id}: events {string.Join(',', history.Select(e => e.Seq))}, tip {c.LastEventSeq}");
            if (history.Count > 0 && history[^1].ToState != c.State) problems.Add($"case {id}: state {c.State}, last event to {history[^1].ToState}");
        }

        // Driven cases: the history is exactly the acknowledged moves, once each, in order, with their side effects.
        var driven = load.DrivenCases.ToList();
        var outbox = (await data.Outbox.AsNoTracking().Where(m => m.CaseId != null && driven.Contains(m.CaseId.Value)).Select(m => new { m.CaseId, m.Key }).ToListAsync())
            .ToLookup(m => m.CaseId!.Value, m => m.Key);
        var notices = (await data.Notifications.AsNoTracking().Where(n => n.CaseId != null && driven.Contains(n.CaseId.Value)).Select(n => new { n.CaseId, n.Kind }).ToListAsync())
            .ToLookup(n => n.CaseId!.Value, n => n.Kind);
        var movesByCase = moves.ToLookup(m => m.CaseId);
        foreach (var id in driven)
        {
            var history = events[id].OrderBy(e => e.Seq).ToList();
            var sent = movesByCase[id].ToList();
            var acked = sent.Where(m => m.Acknowledged).ToList();
            // What the history must read: the report, then each acknowledged move once, in order (register followed
            // by its auto-dispatch). A move cut by a kill was either applied or not; its retry converged on one event.
            var expected = new List<string> { "report" };
            foreach (var m in acked) { expected.Add(m.Action); if (m.Action == "register") expected.Add("dispatch"); }
            var actual = history.Select(e => e.Action).ToList();
            if (!actual.SequenceEqual(expected))
                problems.Add($"case {id}: history [{string.Join(',', actual)}], acknowledged [{string.Join(',', expected)}]");
            foreach (var m in acked)
            {
                var withKey = history.Where(e => e.IdempotencyKey == m.Key).ToList();
                if (withKey.Count != 1 || withKey[0].Action != m.Action) problems.Add($"case {id}: move {m.Action} found {withKey.Count} times by its key");
            }
            var unknown = history.Where(e => e.IdempotencyKey is not null && sent.All(m => m.Key != e.IdempotencyKey)).ToList();
            if (unknown.Count > 0) problems.Add($"case {id}: events under keys nobody sent");
            // The outbox holds one message per public move, written with it; the inbox one notice per dispatch and per assignment.
            var publicKeys = history.Where(e => e.Public && e.Action is not ("report" or "merge")).Select(e => $"case:{id}:event:{e.Seq}").Order().ToList();
            if (!outbox[id].Order().SequenceEqual(publicKeys))
                problems.Add($"case {id}: outbox [{string.Join(',', outbox[id].Order())}], public events [{string.Join(',', publicKeys)}]");
            if (notices[id].Count(k => k == "dispatch") != history.Count(e => e.Action == "dispatch")
                || notices[id].Count(k => k == "assigned") != history.Count(e => e.Action == "assign"))
                problems.Add($"case {id}: notices [{string.Join(',', notices[id])}] for [{string.Join(',', actual)}]");
        }

        // The public API agrees: every acknowledged id is there, and the admin's audit of every chain is clean.
        using var anonymous = server.Client();
        foreach (var chunk in caseIds.Chunk(100))
        {
            var list = await (await anonymous.GetAsync($"/open311/v2/requests.json?service_request_id={string.Join(',', chunk)}")).JsonAsync();
            var found = list.AsArray().Select(n => long.Parse(n!["service_request_id"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToHashSet();
            problems.AddRange(chunk.Where(id => !found.Contains(id)).Select(id => $"case {id} missing from Open311"));
        }
        using var admin = await server.SignInAsync("admin");
        var audit = await (await admin.GetAsync("/api/audit/verify")).JsonAsync();
        if (!audit["intact"]!.GetValue<bool>()) problems.Add("audit: " + audit.ToJsonString());
        var auditedCases = audit["casesChecked"]!.GetValue<int>();
        if (auditedCases < caseIds.Count) problems.Add($"audit checked {auditedCases} cases, this run has {caseIds.Count}");

        var unanswered = reports.Sum(r => r.Unanswered) + moves.Sum(m => m.Unanswered);
        var retriedReports = reports.Count(r => r.Attempts > 1);
        var retriedMoves = moves.Count(m => m.Attempts > 1);
        var summary = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"{db}: seed {settings.Seed}, {server.Kills} kills ({startupKills} while starting, {lockKills} of them holding the migration lock), {cutInFlight} requests in flight at the kills, {unanswered} attempts unanswered")
            .AppendLine(CultureInfo.InvariantCulture, $"  first start {server.StartupTimes[0].TotalSeconds:F1} s (on a seeded copy), restarts {string.Join(" ", server.StartupTimes.Skip(1).Select(t => t.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)))} s")
            .AppendLine(CultureInfo.InvariantCulture, $"  reports: {reports.Count} sent, {reports.Count(r => r.Acknowledged)} acknowledged, {retriedReports} retried ({storedEarlier} had been stored by an earlier attempt), {storedReports.Count} stored, {caseIds.Count} cases checked")
            .AppendLine(CultureInfo.InvariantCulture, $"  moves: {moves.Count} sent, {moves.Count(m => m.Acknowledged)} acknowledged, {retriedMoves} retried ({moves.Count(m => m.Replayed)} answered as replays), {driven.Count} cases driven, {driven.Count(id => events[id].Any(e => e.Action == "callback"))} round the whole loop")
            .AppendLine(CultureInfo.InvariantCulture, $"  audit: {auditedCases} cases, {audit["eventsChecked"]} events, intact {audit["intact"]}; load {loadTime.TotalSeconds:F1} s, checks {verifyClock.Elapsed.TotalSeconds:F1} s, total {clock.Elapsed.TotalSeconds:F1} s")
            .ToString();
        output.WriteLine(summary);
        await File.WriteAllTextAsync(Path.ChangeExtension(server.LogPath, ".summary.txt"), summary);
        var errors = server.Errors();
        foreach (var e in errors) output.WriteLine("server: " + e);

        Assert.True(problems.Count == 0, summary + string.Join('\n', problems.Take(40)) + $"\nserver log: {server.LogPath}");
        Assert.True(server.Kills >= settings.Kills + startupKills, summary);
        Assert.True(lockKills == (settings.Kills + 4) / 6, "no kill landed while the migration lock was held\n" + summary);
        Assert.True(retriedReports + retriedMoves > 0 || cutInFlight == 0, "requests were in flight at the kills, yet none was retried");
        Assert.True(driven.Count > 0 && moves.Count(m => m.Acknowledged) > settings.Drivers, summary);
    }
}
