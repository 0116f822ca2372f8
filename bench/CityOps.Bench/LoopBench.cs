using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace CityOps.Bench;

/// <summary>Latency of one kind of move over a run.</summary>
public sealed record MoveStats(string Action, int Count, int Errors, Latency Latency);

/// <summary>One run of whole cases, report to callback, over HTTP.</summary>
public sealed record LoopRun(
    string Name, string Mode, int? TargetRate, int? Workers, double WindowSeconds, double ElapsedSeconds,
    int Started, int Completed, int Failed, double CasesPerSecond, double MovesPerSecond, int Moves, int MoveErrors,
    Latency AllMoves, IReadOnlyList<MoveStats> PerAction, Latency? ReportFromSchedule, Latency CaseDuration,
    int MaxInFlight, bool StoppedEarly, double StoppedAtSecond, IReadOnlyDictionary<string, int> Outcomes, IReadOnlyList<string> ErrorSamples,
    IReadOnlyList<(int Second, int Cases, double P99)> Timeline, IntakeBench.CpuUse Cpu, DateTime StartedUtc)
{
    /// <summary>Kept up with the offered rate: every case offered was started and finished, none failed.</summary>
    public bool Sustained => TargetRate is { } r && !StoppedEarly && Failed == 0 && Completed == Started && Started >= r * WindowSeconds * 0.99 && CasesPerSecond >= 0.97 * r;

    public bool LatencyGoal => AllMoves.P99 < 50;
}

/// <summary>A closed loop of signed-in requests that run no query (<c>GET /api/auth/me</c>): what every request of the loop costs before its own work.</summary>
public sealed record LoopFloor(string Request, int Workers, double Seconds, int Requests, double RequestsPerSecond, Latency Latency, IntakeBench.CpuUse Cpu)
{
    /// <summary>Cores of server and load generator per request.</summary>
    public double HttpCoresPerRequest => (Cpu.Server + Cpu.Bench) / RequestsPerSecond;
}

/// <summary>What the database and the audit endpoint say about the cases afterwards.</summary>
public sealed record LoopChecks(
    int CompletedCases, long ClosedInDb, long MinEvents, long MaxEvents, long FewerThanNine, IReadOnlyList<(string Sequence, long Cases)> Sequences,
    long DeadlineEvents, IReadOnlyList<(string State, long Cases)> FailedStates,
    int AuditStatus, long AuditCases, long AuditEvents, bool AuditIntact, int AuditBroken, double AuditMs)
{
    public bool AllClosed => ClosedInDb == CompletedCases && FewerThanNine == 0;
}

public sealed record LoopResult(
    string PostgresInfo, string Database, double StartupSeconds, long ServerPeakRss, LoopRun Warmup, LoopRun Closed, LoopFloor Floor, LoopRun Target, IReadOnlyList<LoopRun> Ladder,
    int LadderStep, int LadderSeconds, LoopChecks Checks, IReadOnlyList<string> ServerProblems, string ServerLog, int PointPool,
    IReadOnlyList<(DateTime At, string What)> Background)
{
    /// <summary>Cores of PostgreSQL per case completed in the capacity run: the statements this server sends for a case, and whatever else PostgreSQL did meanwhile.</summary>
    public double PostgresCoresPerCase => Closed.Cpu.Postgres / Closed.CasesPerSecond;

    /// <summary>Cores of the server per case completed in the capacity run.</summary>
    public double ServerCoresPerCase => Closed.Cpu.Server / Closed.CasesPerSecond;

    /// <summary>Cores of the load generator per case completed in the capacity run.</summary>
    public double BenchCoresPerCase => Closed.Cpu.Bench / Closed.CasesPerSecond;

    /// <summary>
    /// The most cases per second these cores could take if PostgreSQL did for each what it did in the
    /// capacity run and the server did nothing for each of a case's requests beyond the HTTP floor:
    /// the cores divided by PostgreSQL's CPU per case plus the floor's server and load-generator CPU
    /// for every request of a case.
    /// </summary>
    public double Ceiling => Environment.ProcessorCount / (PostgresCoresPerCase + LoopBench.Actions.Length * Floor.HttpCoresPerRequest);

    public IEnumerable<LoopRun> Runs => new[] { Warmup, Closed, Target }.Concat(Ladder);

    /// <summary>"run + seconds" for an instant, or null when it fell between runs.</summary>
    public string? During(DateTime at)
    {
        var run = Runs.FirstOrDefault(r => at >= r.StartedUtc && at <= r.StartedUtc.AddSeconds(r.ElapsedSeconds));
        return run is null ? null : $"{run.Name} +{(at - run.StartedUtc).TotalSeconds:0.0} s";
    }

    /// <summary>The highest open-loop rate that was kept up with at p99 &lt; 50 ms per move (the target run included).</summary>
    public LoopRun? BestPassing => Ladder.Prepend(Target).Where(r => r.Sustained && r.LatencyGoal).MaxBy(r => r.TargetRate);

    /// <summary>The lowest rate above <see cref="BestPassing"/> that was tried and not met.</summary>
    public LoopRun? FirstFailing => Ladder.Prepend(Target).Where(r => !(r.Sustained && r.LatencyGoal) && r.TargetRate > (BestPassing?.TargetRate ?? 0)).MinBy(r => r.TargetRate);
}

