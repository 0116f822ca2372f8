using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using CityOps.Server.Data.Seeding;
using CityOps.Server.Features.Geography;

namespace CityOps.Bench;

/// <summary>One HTTP load run.</summary>
public sealed record HttpRun(
    string Name, string Mode, double Seconds, int Sent, int Created, IReadOnlyDictionary<string, int> Outcomes,
    double RequestsPerSecond, double OkPerSecond, Latency Service, Latency? FromSchedule, int? TargetRate, int MaxInFlight,
    double WorstSecondP99, int WorstSecondAt, double MachineBusy, double ServerCores, double BenchCores, double PostgresCores, double OtherCores, string OtherTop,
    IReadOnlyList<string> ErrorSamples, IReadOnlyList<(int Second, int Count, double P99, double Max)> Timeline)
{
    public int Errors => Sent - Created;
}

/// <summary>Rows in the server's database against the 201 answers the client saw.</summary>
public sealed record RowCheck(string Phase, long CasesDelta, long ReportsDelta, int Responses201, int NewCaseIds)
{
    public bool ReportsMatch => ReportsDelta == Responses201;
    public bool CasesMatch => CasesDelta == NewCaseIds;
}

public sealed record IntakeResult(
    string PostgresInfo, string Database, PgbenchResult Pgbench, HttpRun ThroughputWarmup, HttpRun Throughput, HttpRun FixedRateWarmup, HttpRun FixedRate,
    HttpRun MergeThroughput, double FirstRequestMs, double FirstRequestAfterRestartMs,
    IReadOnlyList<RowCheck> Rows, int ServiceCodes, int PointPool, double StartupSeconds, double RestartSeconds,
    long ServerPeakRss, IReadOnlyList<string> ServerProblems, string ServerLog, int Clients, HttpRun FloorGet, HttpRun FloorRefused, PgbenchResult IntakeRows, PgbenchResult IntakeReads, double IntakeCasesPerTransaction)
{
    /// <summary>
    /// Cores of PostgreSQL per new case when it alone writes the intake's rows in batches of (up to) <see cref="Clients"/>,
    /// less what reading the rows they were copied from cost it.
    /// </summary>
    public double PostgresCoresPerCase => CoresPerCase(IntakeRows) - CoresPerCase(IntakeReads);

    /// <summary>Cores of PostgreSQL per case copied in one of the intake-rows pgbench runs.</summary>
    public double CoresPerCase(PgbenchResult run) => run.PostgresCores / (run.Tps * IntakeCasesPerTransaction);

    /// <summary>Cores of server and load generator per refused intake POST: the HTTP path alone, nothing stored.</summary>
    public double HttpCoresPerRequest => (FloorRefused.ServerCores + FloorRefused.BenchCores) / FloorRefused.RequestsPerSecond;

    /// <summary>
    /// The most new cases per second this machine could take if the server did nothing beyond the HTTP
    /// floor: its cores divided by the CPU one case costs PostgreSQL alone plus one refused request.
    /// </summary>
    public double Ceiling => Environment.ProcessorCount / (PostgresCoresPerCase + HttpCoresPerRequest);
}

/// <summary>
/// Open311 intake end to end: a real CityOps.Server process on PostgreSQL, HTTP/1.1 clients on
/// loopback on the same machine, with pgbench's single-row insert rate as the baseline.
/// </summary>
public static class IntakeBench
{
    public static async Task<IntakeResult> RunAsync(BenchOptions o)
    {
        var dll = ServerProcess.FindDll(o.ServerDll);
        Log.Info($"intake: server {dll} (built {File.GetLastWriteTimeUtc(dll):yyyy-MM-dd HH:mm:ss} UTC)");
        var pgInfo = await Postgres.DescribeAsync(o.Pg!);
        Log.Info($"intake: {pgInfo}");

        var stamp = DateTime.UtcNow.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture);
        var serverDb = $"cityops_bench_{stamp}";
        var pgbenchDb = $"cityops_pgbench_{stamp}";
        var logPath = Path.Combine(Path.GetTempPath(), $"cityops-bench-server-{stamp}.log");
        var serverConn = Postgres.Builder(o.Pg!, serverDb);
        var problems = new List<string>();
        long peakRss = 0;

