using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CityOps.Server.Data;
using CityOps.Server.Features.Cases.Calendar;
using CityOps.Server.Features.Evaluation;
using CityOps.Server.Features.Geography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace CityOps.Bench;

public sealed record EvaluationRun(string Name, int Years, int Cases, long Events, Latency Score, Latency Baseline, int Subjects);

public sealed record EvaluationResult(string PostgresInfo, string Database, int CasesPerYear, double FillSeconds, string EventsSize, IReadOnlyList<EvaluationRun> Runs,
    double UnitsColdMs, double UnitsWarmMs, double ExcelFirstMs, double ExcelColdMs, double ExcelWarmMs, long ExcelBytes, int ExcelSheets, IReadOnlyList<string> Problems, ScreensResult Screens);

/// <summary>
/// Evaluation over a year (and optionally ten) of synthetic but loop-shaped case records written
/// straight into PostgreSQL: the tally plus every unit, area and person table, in process, against
/// a plain read of the same event rows; then the year's workbook over HTTP from the real server.
/// </summary>
public static class EvaluationBench
{
    private const int LastYear = 2025;

    public static async Task<EvaluationResult> RunAsync(BenchOptions o)
    {
        var dll = ServerProcess.FindDll(o.ServerDll);
        var pgInfo = await Postgres.DescribeAsync(o.Pg!);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture);
        var database = $"cityops_eval_{stamp}";
        var conn = Postgres.Builder(o.Pg!, database).ConnectionString;
        var logPath = Path.Combine(Path.GetTempPath(), $"cityops-bench-eval-{stamp}.log");
        var problems = new List<string>();
        await Postgres.CreateDatabaseAsync(o.Pg!, database);
        try
        {
            Log.Info($"evaluation: starting the server on {database} to migrate and seed (log {logPath})");
            var server = await ServerProcess.StartAsync(dll, conn, new Dictionary<string, string>(), logPath);
            await server.DisposeAsync();
            problems.AddRange(server.Problems());

            // One year first, scored on its own; then, for the decade, nine earlier years beside it.
            var sw = Stopwatch.StartNew();
            var total = await Record.FillAsync(conn, LastYear, 1, o.EvalCases);
            await Postgres.ExecAsync(conn, "ANALYZE \"Cases\"; ANALYZE \"CaseEvents\"");
            var fill = sw.Elapsed.TotalSeconds;
            var size = await Postgres.ScalarAsync<string>(conn, "SELECT pg_size_pretty(pg_total_relation_size('\"CaseEvents\"'))");
            Log.Info($"evaluation: {total.Cases:N0} cases, {total.Events:N0} events written in {fill:0.0} s (events table {size})");
            var year = Period.Of(new DateOnly(LastYear, 1, 1), new DateOnly(LastYear, 12, 31), Zone());
            var runs = new List<EvaluationRun> { await MeasureAsync(conn, "one year", year, 1, o.EvalReps) };
            if (o.EvalDecade)
            {
                sw.Restart();
                var more = await Record.FillAsync(conn, LastYear - 9, 9, o.EvalCases);
                await Postgres.ExecAsync(conn, "ANALYZE \"Cases\"; ANALYZE \"CaseEvents\"");
                fill += sw.Elapsed.TotalSeconds;
                size = await Postgres.ScalarAsync<string>(conn, "SELECT pg_size_pretty(pg_total_relation_size('\"CaseEvents\"'))");
                Log.Info($"evaluation: nine more years: {more.Cases:N0} cases, {more.Events:N0} events in {sw.Elapsed.TotalSeconds:0.0} s (events table {size})");
                runs.Add(await MeasureAsync(conn, "one year among ten (info)", year, 1, o.EvalReps));
                runs.Add(await MeasureAsync(conn, "ten years", Period.Of(new DateOnly(LastYear - 9, 1, 1), new DateOnly(LastYear, 12, 31), Zone()), 10, Math.Max(1, o.EvalReps / 2)));
            }

            // The year's tables and workbook from the real server: cold (the tally runs), then warm (a closed year is kept).
            server = await ServerProcess.StartAsync(dll, conn, new Dictionary<string, string>(), logPath);
            try
            {
                using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
                http.DefaultRequestHeaders.Authorization = await LoginAsync(http, "leader");
                var unitsCold = await TimeAsync(http, $"/api/evaluation/units?period={LastYear}");
                var unitsWarm = await TimeAsync(http, $"/api/evaluation/units?period={LastYear}");
                var excelFirst = await TimeAsync(http, $"/api/evaluation/export.xlsx?period={LastYear}");
                var excelWarm = await TimeAsync(http, $"/api/evaluation/export.xlsx?period={LastYear}");
                using var bytes = new MemoryStream(excelWarm.Body);
                using var book = new ClosedXML.Excel.XLWorkbook(bytes);
                // A second period not yet kept: the workbook with its tally.
                var excelCold = await TimeAsync(http, $"/api/evaluation/export.xlsx?from={LastYear}-01-01&to={LastYear}-12-30");
                Log.Info($"evaluation: HTTP units {unitsCold.Ms:0} ms cold, {unitsWarm.Ms:0} ms warm; workbook {excelFirst.Ms:0} ms first, {excelWarm.Ms:0} ms warm ({excelWarm.Body.Length / 1024} KiB, {book.Worksheets.Count} sheets), {excelCold.Ms:0} ms with its tally");
                problems.AddRange(server.Problems());
                await server.DisposeAsync();
                var screens = await ScreensBench.RunAsync(o, dll, logPath);
                return new EvaluationResult(pgInfo, database, o.EvalCases, fill, size, runs, unitsCold.Ms, unitsWarm.Ms, excelFirst.Ms, excelCold.Ms, excelWarm.Ms,
                    excelWarm.Body.Length, book.Worksheets.Count, problems, screens);
            }
            finally
            {
                await server.DisposeAsync();
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (!o.KeepDb) await Postgres.DropDatabaseAsync(o.Pg!, database);
            else Log.Info($"evaluation: kept database {database}");
        }
    }

