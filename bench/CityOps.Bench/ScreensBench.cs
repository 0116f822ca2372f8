using System.Diagnostics;
using System.Globalization;
using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Cases.Calendar;
using CityOps.Server.Features.Cases.Pages;
using CityOps.Server.Features.Cases.Workflow;
using CityOps.Server.Features.Dashboard;
using CityOps.Server.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Npgsql;

namespace CityOps.Bench;

public sealed record ScreensResult(long CasesInDb, int OpenCases, int LastMonth, Latency QueueAll, Latency QueueOverdue, Latency Dashboard,
    Latency PageQueue, Latency PageOverdue, Latency PageDashboard, long PageQueueBytes, long PageDashboardBytes,
    int Sessions, double? RssPerSessionKiB, double? RssBeforeMiB, double? RssAfterMiB, string? BrowserNote);

/// <summary>
/// The web app's queue and dashboard over a year of cases made current (reported in the last 365
/// days, 8 % still open): the server's own loading code in process, and the server's memory per open
/// dashboard, with real browser sessions when Chromium is installed.
/// </summary>
public static class ScreensBench
{
    private const int Reps = 30;

    public static async Task<ScreensResult> RunAsync(BenchOptions o, string dll, string logPath)
    {
        var database = $"cityops_screens_{DateTime.UtcNow:yyyyMMdd_HHmmss}";
        var conn = Postgres.Builder(o.Pg!, database).ConnectionString;
        await Postgres.CreateDatabaseAsync(o.Pg!, database);
        try
        {
            var seeding = await ServerProcess.StartAsync(dll, conn, new Dictionary<string, string>(), logPath);
            await seeding.DisposeAsync();
            await Record.FillAsync(conn, 2025, 1, o.EvalCases);
            return await MeasureAsync(conn, dll, logPath);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (!o.KeepDb) await Postgres.DropDatabaseAsync(o.Pg!, database);
        }
    }