        try
        {
            // 1. Baseline: PostgreSQL's own single-row insert rate.
            await Postgres.CreateDatabaseAsync(o.Pg!, pgbenchDb);
            var pgbench = await Postgres.RunPgbenchAsync(o, pgbenchDb);

            // Points inside the demo grid (the server's grid is the same DemoCity, stored as WKB).
            var points = Points(200_000);
            await Postgres.CreateDatabaseAsync(o.Pg!, serverDb);

            // 2. Throughput: duplicate merging off, so every request takes the full new-case path.
            Log.Info($"intake: starting the server (CityOps__Intake__DuplicateRadiusMeters=0), log {logPath}");
            var server = await ServerProcess.StartAsync(dll, serverConn.ConnectionString,
                new Dictionary<string, string> { ["CityOps__Intake__DuplicateRadiusMeters"] = "0" }, logPath);
            var startup = server.StartupTime;
            Log.Info($"intake: server healthy after {startup.TotalSeconds:0.0} s (migrate + seed)");
            HttpRun throughput, warm1, warm2, mergeThroughput, floorGet, floorRefused;
            double firstRequest1, firstRequest2;
            var rows = new List<RowCheck>();
            Load load;
            try
            {
                var t = Stopwatch.GetTimestamp();
                load = await Load.CreateAsync(server.BaseAddress, points, o.Clients * 4);
                firstRequest1 = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                Log.Info($"intake: first request after start (GET services.json) took {firstRequest1:0} ms");
                var before = await CountsAsync(serverConn.ConnectionString);
                load.ResetTally(before.MaxCaseId);
                Log.Info($"intake: {load.Codes.Length} service codes; warm-up {o.WarmupSeconds} s with {o.Clients} clients");
                warm1 = await load.ClosedLoopAsync("warm-up (fresh server)", o.Clients, o.WarmupSeconds, server);
                Log.Info($"intake: warm-up {warm1.OkPerSecond:0.0} req/s, {warm1.Service}");
                Log.Info($"intake: throughput, {o.Clients} clients, {o.Seconds} s");
                throughput = await load.ClosedLoopAsync("throughput", o.Clients, o.Seconds, server);
                Log.Info($"intake: throughput {throughput.RequestsPerSecond:0.0} req/s, {throughput.Created} × 201, {throughput.Service}");
                rows.Add(await CheckAsync("throughput server (warm-up + run)", serverConn.ConnectionString, before, load));
                // The floor of this machine's HTTP path: the same clients and server, answers that write nothing.
                var floorSeconds = Math.Max(5, o.Seconds / 2);
                floorGet = await load.FloorAsync("floor: GET discovery.json (no database)", o.Clients, floorSeconds, server, refused: false);
                floorRefused = await load.FloorAsync("floor: the same POST with an unknown api_key (403, nothing stored)", o.Clients, floorSeconds, server, refused: true);
                Log.Info($"intake: HTTP floor {floorGet.RequestsPerSecond:0} req/s (GET discovery), {floorRefused.RequestsPerSecond:0} req/s (refused POST)");
                peakRss = Math.Max(peakRss, server.PeakRssBytes);
            }
            finally
            {
                await server.DisposeAsync();
                problems.AddRange(server.Problems());
            }

            // 3. Latency at a fixed rate, open loop, with the default intake settings (merging on, 30 m / 72 h).
            Log.Info("intake: restarting the server with default intake settings (duplicate merging on)");
            server = await ServerProcess.StartAsync(dll, serverConn.ConnectionString, new Dictionary<string, string>(), logPath);
            var restart = server.StartupTime;
            HttpRun fixedRate;
            try
            {
                var before = await CountsAsync(serverConn.ConnectionString);
                load.Retarget(server.BaseAddress);
                load.ResetTally(before.MaxCaseId);
                var (firstStatus, firstMs) = await load.SendOneAsync();
                firstRequest2 = firstMs;
                Log.Info($"intake: first request after restart (an Open311 POST) took {firstRequest2:0} ms ({firstStatus})");
                // Closed-loop warm-up: it cannot leave a backlog of requests behind to spill into the measurement.
                Log.Info($"intake: warm-up {o.WarmupSeconds} s with {o.Clients} clients (closed loop)");
                warm2 = await load.ClosedLoopAsync("warm-up (restarted server)", o.Clients, o.WarmupSeconds, server);
                Log.Info($"intake: warm-up {warm2.OkPerSecond:0.0} req/s, {warm2.Service}");
                Log.Info($"intake: fixed rate {o.Rate}/s for {o.LatencySeconds} s (open loop)");
                fixedRate = await load.OpenLoopAsync("fixed rate", o.Rate, o.LatencySeconds, server);
                Log.Info($"intake: fixed rate achieved {fixedRate.OkPerSecond:0.0} × 201/s, {fixedRate.Service}");
                var closedSeconds = Math.Max(5, o.Seconds / 2);
                Log.Info($"intake: throughput with default settings (merging on), {o.Clients} clients, {closedSeconds} s");
                mergeThroughput = await load.ClosedLoopAsync("throughput, merging on", o.Clients, closedSeconds, server);
                Log.Info($"intake: throughput with merging on {mergeThroughput.OkPerSecond:0.0} req/s, {mergeThroughput.Service}");
                rows.Add(await CheckAsync("restarted server (first request + warm-up + fixed rate + merging-on throughput)", serverConn.ConnectionString, before, load));
                peakRss = Math.Max(peakRss, server.PeakRssBytes);
            }
            finally
            {
                await server.DisposeAsync();
                problems.AddRange(server.Problems());
            }
            load.Dispose();

            // 4. What PostgreSQL alone can do of the intake's writing: its rows, in the largest batches these clients can form.
            Log.Info($"intake: PostgreSQL alone writing the intake's rows, {o.Clients} cases per transaction");
            var (intakeRows, intakeReads, casesPerTransaction) = await Postgres.RunIntakeRowsAsync(o, serverDb, o.Clients, 2 * Environment.ProcessorCount, Math.Max(5, o.Seconds / 2));

            foreach (var r in rows)
                Log.Info($"intake: rows [{r.Phase}]: Reports +{r.ReportsDelta} vs {r.Responses201} × 201 ({(r.ReportsMatch ? "match" : "MISMATCH")}), Cases +{r.CasesDelta} vs {r.NewCaseIds} new case ids ({(r.CasesMatch ? "match" : "MISMATCH")})");
            if (problems.Count > 0) Log.Info($"intake: the server logged {problems.Count} warnings/errors; first: {problems[0]}");

            return new IntakeResult(pgInfo, serverDb, pgbench, warm1, throughput, warm2, fixedRate, mergeThroughput, firstRequest1, firstRequest2, rows, load.Codes.Length, points.Lon.Length,
                startup.TotalSeconds, restart.TotalSeconds, peakRss, problems, logPath, o.Clients, floorGet, floorRefused, intakeRows, intakeReads, casesPerTransaction);
        }
        finally
        {
            if (!o.KeepDb)
            {
                await Postgres.DropDatabaseAsync(o.Pg!, serverDb);
                await Postgres.DropDatabaseAsync(o.Pg!, pgbenchDb);
            }
            else
            {
                Log.Info($"intake: kept databases {serverDb} and {pgbenchDb}");
            }
        }
    }

    private sealed record Counts(long Cases, long Reports, long MaxCaseId);

    private static async Task<Counts> CountsAsync(string conn) => new(
        await Postgres.ScalarAsync<long>(conn, "SELECT count(*) FROM \"Cases\""),
        await Postgres.ScalarAsync<long>(conn, "SELECT count(*) FROM \"Reports\""),
        await Postgres.ScalarAsync<long>(conn, "SELECT coalesce(max(\"Id\"), 0) FROM \"Cases\""));

    private static async Task<RowCheck> CheckAsync(string phase, string conn, Counts before, Load load)
    {
        var after = await CountsAsync(conn);
        return new RowCheck(phase, after.Cases - before.Cases, after.Reports - before.Reports, load.Total201, load.NewCaseIds);
    }

    /// <summary>Random WGS-84 points that fall inside a grid cell of the demo city, all six districts.</summary>
    internal static (double[] Lon, double[] Lat) Points(int count)
    {
        var cells = GeographySeed.DemoCity().Where(a => a.Level == AreaLevel.Cell).ToList();
        var map = new CityMap(cells.Select((c, i) => (i, c.Geometry)).ToList());
        var rng = new Random(311);
        var lon = new double[count];
        var lat = new double[count];
        for (var i = 0; i < count;)
        {
            var e = cells[rng.Next(cells.Count)].Geometry.EnvelopeInternal;
            var x = Math.Round(e.MinX + rng.NextDouble() * e.Width, 6);
            var y = Math.Round(e.MinY + rng.NextDouble() * e.Height, 6);
            if (map.LocateIndex(x, y) < 0) continue;
            (lon[i], lat[i]) = (x, y);
            i++;
        }
        return (lon, lat);
    }

    /// <summary>The HTTP load generator.</summary>
    private sealed class Load : IDisposable
    {
        private static readonly string[] Descriptions =
        [
            "路灯不亮，晚上很黑", "井盖缺失，有安全隐患", "垃圾满溢无人清运", "人行道砖松动", "占道经营，影响通行",
            "绿化带杂草丛生", "共享单车乱停放", "道路积水严重", "违规张贴小广告", "施工噪音扰民",
        ];

        private readonly (double[] Lon, double[] Lat) _points;
        private readonly SocketsHttpHandler _handler;
        private HttpClient _http;
        private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
        private int _nextPoint = -1;
        private int _nextKey;
        private readonly object _tally = new();
        private readonly HashSet<long> _caseIds = [];
        private long _maxCaseBefore;

        public string[] Codes { get; private set; } = [];
        public int Total201 { get; private set; }
        public int NewCaseIds { get; private set; }

        private Load((double[] Lon, double[] Lat) points, int connections, Uri baseAddress)
        {
            _points = points;
            _handler = new SocketsHttpHandler
            {
                MaxConnectionsPerServer = Math.Max(connections, 64) * 8,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseProxy = false,
            };
            _http = NewClient(baseAddress);
        }

        private HttpClient NewClient(Uri baseAddress) => new(_handler, disposeHandler: false)
        {
            BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30), DefaultRequestVersion = HttpVersion.Version11,
        };

        public static async Task<Load> CreateAsync(Uri baseAddress, (double[] Lon, double[] Lat) points, int connections)
        {
            var load = new Load(points, connections, baseAddress);
            using var r = await load._http.GetAsync(new Uri("/open311/v2/services.json", UriKind.Relative));
            r.EnsureSuccessStatusCode();
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            load.Codes = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("service_code").GetString()!).ToArray();
            if (load.Codes.Length == 0) throw new BenchException("services.json lists no service codes");
            return load;
        }

        public void Retarget(Uri baseAddress)
        {
            _http.Dispose();
            _http = NewClient(baseAddress);
        }

        public void ResetTally(long maxCaseIdBefore)
        {
            lock (_tally)
            {
                _caseIds.Clear();
                Total201 = 0;
                NewCaseIds = 0;
                _maxCaseBefore = maxCaseIdBefore;
            }
        }

        private readonly record struct Sample(long Start, long End, long Scheduled, string Outcome);

        /// <summary>One request on its own: (outcome, milliseconds).</summary>
        public async Task<(string Outcome, double Ms)> SendOneAsync()
        {
            var s = await SendAsync(0);
            return (s.Outcome.Length > 120 ? s.Outcome[..120] : s.Outcome, (s.End - s.Start) * 1000.0 / Stopwatch.Frequency);
        }

        private async Task<Sample> SendAsync(long scheduled)
        {
            var i = Interlocked.Increment(ref _nextPoint) % _points.Lon.Length;
            var key = Interlocked.Increment(ref _nextKey);
            var rng = Random.Shared;
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/open311/v2/requests.json", UriKind.Relative))
            {
                Content = new FormUrlEncodedContent(
                [
                    new("api_key", "demo-web-key"),
                    new("service_code", Codes[rng.Next(Codes.Length)]),
                    new("lat", _points.Lat[i].ToString("0.000000", CultureInfo.InvariantCulture)),
                    new("long", _points.Lon[i].ToString("0.000000", CultureInfo.InvariantCulture)),
                    new("description", $"{Descriptions[rng.Next(Descriptions.Length)]}（压测 {_runId}-{key}）"),
                    new("phone", "1390592" + rng.Next(10000).ToString("0000", CultureInfo.InvariantCulture)),
                    new("first_name", "测试"),
                ]),
            };
            request.Headers.Add("Idempotency-Key", $"bench-{_runId}-{key}");
            var start = Stopwatch.GetTimestamp();
            string outcome;
            try
            {
                using var response = await _http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                outcome = status.ToString(CultureInfo.InvariantCulture);
                if (status == 201)
                {
                    var id = CaseId(body);
                    lock (_tally)
                    {
                        Total201++;
                        if (id > _maxCaseBefore && _caseIds.Add(id)) NewCaseIds++;
                    }
                }
                else
                {
                    outcome += " " + (body.Length > 300 ? body[..300] + "…" : body);
                }
            }
            catch (HttpRequestException ex)
            {
                outcome = "exception " + ex.Message;
            }
            catch (TaskCanceledException)
            {
                outcome = "timeout (30 s)";
            }
            // A send up to 1 ms early (timer granularity) counts from the actual send.
            return new Sample(start, Stopwatch.GetTimestamp(), scheduled == 0 ? start : Math.Min(scheduled, start), outcome);
        }

        /// <summary>Closed loop of requests that store nothing: a GET answered from memory, or the intake POST refused for its key.</summary>
        public async Task<HttpRun> FloorAsync(string name, int clients, int seconds, ServerProcess server, bool refused)
        {
            var probe = Probe.Start(server);
            var t0 = Stopwatch.GetTimestamp();
            var end = t0 + seconds * Stopwatch.Frequency;
            var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                var samples = new List<Sample>(4096);
                while (Stopwatch.GetTimestamp() < end)
                {
                    using var request = refused
                        ? new HttpRequestMessage(HttpMethod.Post, new Uri("/open311/v2/requests.json", UriKind.Relative))
                        {
                            Content = new FormUrlEncodedContent(
                            [
                                new("api_key", "bench-no-such-key"), new("service_code", Codes[0]),
                                new("lat", _points.Lat[0].ToString("0.000000", CultureInfo.InvariantCulture)),
                                new("long", _points.Lon[0].ToString("0.000000", CultureInfo.InvariantCulture)),
                                new("description", Descriptions[0]), new("phone", "13905920000"), new("first_name", "测试"),
                            ]),
                        }
                        : new HttpRequestMessage(HttpMethod.Get, new Uri("/open311/v2/discovery.json", UriKind.Relative));
                    var start = Stopwatch.GetTimestamp();
                    string outcome;
                    try
                    {
                        using var response = await _http.SendAsync(request);
                        await response.Content.ReadAsStringAsync();
                        outcome = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                    }
                    catch (HttpRequestException ex)
                    {
                        outcome = "exception " + ex.Message;
                    }
                    samples.Add(new Sample(start, Stopwatch.GetTimestamp(), start, outcome));
                }
                return samples;
            })).ToArray();
            var all = (await Task.WhenAll(workers)).SelectMany(x => x).ToList();
            var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var expected = refused ? "403" : "200";
            if (all.Any(x => x.Outcome != expected)) throw new BenchException($"{name}: expected {expected} only, saw {string.Join(", ", all.Select(x => x.Outcome).Distinct().Take(3))}");
            return Summarise(name, "closed loop", clients, null, t0, elapsed, all, await probe.StopAsync(elapsed), maxInFlight: clients, expected);
        }

        private static long CaseId(string body)
        {
            const string marker = "\"service_request_id\":\"";
            var at = body.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0) return -1;
            at += marker.Length;
            var end = body.IndexOf('"', at);
            return long.TryParse(body.AsSpan(at, end - at), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1;
        }

        /// <summary>Closed loop: each client sends its next request as soon as the last one is answered.</summary>
        public async Task<HttpRun> ClosedLoopAsync(string name, int clients, int seconds, ServerProcess server)
        {
            var probe = Probe.Start(server);
            var t0 = Stopwatch.GetTimestamp();
            var end = t0 + seconds * Stopwatch.Frequency;
            var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                var samples = new List<Sample>(4096);
                while (Stopwatch.GetTimestamp() < end) samples.Add(await SendAsync(0));
                return samples;
            })).ToArray();
            var all = (await Task.WhenAll(workers)).SelectMany(s => s).ToList();
            var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            return Summarise(name, "closed loop", clients, null, t0, elapsed, all, await probe.StopAsync(elapsed), maxInFlight: clients);
        }

        /// <summary>
        /// Open loop: request i is due at start + i / rate whatever happened to earlier ones, so a
        /// slow answer cannot hold back later sends (no coordinated omission). Latency is given
        /// both from the actual send and from the scheduled time.
        /// </summary>
        public async Task<HttpRun> OpenLoopAsync(string name, int rate, int seconds, ServerProcess server)
        {
            var probe = Probe.Start(server);
            var total = rate * seconds;
            var tasks = new List<Task<Sample>>(total);
            var inFlight = 0;
            var maxInFlight = 0;
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < total; i++)
            {
                var due = t0 + (long)(i * (double)Stopwatch.Frequency / rate);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                // Timers tick in whole milliseconds: sleep only for a millisecond or more, else send now.
                if (wait >= TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
                var now = Interlocked.Increment(ref inFlight);
                if (now > maxInFlight) maxInFlight = now;
                tasks.Add(Track(due));
            }
            var all = (await Task.WhenAll(tasks)).ToList();
            var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            return Summarise(name, "open loop", null, rate, t0, elapsed, all, await probe.StopAsync(elapsed), maxInFlight);

            async Task<Sample> Track(long due)
            {
                try { return await SendAsync(due); }
                finally { Interlocked.Decrement(ref inFlight); }
            }
        }

        private static HttpRun Summarise(string name, string mode, int? clients, int? rate, long t0, double elapsed, List<Sample> all,
            CpuUse cpu, int maxInFlight, string expected = "201")
        {
            double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            var outcomes = all.GroupBy(s => s.Outcome.Split(' ')[0] == "exception" ? "exception" : s.Outcome.Split(' ')[0])
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var created = outcomes.GetValueOrDefault("201");
            var samples = all.Where(s => s.Outcome != expected).Select(s => s.Outcome).Distinct(StringComparer.Ordinal).Take(5).ToList();
            var service = Latency.From(all.Select(s => Ms(s.End - s.Start)));
            var fromSchedule = rate is null ? null : Latency.From(all.Select(s => Ms(s.End - s.Scheduled)));
            var timeline = all.GroupBy(s => (int)((s.Scheduled - t0) / Stopwatch.Frequency)).OrderBy(g => g.Key)
                .Select(g =>
                {
                    var l = Latency.From(g.Select(s => Ms(s.End - s.Scheduled)));
                    return (g.Key, l.Count, l.P99, l.Max);
                }).ToList();
            var worst = timeline.Count == 0 ? default : timeline.MaxBy(t => t.P99);
            var label = mode + (clients is { } c ? $", {c} clients" : "") + (rate is { } r ? $", {r}/s" : "");
            var run = new HttpRun(name, label, elapsed, all.Count, created, outcomes, all.Count / elapsed, created / elapsed,
                service, fromSchedule, rate, maxInFlight, worst.P99, worst.Key, cpu.Machine, cpu.Server, cpu.Bench, cpu.Postgres, cpu.Other, cpu.OtherTop, samples, timeline);
            if (samples.Count > 0) Log.Info($"intake: {name}: unexpected outcomes: {string.Join(" | ", samples)}");
            return run;
        }

        public void Dispose()
        {
            _http.Dispose();
            _handler.Dispose();
        }
    }

    /// <summary>CPU used over a run: machine busy share, then cores used by the server, this process, PostgreSQL and everything else.</summary>
    public readonly record struct CpuUse(double Machine, double Server, double Bench, double Postgres, double Other, string OtherTop);

    /// <summary>Samples CPU use of the machine, the server process, this process and PostgreSQL's processes.</summary>
    internal sealed class Probe
    {
        private readonly ServerProcess _server;
        private readonly CpuSample _machine;
        private readonly TimeSpan _serverCpu, _benchCpu;
        private readonly ProcTracker _postgres;

        private Probe(ServerProcess server)
        {
            _server = server;
            _machine = CpuSample.Take();
            _serverCpu = server.CpuTime;
            using var self = Process.GetCurrentProcess();
            _benchCpu = self.TotalProcessorTime;
            _postgres = ProcTracker.StartAll();
        }

        public static Probe Start(ServerProcess server) => new(server);

        public async Task<CpuUse> StopAsync(double seconds)
        {
            using var self = Process.GetCurrentProcess();
            var machine = CpuSample.BusyShare(_machine, CpuSample.Take());
            var server = (_server.CpuTime - _serverCpu).TotalSeconds / seconds;
            var bench = (self.TotalProcessorTime - _benchCpu).TotalSeconds / seconds;
            var procs = await _postgres.StopByPidAsync();
            var postgres = procs.Where(p => p.Comm == "postgres").Sum(p => p.Seconds) / seconds;
            // Other user processes (builds or tests running beside it); kernel threads are left out, as they mostly do this run's I/O.
            var others = procs.Where(p => p.Comm != "postgres" && !p.Comm.StartsWith("[k]", StringComparison.Ordinal) && p.Pid != _server.Pid && p.Pid != Environment.ProcessId)
                .GroupBy(p => p.Comm, StringComparer.Ordinal).Select(g => (Comm: g.Key, Cores: g.Sum(p => p.Seconds) / seconds))
                .OrderByDescending(x => x.Cores).ToList();
            var other = others.Sum(x => x.Cores);
            others = others.Where(x => x.Cores >= 0.02).Take(4).ToList();
            return new CpuUse(machine, server, bench, postgres, other, string.Join(", ", others.Select(x => $"{x.Comm} {x.Cores:0.00}")));
        }
    }
}