    private static TimeZoneInfo Zone() => TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>Tally plus every table the API serves (units, four area levels, three roles), each rep on a fresh service (nothing kept).</summary>
    private static async Task<EvaluationRun> MeasureAsync(string conn, string name, Period p, int years, int reps)
    {
        var options = new DbContextOptionsBuilder<CityOpsDb>();
        DatabaseSetup.Configure(options, "Postgres", conn);
        var scores = new List<double>();
        var reads = new List<double>();
        var (cases, events, subjects) = (0, 0L, 0);
        for (var i = 0; i <= reps; i++) // the first round warms up
        {
            await using var db = new CityOpsDb(options.Options);
            var svc = new EvaluationService(TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new CalendarOptions()), NullLogger<EvaluationService>.Instance);
            var t = Stopwatch.GetTimestamp();
            var board = await svc.TallyAsync(db, p, CancellationToken.None);
            var scheme = await EvaluationViews.SchemeForAsync(db, p, CancellationToken.None);
            subjects = EvaluationViews.Build(p, scheme, board, await EvaluationViews.UnitsAsync(db, CancellationToken.None), scored: true).Rows.Count;
            foreach (var level in new[] { AreaLevel.District, AreaLevel.Subdistrict, AreaLevel.Community, AreaLevel.Cell })
                subjects += EvaluationViews.Build(p, scheme, board, await EvaluationViews.AreasAsync(db, level, CancellationToken.None), scored: true).Rows.Count;
            foreach (var role in new[] { "operator", "dispatcher", "inspector" })
                subjects += EvaluationViews.Build(p, null, board, await EvaluationViews.PeopleAsync(db, role, CancellationToken.None), scored: false).Rows.Count;
            var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            (cases, events) = (board.Cases, board.Events);
            var read = await PlainReadAsync(conn, p);
            if (i == 0) continue;
            scores.Add(ms);
            reads.Add(read);
            Log.Info($"evaluation: {name}: scored {cases:N0} cases / {events:N0} events / {subjects:N0} rows in {ms:0} ms; plain read {read:0} ms");
        }
        return new EvaluationRun(name, years, cases, events, Latency.From(scores), Latency.From(reads), subjects);
    }

    /// <summary>Baseline: the period's cases, then their event rows by the same query, on one connection, read with Npgsql and dropped.</summary>
    private static async Task<double> PlainReadAsync(string conn, Period p)
    {
        await using var c = new NpgsqlConnection(conn);
        await c.OpenAsync();
        var t = Stopwatch.GetTimestamp();
        var ids = new List<long>();
        await using (var heads = new NpgsqlCommand("""SELECT "Id", "ReportedAt", "CellId", "CommunityId", "SubdistrictId", "DistrictId" FROM "Cases" WHERE "ReportedAt" >= @f AND "ReportedAt" < @t ORDER BY "Id" """, c))
        {
            heads.Parameters.AddWithValue("f", p.From);
            heads.Parameters.AddWithValue("t", p.To);
            await using var hr = await heads.ExecuteReaderAsync();
            while (await hr.ReadAsync()) ids.Add(hr.GetInt64(0));
        }
        await using var cmd = new NpgsqlCommand("""
            SELECT e."CaseId", e."At", e."Action", e."ActorId", e."FromState", e."UnitId", e."Data"
            FROM "CaseEvents" e
            WHERE e."CaseId" >= @lo AND e."CaseId" <= @hi AND e."At" < @t
            ORDER BY e."CaseId", e."Seq"
            """, c) { CommandTimeout = 600 };
        cmd.Parameters.AddWithValue("lo", ids[0]);
        cmd.Parameters.AddWithValue("hi", ids[^1]);
        cmd.Parameters.AddWithValue("t", p.To);
        await using var r = await cmd.ExecuteReaderAsync();
        long n = 0;
        while (await r.ReadAsync()) n += r.GetInt64(0) + r.GetString(2).Length + (r.IsDBNull(6) ? 0 : r.GetString(6).Length);
        GC.KeepAlive(n);
        return Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    private static async Task<(double Ms, byte[] Body)> TimeAsync(HttpClient http, string url)
    {
        var t = Stopwatch.GetTimestamp();
        using var r = await http.GetAsync(new Uri(url, UriKind.Relative));
        var body = await r.Content.ReadAsByteArrayAsync();
        var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        if (!r.IsSuccessStatusCode) throw new BenchException($"GET {url}: {(int)r.StatusCode} {Encoding.UTF8.GetString(body)}");
        return (ms, body);
    }

    /// <summary>A bearer token for a demo account (Development seeds them).</summary>
    public static async Task<AuthenticationHeaderValue> LoginAsync(HttpClient http, string login)
    {
        var json = JsonSerializer.Serialize(new { email = $"{login}@demo.cityops", password = "Demo-2026!" });
        using var r = await http.PostAsync(new Uri("/api/auth/login", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode) throw new BenchException($"login as {login}@: {(int)r.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        return new AuthenticationHeaderValue("Bearer", doc.RootElement.GetProperty("accessToken").GetString());
    }

    private static string F(double v, string format = "0") => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);

    public static void Summary(EvaluationResult r, Action<string, string, string, string, string, string> row)
    {
        foreach (var run in r.Runs)
        {
            if (run.Name.EndsWith("(info)", StringComparison.Ordinal))
            {
                row($"(info) the same year scored with ten years of records in the tables", $"p50 {F(run.Score.P50)} ms, max {F(run.Score.Max)} ms", $"plain read p50 {F(run.Baseline.P50)} ms",
                    $"{F(run.Score.P50 / run.Baseline.P50, "0.00")}× of the plain read", run.Score.Max < 2000 ? "**yes** (< 2 s)" : "**no** (≥ 2 s)", "evaluation");
                continue;
            }
            var goal = run.Years == 1 ? 2000 : 15000;
            row($"{(run.Years == 1 ? "One Xiamen year" : "Ten years")} ({run.Cases:N0} cases, {run.Events:N0} events) scored for every unit, area and person in < {goal / 1000} s on PostgreSQL",
                $"p50 {F(run.Score.P50)} ms, max {F(run.Score.Max)} ms ({run.Score.Count} runs; {run.Subjects:N0} rows)",
                $"plain one-connection read of the same rows p50 {F(run.Baseline.P50)} ms", $"{F(run.Score.P50 / run.Baseline.P50, "0.00")}× of the plain read",
                run.Score.Max < goal ? "**yes**" : "**no**", "evaluation");
        }
        row("The year's Excel workbook in < 5 s", $"{F(r.ExcelColdMs)} ms over HTTP for a period computed in the same request; {F(r.ExcelWarmMs)} ms with the year's tally kept, {F(r.ExcelFirstMs)} ms the first time after start ({r.ExcelSheets} sheets, {r.ExcelBytes / 1024:N0} KiB)",
            "—", "—", Math.Max(r.ExcelColdMs, r.ExcelFirstMs) < 5000 ? "**yes**" : "**no**", "evaluation");
        var s = r.Screens;
        var worstPage = Math.Max(s.PageQueue.P95, Math.Max(s.PageOverdue.P95, s.PageDashboard.P95));
        row($"Server time to render the queue and the dashboard with {s.CasesInDb:N0} cases in the database < 300 ms p95 on PostgreSQL",
            $"signed-in GET, page rendered with its data: queue p95 {F(s.PageQueue.P95, "0.0")} ms (all), {F(s.PageOverdue.P95, "0.0")} ms (overdue); dashboard p95 {F(s.PageDashboard.P95, "0.0")} ms",
            $"loading their data alone: queue p95 {F(s.QueueAll.P95, "0.0")} ms, dashboard p95 {F(s.Dashboard.P95, "0.0")} ms",
            $"{F(worstPage / Math.Max(s.QueueAll.P95, s.Dashboard.P95), "0.00")}× (worst page / worst load)", worstPage < 300 ? "**yes**" : "**no**", "evaluation");
        row("(info) server memory per open dashboard session", s.RssPerSessionKiB is { } kib ? $"{F(kib, "0")} KiB RSS per session ({s.Sessions} sessions opened in Chromium: {F(s.RssBeforeMiB ?? 0, "0")} → {F(s.RssAfterMiB ?? 0, "0")} MiB)" : s.BrowserNote ?? "—",
            "—", "—", "—", "evaluation");
    }

    public static void Section(EvaluationResult r, Action<string> L)
    {
        L("### 6. Evaluation: a year of case records scored for every unit, area and person");
        L("");
        L($"Setup: a fresh database `{r.Database}` migrated and seeded by the server (then stopped); {r.CasesPerYear:N0} cases a year written by binary `COPY` with their events ({r.FillSeconds:0.0} s; events table {r.EventsSize}). Each case follows the loop as the server records it — report, register (5 % late), auto-dispatch, assign, submit, confirm, close, callback (95 % reached, 98.5 % of those effective) — with 4 % voided in the pool, 3 % returned by the unit and re-dispatched, 3 % extended, 5 % overdue (confirmed late), 4 % reworked; categories, grid cells and units drawn from the seeded demo city.");
        L("");
        L("Measured in process with the server's own context configuration: `EvaluationService.TallyAsync` on a fresh service (nothing kept between runs) plus building every table the API serves — all units scored by the scheme in force, the four area levels (district, subdistrict, community, grid cell) and operators, dispatchers and inspectors. One warm-up run, then the measured runs. Baseline: the same rows read plainly — the period's cases, then every column of their events by the same case-id range and order — on one connection with Npgsql, dropped as read. The service reads fewer columns and, from 20,000 cases, two halves of the range on two connections at once, so it can beat the plain read.");
        L("");
        L("| Period | Cases | Events read | Rows built | Score p50 | Score max | Plain read p50 | Ratio |");
        L("|---|---|---|---|---|---|---|---|");
        foreach (var run in r.Runs)
            L($"| {run.Name} | {run.Cases:N0} | {run.Events:N0} | {run.Subjects:N0} | {F(run.Score.P50)} ms | {F(run.Score.Max)} ms | {F(run.Baseline.P50)} ms | {F(run.Score.P50 / run.Baseline.P50, "0.00")}× |");
        L("");
        L($"Over HTTP from the server on the same database (leader@ bearer token): `GET /api/evaluation/units?period=2025` {F(r.UnitsColdMs)} ms on first call (tally included), {F(r.UnitsWarmMs)} ms once the closed year is kept; `GET /api/evaluation/export.xlsx?period=2025` {F(r.ExcelFirstMs)} ms the first time after start (the spreadsheet code is compiled on first use), {F(r.ExcelWarmMs)} ms the second ({r.ExcelSheets} sheets, {r.ExcelBytes / 1024:N0} KiB); the workbook of a period not yet computed (2025-01-01 ~ 2025-12-30) {F(r.ExcelColdMs)} ms.");
        L(r.Problems.Count == 0 ? "Server log: no warnings or errors." : "Server log problems: " + string.Join("; ", r.Problems.Take(5)));
        L("");
        var s = r.Screens;
        L("### 7. The web app's queue and dashboard over the same database");
        L("");
        L($"On a fresh database of its own, a year of {r.CasesPerYear:N0} cases written as above was made current: reported over the last 365 days, and of those of the last 60 days 60 % reopened in the pool, with the dispatcher or the unit (a quarter overdue, a tenth supervised): {s.CasesInDb:N0} cases in the database, {s.OpenCases:N0} open, {s.LastMonth:N0} reported in the last 30 days. Timed in process with the server's own loading code, {30} runs after 5 warm-up runs, each on a fresh context: `CaseQueues.LoadAsync` (the counts of all eight queues plus one page of 50) for an operator, who sees every case, and `DashboardStats.LoadAsync` (today, open, overdue, supervised, on-time rate, 30 days by channel, category, district and day) for a leader.");
        L("");
        L("| Screen data | p50 | p95 | max |");
        L("|---|---|---|---|");
        L($"| queue: all (8 counts + newest 50) | {F(s.QueueAll.P50, "0.0")} ms | {F(s.QueueAll.P95, "0.0")} ms | {F(s.QueueAll.Max, "0.0")} ms |");
        L($"| queue: overdue, by deadline | {F(s.QueueOverdue.P50, "0.0")} ms | {F(s.QueueOverdue.P95, "0.0")} ms | {F(s.QueueOverdue.Max, "0.0")} ms |");
        L($"| dashboard | {F(s.Dashboard.P50, "0.0")} ms | {F(s.Dashboard.P95, "0.0")} ms | {F(s.Dashboard.Max, "0.0")} ms |");
        L("");
        L($"The pages themselves, from the server started on this database: the operator signed in with the web app's cookie (`POST /api/auth/login?useCookies=true`), then {30} timed GETs of each page after 5 warm-up GETs, one after another over loopback, to the last byte of the answer — the page rendered on the server with its data (the first, prerendered response of an interactive page; the browser then opens its circuit). Each answer was checked to be the page with its data, not a sign-in redirect.");
        L("");
        L("| Page (signed-in GET) | p50 | p95 | max | HTML |");
        L("|---|---|---|---|---|");
        L($"| `/cases?queue=all` | {F(s.PageQueue.P50, "0.0")} ms | {F(s.PageQueue.P95, "0.0")} ms | {F(s.PageQueue.Max, "0.0")} ms | {s.PageQueueBytes / 1024:N0} KiB |");
        L($"| `/cases?queue=overdue` | {F(s.PageOverdue.P50, "0.0")} ms | {F(s.PageOverdue.P95, "0.0")} ms | {F(s.PageOverdue.Max, "0.0")} ms | |");
        L($"| `/dashboard` | {F(s.PageDashboard.P50, "0.0")} ms | {F(s.PageDashboard.P95, "0.0")} ms | {F(s.PageDashboard.Max, "0.0")} ms | {s.PageDashboardBytes / 1024:N0} KiB |");
        L("");
        L(s.RssPerSessionKiB is { } kib
            ? $"Memory: the server started on this database with workstation GC and a 4 MiB gen-0 budget (`DOTNET_gcServer=0`, `DOTNET_GCgen0size=0x400000`, so RSS growth is memory kept rather than garbage not yet collected), one leader dashboard opened in headless Chromium (its own browser context), then {s.Sessions} more, each its own context and so its own circuit: server RSS {F(s.RssBeforeMiB ?? 0, "0")} MiB → {F(s.RssAfterMiB ?? 0, "0")} MiB, **{F(kib, "0")} KiB per open dashboard session**."
            : "Memory per session: " + s.BrowserNote);
        L("");
    }
}