    private static async Task<ScreensResult> MeasureAsync(string conn, string dll, string logPath)
    {
        // A year of cases made to look like a live city: spread over the last year, some open and overdue.
        await using (var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(conn) { CommandTimeout = 0 }.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                UPDATE "Cases" SET "ReportedAt" = now() - random() * interval '365 days';
                UPDATE "Cases" c SET
                  "State" = (ARRAY['Reported','Registered','Dispatched','Handling','Feedback'])[1 + (c."Id" % 5)],
                  "ClosedAt" = NULL, "Clock_Step" = 'handle', "Clock_SegmentStart" = c."ReportedAt",
                  "Clock_DueAt" = now() + (random() * 96 - 24) * interval '1 hour', "Clock_WarnAt" = now() + (random() * 60 - 40) * interval '1 hour',
                  "Clock_OverdueRaised" = random() < 0.25, "SupervisionCount" = CASE WHEN random() < 0.1 THEN 1 ELSE 0 END
                WHERE c."ReportedAt" > now() - interval '60 days' AND random() < 0.6;
                UPDATE "Cases" SET "ClosedAt" = "ReportedAt" + interval '2 days' WHERE "State" = 'Closed' AND "ReportedAt" > now() - interval '400 days';
                ANALYZE "Cases";
                """, c);
            await cmd.ExecuteNonQueryAsync();
        }
        var casesInDb = await Postgres.ScalarAsync<long>(conn, "SELECT count(*) FROM \"Cases\"");
        var open = (int)await Postgres.ScalarAsync<long>(conn, "SELECT count(*) FROM \"Cases\" WHERE \"State\" NOT IN ('Closed', 'Voided')");
        var month = (int)await Postgres.ScalarAsync<long>(conn, "SELECT count(*) FROM \"Cases\" WHERE \"ReportedAt\" > now() - interval '30 days'");
        Log.Info($"screens: {casesInDb:N0} cases in the database, {open:N0} open, {month:N0} reported in the last 30 days");

        var options = new DbContextOptionsBuilder<CityOpsDb>();
        DatabaseSetup.Configure(options, "Postgres", conn);
        var calendar = new CalendarOptions();
        var clocks = new Clocks(WorkCalendar.Load(calendar), calendar.WarningShare);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(calendar.TimeZone);
        var operatorUser = new CurrentUser("bench-operator", "bench", [Roles.Operator], null, null);
        var leader = new CurrentUser("bench-leader", "bench", [Roles.Leader], null, null);
        ReferenceData reference;
        await using (var db = new CityOpsDb(options.Options)) reference = await ReferenceDataCache.LoadAsync(db, default);
        async Task<Latency> Time(Func<CityOpsDb, Task> load)
        {
            var ms = new List<double>();
            for (var i = 0; i < Reps + 5; i++)
            {
                await using var db = new CityOpsDb(options.Options);
                var t = Stopwatch.GetTimestamp();
                await load(db);
                if (i >= 5) ms.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
            return Latency.From(ms);
        }
        var now = DateTimeOffset.UtcNow;
        var all = await Time(db => CaseQueues.LoadAsync(db, reference, clocks, operatorUser, "all", new(null, null, null), 1, 50, now, default));
        var overdue = await Time(db => CaseQueues.LoadAsync(db, reference, clocks, operatorUser, "overdue", new(null, null, null, "due"), 1, 50, now, default));
        var dashboard = await Time(db => DashboardStats.LoadAsync(db, reference, leader, now, zone, default));
        Log.Info($"screens: queue (all) p95 {all.P95:0.0} ms, queue (overdue, by deadline) p95 {overdue.P95:0.0} ms, dashboard p95 {dashboard.P95:0.0} ms");

        var pages = await PagesAsync(conn, dll, logPath);
        var (sessions, perSession, before, after, note) = await MemoryAsync(conn, dll, logPath);
        return new ScreensResult(casesInDb, open, month, all, overdue, dashboard, pages.Queue, pages.Overdue, pages.Dashboard, pages.QueueBytes, pages.DashboardBytes,
            sessions, perSession, before, after, note);
    }

    /// <summary>
    /// The whole server side of opening a page: a signed-in browser's GET of /cases and /dashboard,
    /// answered with the page rendered with its data (the first, prerendered response), timed to the
    /// last byte over loopback.
    /// </summary>
    private static async Task<(Latency Queue, Latency Overdue, Latency Dashboard, long QueueBytes, long DashboardBytes)> PagesAsync(string conn, string dll, string logPath)
    {
        var server = await ServerProcess.StartAsync(dll, conn, new Dictionary<string, string>(), logPath);
        try
        {
            using var handler = new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = false };
            using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
            // The operator sees every case; the cookie is the web app's own sign-in.
            var login = await http.PostAsync("/api/auth/login?useCookies=true",
                new StringContent("""{"email":"operator@demo.cityops","password":"Demo-2026!"}""", System.Text.Encoding.UTF8, "application/json"));
            if (!login.IsSuccessStatusCode) throw new BenchException($"cookie sign-in answered {(int)login.StatusCode}");
            async Task<(Latency, long)> Time(string path, string mustContain)
            {
                var ms = new List<double>();
                long bytes = 0;
                for (var i = 0; i < Reps + 5; i++)
                {
                    var t = Stopwatch.GetTimestamp();
                    using var response = await http.GetAsync(path);
                    var html = await response.Content.ReadAsStringAsync();
                    var elapsed = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    if (response.StatusCode != System.Net.HttpStatusCode.OK || !html.Contains(mustContain, StringComparison.Ordinal))
                        throw new BenchException($"GET {path} answered {(int)response.StatusCode} without {mustContain}");
                    bytes = html.Length;
                    if (i >= 5) ms.Add(elapsed);
                }
                return (Latency.From(ms), bytes);
            }
            var (queue, queueBytes) = await Time("/cases?queue=all", "data-testid=\"case-");
            var (overdue, _) = await Time("/cases?queue=overdue", "data-testid=\"count-overdue\"");
            var (dashboard, dashboardBytes) = await Time("/dashboard", "data-testid=\"kpi-open\"");
            Log.Info($"screens: pages over HTTP p95: queue {queue.P95:0.0} ms, overdue {overdue.P95:0.0} ms, dashboard {dashboard.P95:0.0} ms");
            return (queue, overdue, dashboard, queueBytes, dashboardBytes);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Server RSS with one dashboard open, then with 20 more (each its own browser context, so its own circuit).</summary>
    private static async Task<(int, double?, double?, double?, string?)> MemoryAsync(string conn, string dll, string logPath)
    {
        const int sessions = 20;
        var chromium = Environment.GetEnvironmentVariable("CITYOPS_CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";
        if (!File.Exists(chromium)) return (0, null, null, null, "Chromium not installed: memory per session not measured");
        // Workstation GC with a small gen-0 budget, so growth of RSS is memory kept for the sessions rather than garbage not yet collected.
        var server = await ServerProcess.StartAsync(dll, conn, new Dictionary<string, string> { ["DOTNET_gcServer"] = "0", ["DOTNET_GCgen0size"] = "0x400000" }, logPath);
        try
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"] });
            async Task<IPage> OpenAsync()
            {
                var context = await browser.NewContextAsync(new() { BaseURL = server.BaseAddress.ToString() });
                var page = await context.NewPageAsync();
                page.SetDefaultTimeout(120_000);
                await page.GotoAsync("login");
                await page.GetByTestId("email").FillAsync("leader@demo.cityops");
                await page.GetByTestId("password").FillAsync("Demo-2026!");
                await page.GetByTestId("sign-in").ClickAsync();
                await page.WaitForURLAsync(u => !u.Contains("/login", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.DOMContentLoaded });
                await page.GotoAsync("dashboard");
                await page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
                return page;
            }
            await OpenAsync();
            await Task.Delay(3000);
            var before = Rss(server.Pid);
            for (var i = 0; i < sessions; i++) await OpenAsync();
            await Task.Delay(5000);
            var after = Rss(server.Pid);
            Log.Info($"screens: server RSS {before / 1048576.0:0} MiB with one dashboard, {after / 1048576.0:0} MiB with {sessions + 1}");
            return (sessions, (after - before) / 1024.0 / sessions, before / 1048576.0, after / 1048576.0, null);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