/// <summary>
/// The closed loop over HTTP on a real server: each case is reported through Open311 and taken to
/// its callback by the demo operator, unit and handler — 8 moves, each waiting for the last —
/// with many cases in flight, offered at a fixed rate (open loop) or by a fixed number of workers.
/// </summary>
public static class LoopBench
{
    public static readonly string[] Actions = ["report", "claim", "register", "assign", "submit", "confirm", "close", "callback"];
    private const string ServiceCode = "C0106";
    private const int LadderStep = 10;

    public static async Task<LoopResult> RunAsync(BenchOptions o)
    {
        var dll = ServerProcess.FindDll(o.ServerDll);
        Log.Info($"loop: server {dll} (built {File.GetLastWriteTimeUtc(dll):yyyy-MM-dd HH:mm:ss} UTC)");
        var pgInfo = await Postgres.DescribeAsync(o.Pg!);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture);
        var database = $"cityops_loop_{stamp}";
        var logPath = Path.Combine(Path.GetTempPath(), $"cityops-bench-loop-{stamp}.log");
        var attachments = Path.Combine(Path.GetTempPath(), $"cityops-bench-loop-{stamp}-attachments");
        var conn = Postgres.Builder(o.Pg!, database);
        var points = IntakeBench.Points(50_000);
        await Postgres.CreateDatabaseAsync(o.Pg!, database);
        try
        {
            await ProcCpu.WaitQuietAsync(0.25, o.QuietWaitSeconds);
            Log.Info($"loop: starting the server on {database} (CityOps__Intake__DuplicateRadiusMeters=0), log {logPath}");
            var server = await ServerProcess.StartAsync(dll, conn.ConnectionString, new Dictionary<string, string>
            {
                ["CityOps__Intake__DuplicateRadiusMeters"] = "0",
                ["CityOps__Attachments__Path"] = attachments,
                // Its reloads are timed against the runs in the report.
                ["Logging__LogLevel__CityOps.Server.Data.ReferenceDataCache"] = "Information",
            }, logPath);
            Log.Info($"loop: server healthy after {server.StartupTime.TotalSeconds:0.0} s (migrate + seed)");
            LoopRun warm, closed, target;
            LoopFloor floor;
            var ladder = new List<LoopRun>();
            var ladderSeconds = Math.Max(5, o.Seconds / 2);
            LoopChecks checks;
            long rss;
            List<(DateTime, string)> background;
            try
            {
                using var driver = await Driver.CreateAsync(server.BaseAddress, points);
                Log.Info($"loop: warm-up {o.LoopWarmupSeconds} s, closed loop with {o.Workers} workers");
                warm = await driver.ClosedLoopAsync("warm-up (fresh server)", o.Workers, o.LoopWarmupSeconds, server);
                Log.Info($"loop: warm-up {Line(warm)}");
                closed = await driver.ClosedLoopAsync("capacity", o.Workers, o.Seconds, server);
                Log.Info($"loop: closed loop {Line(closed)}");
                floor = await driver.FloorAsync(o.Workers, ladderSeconds, server);
                Log.Info($"loop: HTTP floor (GET /api/auth/me) {floor.RequestsPerSecond:0} requests/s, {floor.HttpCoresPerRequest * 1000:0.000} ms of server and load-generator CPU a request; "
                         + $"the capacity run used {closed.Cpu.Postgres / closed.CasesPerSecond * 1000:0.0} ms of PostgreSQL CPU a case");
                target = await driver.OpenLoopAsync("target rate", o.LoopRate, o.Seconds, server);
                Log.Info($"loop: {o.LoopRate}/s {Line(target)}");
                if (!(target.Sustained && target.LatencyGoal))
                {
                    // The highest rate the machine keeps up with at p99 < 50 ms: open-loop steps of LadderStep
                    // cases/s, from 80 % of the closed-loop rate (or --fallback-rate) up while they pass, or down until one does.
                    var rate = o.FallbackRate ?? Math.Max(LadderStep, (int)(closed.CasesPerSecond * 0.8 / LadderStep) * LadderStep);
                    bool? up = null;
                    for (var step = 0; step < 5 && rate > 0 && rate < o.LoopRate; step++)
                    {
                        var run = await driver.OpenLoopAsync($"step {step + 1}", rate, ladderSeconds, server);
                        ladder.Add(run);
                        var ok = run.Sustained && run.LatencyGoal;
                        Log.Info($"loop: {rate}/s {(ok ? "met" : "not met")}: {Line(run)}");
                        up ??= ok;
                        if (ok != up) break;
                        rate += up.Value ? LadderStep : -LadderStep;
                    }
                }
                checks = await CheckAsync(conn.ConnectionString, driver);
                rss = server.PeakRssBytes;
                background = await BackgroundAsync(conn.ConnectionString, server);
            }
            finally
            {
                await server.DisposeAsync();
            }
            var problems = server.Problems();
            if (problems.Count > 0) Log.Info($"loop: the server logged {problems.Count} warnings/errors; first: {problems[0]}");
            return new LoopResult(pgInfo, database, server.StartupTime.TotalSeconds, rss, warm, closed, floor, target, ladder, LadderStep, ladderSeconds, checks, problems, logPath, points.Lon.Length, background);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (!o.KeepDb) await Postgres.DropDatabaseAsync(o.Pg!, database);
            else Log.Info($"loop: kept database {database}");
            try { if (Directory.Exists(attachments)) Directory.Delete(attachments, recursive: true); }
            catch (IOException) { }
        }
    }

    private static string Line(LoopRun r) =>
        $"{r.Completed} cases completed of {r.Started} started ({r.Failed} failed{(r.StoppedEarly ? $", stopped offering at {r.StoppedAtSecond:0.0} s: backlog" : "")}), "
        + $"{r.CasesPerSecond:0.0} cases/s, {r.MovesPerSecond:0} moves/s; moves {r.AllMoves}; max in flight {r.MaxInFlight}";

    /// <summary>Work beside the requests that may show in the latencies: reference-data reloads (server log), autovacuum and autoanalyze (last per table).</summary>
    private static async Task<List<(DateTime, string)>> BackgroundAsync(string conn, ServerProcess server)
    {
        var list = new List<(DateTime, string)>();
        foreach (var (at, line) in server.TimedLines)
            if (line.Contains("Reference data loaded", StringComparison.Ordinal)) list.Add((at, "reference data (re)load: " + line.Trim()));
        await using var c = new NpgsqlConnection(conn);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT relname, last_autovacuum, last_autoanalyze, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables
            WHERE autovacuum_count + autoanalyze_count > 0 ORDER BY relname
            """, c);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            var table = r.GetString(0);
            if (!r.IsDBNull(1)) list.Add((r.GetDateTime(1), $"autovacuum of \"{table}\" (the last of {r.GetInt64(3)})"));
            if (!r.IsDBNull(2)) list.Add((r.GetDateTime(2), $"autoanalyze of \"{table}\" (the last of {r.GetInt64(4)})"));
        }
        return list.OrderBy(x => x.Item1).ToList();
    }

    private static async Task<LoopChecks> CheckAsync(string conn, Driver driver)
    {
        var completed = driver.CompletedIds();
        var failed = driver.FailedIds();
        Log.Info($"loop: checking {completed.Length:N0} completed cases in the database");
        await using var c = new NpgsqlConnection(conn);
        await c.OpenAsync();
        long closedInDb;
        await using (var cmd = new NpgsqlCommand("SELECT count(*) FROM \"Cases\" WHERE \"Id\" = ANY(@ids) AND \"State\" = 'Closed'", c))
        {
            cmd.Parameters.AddWithValue("ids", completed);
            closedInDb = (long)(await cmd.ExecuteScalarAsync())!;
        }
        long min = 0, max = 0, fewer = 0;
        var sequences = new List<(string, long)>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT coalesce(min(n), 0), coalesce(max(n), 0), count(*) FILTER (WHERE n < 9)
            FROM (SELECT c."Id", count(e."Id") AS n FROM "Cases" c LEFT JOIN "CaseEvents" e ON e."CaseId" = c."Id" WHERE c."Id" = ANY(@ids) GROUP BY c."Id") x
            """, c))
        {
            cmd.Parameters.AddWithValue("ids", completed);
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            (min, max, fewer) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
        }
        await using (var cmd = new NpgsqlCommand("""
            SELECT s, count(*) FROM (SELECT string_agg("Action", ',' ORDER BY "Seq") AS s FROM "CaseEvents" WHERE "CaseId" = ANY(@ids) GROUP BY "CaseId") x
            GROUP BY s ORDER BY count(*) DESC LIMIT 5
            """, c))
        {
            cmd.Parameters.AddWithValue("ids", completed);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) sequences.Add((r.GetString(0), r.GetInt64(1)));
        }
        var deadlineEvents = (long)(await new NpgsqlCommand("SELECT count(*) FROM \"CaseEvents\" WHERE \"Action\" IN ('warning', 'overdue')", c).ExecuteScalarAsync())!;
        var failedStates = new List<(string, long)>();
        await using (var cmd = new NpgsqlCommand("SELECT \"State\", count(*) FROM \"Cases\" WHERE \"Id\" = ANY(@ids) GROUP BY \"State\" ORDER BY 2 DESC", c))
        {
            cmd.Parameters.AddWithValue("ids", failed);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) failedStates.Add((r.GetString(0), r.GetInt64(1)));
        }

        Log.Info("loop: GET /api/audit/verify as admin@ …");
        var (status, body, ms) = await driver.AuditAsync();
        long auditCases = 0, auditEvents = 0;
        var intact = false;
        var broken = -1;
        if (status == 200)
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            auditCases = root.GetProperty("casesChecked").GetInt64();
            auditEvents = root.GetProperty("eventsChecked").GetInt64();
            intact = root.GetProperty("intact").GetBoolean();
            broken = root.GetProperty("broken").GetArrayLength();
        }
        var checks = new LoopChecks(completed.Length, closedInDb, min, max, fewer, sequences, deadlineEvents, failedStates, status, auditCases, auditEvents, intact, broken, ms);
        Log.Info($"loop: {closedInDb:N0} of {completed.Length:N0} completed cases Closed in the database; events per case {min}–{max}, {fewer} with fewer than 9; "
                 + $"audit {status}: {auditCases:N0} cases, {auditEvents:N0} events, intact {intact}, in {ms:0} ms");
        return checks;
    }

    /// <summary>The HTTP client side: the demo accounts' tokens and the cases' moves.</summary>
    private sealed class Driver : IDisposable
    {
        private readonly SocketsHttpHandler _handler;
        private readonly HttpClient _http;
        private readonly (double[] Lon, double[] Lat) _points;
        private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
        private readonly object _lock = new();
        private readonly List<long> _completed = [];
        private readonly List<long> _failed = [];
        private int _nextPoint = -1;
        private int _nextCase;
        private AuthenticationHeaderValue _operator = null!, _department = null!, _handlerAuth = null!, _admin = null!;
        private string _handlerId = "", _photo = "";

        private Driver(Uri baseAddress, (double[] Lon, double[] Lat) points)
        {
            _points = points;
            _handler = new SocketsHttpHandler
            {
                MaxConnectionsPerServer = 4096,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseProxy = false,
            };
            _http = new HttpClient(_handler, disposeHandler: false)
            {
                BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60), DefaultRequestVersion = HttpVersion.Version11,
            };
        }

        public static async Task<Driver> CreateAsync(Uri baseAddress, (double[] Lon, double[] Lat) points)
        {
            var d = new Driver(baseAddress, points);
            d._operator = await d.LoginAsync("operator");
            d._department = await d.LoginAsync("department");
            d._handlerAuth = await d.LoginAsync("handler");
            d._admin = await d.LoginAsync("admin");
            using (var me = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/auth/me", UriKind.Relative)))
            {
                me.Headers.Authorization = d._handlerAuth;
                using var r = await d._http.SendAsync(me);
                var body = await r.Content.ReadAsStringAsync();
                if (!r.IsSuccessStatusCode) throw new BenchException($"GET /api/auth/me as handler@: {(int)r.StatusCode} {body}");
                using var doc = JsonDocument.Parse(body);
                d._handlerId = doc.RootElement.GetProperty("id").GetString()!;
            }
            // One small JPEG, uploaded once and cited by every submit.
            var photo = new byte[512];
            Random.Shared.NextBytes(photo);
            (photo[0], photo[1], photo[2], photo[3]) = ((byte)0xFF, (byte)0xD8, (byte)0xFF, (byte)0xE0);
            using (var up = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/attachments", UriKind.Relative)) { Content = new ByteArrayContent(photo) })
            {
                up.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                up.Headers.Authorization = d._handlerAuth;
                using var r = await d._http.SendAsync(up);
                var body = await r.Content.ReadAsStringAsync();
                if (!r.IsSuccessStatusCode) throw new BenchException($"POST /api/attachments: {(int)r.StatusCode} {body}");
                using var doc = JsonDocument.Parse(body);
                d._photo = doc.RootElement.GetProperty("sha256").GetString()!;
            }
            Log.Info($"loop: signed in operator@, department@, handler@ ({d._handlerId}), admin@; photo {d._photo[..12]}…");
            return d;
        }

        private Task<AuthenticationHeaderValue> LoginAsync(string login) => EvaluationBench.LoginAsync(_http, login);

        public long[] CompletedIds() { lock (_lock) return [.. _completed]; }

        public long[] FailedIds() { lock (_lock) return [.. _failed]; }

        public async Task<(int Status, string Body, double Ms)> AuditAsync()
        {
            using var http = new HttpClient(_handler, disposeHandler: false) { BaseAddress = _http.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/audit/verify", UriKind.Relative));
            request.Headers.Authorization = _admin;
            var t = Stopwatch.GetTimestamp();
            using var r = await http.SendAsync(request);
            var body = await r.Content.ReadAsStringAsync();
            return ((int)r.StatusCode, body, Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        public readonly record struct Move(int Action, long Start, long End, string Outcome);

        public sealed record CaseRun(long Scheduled, long Start, long End, bool Completed, List<Move> Moves);

        /// <summary>One case from report to callback; stops at the first refused move.</summary>
        private async Task<CaseRun> RunCaseAsync(long scheduled)
        {
            var moves = new List<Move>(Actions.Length);
            var start = Stopwatch.GetTimestamp();
            var n = Interlocked.Increment(ref _nextCase);
            var (outcome, body, t0, t1) = await ReportAsync(n);
            moves.Add(new Move(0, t0, t1, outcome));
            long id = -1;
            if (outcome == "201") id = CaseId(body);
            if (id < 0)
            {
                if (outcome == "201") moves[^1] = moves[^1] with { Outcome = "201 without a case id: " + Trim(body) };
                return new CaseRun(scheduled, start, Stopwatch.GetTimestamp(), false, moves);
            }
            var steps = new (string Action, AuthenticationHeaderValue Who, string Body)[]
            {
                ("claim", _operator, "{}"),
                ("register", _operator, """{"condition":"01"}"""),
                ("assign", _department, $$"""{"userId":"{{_handlerId}}"}"""),
                ("submit", _handlerAuth, $$"""{"notes":"done","attachments":["{{_photo}}"]}"""),
                ("confirm", _department, "{}"),
                ("close", _operator, """{"closingConditionMet":true}"""),
                ("callback", _operator, """{"reached":true,"satisfaction":"Satisfied","effective":true}"""),
            };
            for (var i = 0; i < steps.Length; i++)
            {
                var (action, who, json) = steps[i];
                var (o, b, s, e) = await MoveAsync(id, action, who, json, $"bench-{_runId}-{n}-{action}");
                moves.Add(new Move(i + 1, s, e, o == "200" ? o : o + " " + Trim(b)));
                if (o != "200")
                {
                    lock (_lock) _failed.Add(id);
                    return new CaseRun(scheduled, start, Stopwatch.GetTimestamp(), false, moves);
                }
            }
            lock (_lock) _completed.Add(id);
            return new CaseRun(scheduled, start, Stopwatch.GetTimestamp(), true, moves);
        }

        private static string Trim(string s) => s.Length > 300 ? s[..300] + "…" : s;

        private async Task<(string Outcome, string Body, long Start, long End)> ReportAsync(int n)
        {
            var i = Interlocked.Increment(ref _nextPoint) % _points.Lon.Length;
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/open311/v2/requests.json", UriKind.Relative))
            {
                Content = new FormUrlEncodedContent(
                [
                    new("api_key", "demo-web-key"),
                    new("service_code", ServiceCode),
                    new("lat", _points.Lat[i].ToString("0.000000", CultureInfo.InvariantCulture)),
                    new("long", _points.Lon[i].ToString("0.000000", CultureInfo.InvariantCulture)),
                    new("description", $"路灯井盖松动（闭环压测 {_runId}-{n}）"),
                    new("phone", "1390592" + Random.Shared.Next(10000).ToString("0000", CultureInfo.InvariantCulture)),
                    new("first_name", "测试"),
                ]),
            };
            request.Headers.Add("Idempotency-Key", $"bench-{_runId}-{n}-report");
            return await SendAsync(request);
        }

        private async Task<(string Outcome, string Body, long Start, long End)> MoveAsync(long id, string action, AuthenticationHeaderValue who, string json, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/cases/{id}/{action}", UriKind.Relative))
            {
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = who;
            request.Headers.Add("Idempotency-Key", key);
            return await SendAsync(request);
        }

        private async Task<(string Outcome, string Body, long Start, long End)> SendAsync(HttpRequestMessage request)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var response = await _http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                return (((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), body, start, Stopwatch.GetTimestamp());
            }
            catch (HttpRequestException ex)
            {
                return ("exception", ex.Message, start, Stopwatch.GetTimestamp());
            }
            catch (TaskCanceledException)
            {
                return ("timeout", "60 s", start, Stopwatch.GetTimestamp());
            }
        }

        private static long CaseId(string body)
        {
            const string marker = "\"service_request_id\":\"";
            var at = body.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0) return -1;
            at += marker.Length;
            var end = body.IndexOf('"', at);
            return end > at && long.TryParse(body.AsSpan(at, end - at), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1;
        }

        /// <summary>
        /// Closed loop of <c>GET /api/auth/me</c> as operator@: signed in, answered from the token, no
        /// query. What it costs the server and this process is what every request of a case pays
        /// before its own work.
        /// </summary>
        public async Task<LoopFloor> FloorAsync(int workers, int seconds, ServerProcess server)
        {
            var probe = IntakeBench.Probe.Start(server);
            var t0 = Stopwatch.GetTimestamp();
            var end = t0 + seconds * Stopwatch.Frequency;
            var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
            {
                var samples = new List<(double Ms, string Outcome)>(4096);
                while (Stopwatch.GetTimestamp() < end)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/auth/me", UriKind.Relative));
                    request.Headers.Authorization = _operator;
                    var (outcome, _, s, e) = await SendAsync(request);
                    samples.Add(((e - s) * 1000.0 / Stopwatch.Frequency, outcome));
                }
                return samples;
            })).ToArray();
            var all = (await Task.WhenAll(tasks)).SelectMany(x => x).ToList();
            var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var cpu = await probe.StopAsync(elapsed);
            if (all.Any(x => x.Outcome != "200")) throw new BenchException($"GET /api/auth/me: expected 200 only, saw {string.Join(", ", all.Select(x => x.Outcome).Distinct().Take(3))}");
            return new LoopFloor("GET /api/auth/me", workers, elapsed, all.Count, all.Count / elapsed, Latency.From(all.Select(x => x.Ms)), cpu);
        }

        /// <summary>Closed loop: each worker starts its next case when its last one is done.</summary>
        public async Task<LoopRun> ClosedLoopAsync(string name, int workers, int seconds, ServerProcess server)
        {
            var probe = IntakeBench.Probe.Start(server);
            var startedUtc = DateTime.UtcNow;
            var t0 = Stopwatch.GetTimestamp();
            var end = t0 + seconds * Stopwatch.Frequency;
            var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
            {
                var cases = new List<CaseRun>();
                while (Stopwatch.GetTimestamp() < end) cases.Add(await RunCaseAsync(0));
                return cases;
            })).ToArray();
            var all = (await Task.WhenAll(tasks)).SelectMany(c => c).ToList();
            var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            return Summarise(name, $"closed loop, {workers} workers", null, workers, seconds, t0, elapsed, all, await probe.StopAsync(elapsed), workers, false, 0, startedUtc);
        }

        /// <summary>
        /// Open loop: case i is reported at start + i / rate whatever happened to earlier ones; its
        /// later moves follow each other as fast as the answers come. Offering stops early only if
        /// more than five seconds' worth of cases are in flight (the server is not keeping up).
        /// </summary>
        public async Task<LoopRun> OpenLoopAsync(string name, int rate, int seconds, ServerProcess server)
        {
            var probe = IntakeBench.Probe.Start(server);
            var total = rate * seconds;
            var cap = Math.Max(100, rate * 5);
            var tasks = new List<Task<CaseRun>>(total);
            var inFlight = 0;
            var maxInFlight = 0;
            var stopped = false;
            double stoppedAt = 0;
            var startedUtc = DateTime.UtcNow;
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < total; i++)
            {
                var due = t0 + (long)(i * (double)Stopwatch.Frequency / rate);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait >= TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
                if (Volatile.Read(ref inFlight) > cap)
                {
                    stopped = true;
                    stoppedAt = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                    Log.Info($"loop: {name}: more than {cap} cases in flight after {stoppedAt:0.0} s; no more cases offered, waiting for those in flight");
                    break;
                }
                var now = Interlocked.Increment(ref inFlight);
                if (now > maxInFlight) maxInFlight = now;
                tasks.Add(Track(due));
            }
            var all = (await Task.WhenAll(tasks)).ToList();
            var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            return Summarise(name, $"open loop, {rate} cases/s", rate, null, seconds, t0, elapsed, all, await probe.StopAsync(elapsed), maxInFlight, stopped, stoppedAt, startedUtc);

            async Task<CaseRun> Track(long due)
            {
                try { return await RunCaseAsync(due); }
                finally { Interlocked.Decrement(ref inFlight); }
            }
        }

        private static LoopRun Summarise(string name, string mode, int? rate, int? workers, int window, long t0, double elapsed, List<CaseRun> cases,
            IntakeBench.CpuUse cpu, int maxInFlight, bool stopped, double stoppedAt, DateTime startedUtc)
        {
            static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            var moves = cases.SelectMany(c => c.Moves).ToList();
            var outcomes = moves.GroupBy(m => m.Outcome.Split(' ')[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            bool Ok(Move m) => m.Outcome is "200" or "201";
            var errors = moves.Where(m => !Ok(m)).ToList();
            var samples = errors.Select(m => Actions[m.Action] + " → " + m.Outcome).Distinct(StringComparer.Ordinal).Take(8).ToList();
            var perAction = Actions.Select((a, i) =>
            {
                var of = moves.Where(m => m.Action == i).ToList();
                return new MoveStats(a, of.Count, of.Count(m => !Ok(m)), Latency.From(of.Select(m => Ms(m.End - m.Start))));
            }).ToList();
            var completed = cases.Where(c => c.Completed).ToList();
            var timeline = completed.GroupBy(c => (int)((c.End - t0) / Stopwatch.Frequency)).OrderBy(g => g.Key)
                .Select(g =>
                {
                    var lo = t0 + g.Key * Stopwatch.Frequency;
                    var hi = lo + Stopwatch.Frequency;
                    var l = Latency.From(moves.Where(m => m.End >= lo && m.End < hi).Select(m => Ms(m.End - m.Start)));
                    return (g.Key, g.Count(), l.P99);
                }).ToList();
            var run = new LoopRun(name, mode, rate, workers, window, elapsed, cases.Count, completed.Count, cases.Count - completed.Count,
                completed.Count / elapsed, moves.Count(Ok) / elapsed, moves.Count, errors.Count,
                Latency.From(moves.Select(m => Ms(m.End - m.Start))), perAction,
                rate is null ? null : Latency.From(cases.Select(c => Ms(c.Moves[0].End - c.Scheduled))),
                Latency.From(completed.Select(c => Ms(c.End - (c.Scheduled == 0 ? c.Start : c.Scheduled)))),
                maxInFlight, stopped, stoppedAt, outcomes, samples, timeline, cpu, startedUtc);
            if (samples.Count > 0) Log.Info($"loop: {name}: refused or failed moves: {string.Join(" | ", samples)}");
            return run;
        }

        public void Dispose()
        {
            _http.Dispose();
            _handler.Dispose();
        }
    }
}
