using System.Diagnostics;
using System.Text.Json.Nodes;
using CityOps.Server.Features.Simulation;
using CityOps.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityOps.Tests.Simulation;

/// <summary>
/// The server started with the simulate setting drives itself over HTTP for a few simulated days
/// at 86,400× (a real second a day), on a real database; then the platform's own views — the
/// case list, the evaluation counts, the audit — must agree that a city happened.
/// </summary>
public sealed class SimulationRunTests(ITestOutputHelper output)
{
    /// <summary>A Monday morning: two working days of reports, then up to five days to finish what is open.</summary>
    private const string Start = "2026-11-23T08:00:00+08:00";

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Simulated_days_bring_reports_from_every_side_and_cases_round_the_loop(string db)
    {
        var clock = Stopwatch.StartNew();
        await using var app = await CityOpsApp.StartAsync(db, new Dictionary<string, string?>
        {
            ["CityOps:Simulation:Enabled"] = "true",
            ["CityOps:Simulation:Speed"] = "86400",
            ["CityOps:Simulation:PerYear"] = "10000",
            ["CityOps:Simulation:Days"] = "2",
            ["CityOps:Simulation:DrainDays"] = "5",
            ["CityOps:Simulation:Seed"] = "2026",
            ["CityOps:Simulation:Start"] = Start,
            ["CityOps:Simulation:Concurrency"] = "8",
        }, kestrel: true);
        var started = clock.Elapsed;
        var host = app.Services.GetServices<IHostedService>().OfType<SimulationHost>().Single();
        await host.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        var stats = host.Engine!.Stats;
        var elapsed = host.Engine.Clock!.Elapsed;
        output.WriteLine($"{db}: server up in {started.TotalSeconds:0.0} s, simulation {elapsed.TotalSeconds:0.0} s");
        output.WriteLine(stats.Summary(elapsed));
        var summary = stats.Summary(elapsed);

        // What the simulator saw.
        Assert.True(stats.Reports >= 60, summary);
        Assert.True(stats.ReportsByChannel.Count >= 8, summary);
        Assert.True(stats.ReportsByCategory.Count >= 15, summary);
        Assert.Equal(6, stats.ReportsByDistrict.Count);
        Assert.True(stats.Closed >= stats.CasesStarted / 2, summary);
        Assert.True(stats.Returned >= 1 && stats.Reworked >= 1, summary);
        Assert.True(stats.Callbacks >= 5 && stats.Verified >= 3 && stats.Voided >= 1, summary);
        // No server error, no lost answer, no refusal but the races a busy city has (409).
        Assert.True(stats.FailuresByStatus.Keys.All(s => s == 409), summary);
        Assert.True(stats.CasesAbandoned == 0, summary);

        // What the platform says.
        var leader = await app.SignInAsync("leader");
        var all = await (await leader.GetAsync("/api/cases?pageSize=500", TestContext.Current.CancellationToken)).JsonAsync();
        var items = all["items"]!.AsArray().Select(i => i!).ToList();
        Assert.Equal(stats.CasesStarted, all["total"]!.GetValue<int>());
        Assert.True(items.Select(i => i["channel"]!.GetValue<string>()).Distinct().Count() >= 8);
        Assert.True(items.Select(i => i["category"]!.GetValue<string>()).Distinct().Count() >= 15);
        Assert.Equal(6, items.Select(i => i["place"]!["district"]!.GetValue<string>()).Distinct().Count());
        var closed = items.Count(i => i["state"]!.GetValue<string>() == "Closed");
        Assert.InRange(closed, stats.Closed - 2 * stats.Reopened, stats.Closed);
        Assert.Equal(stats.Voided, items.Count(i => i["state"]!.GetValue<string>() == "Voided"));

        var year = DateTimeOffset.Now.ToOffset(TimeSpan.FromHours(8)).Year;
        var units = await (await leader.GetAsync($"/api/evaluation/units?period={year}", TestContext.Current.CancellationToken)).JsonAsync();
        long Sum(string counter) => units["rows"]!.AsArray().Sum(r => r!["counts"]![counter]?.GetValue<long>() ?? 0);
        Assert.Equal(stats.Returned, Sum("returned"));
        Assert.True(Sum("reworked") >= 1 && Sum("handled") >= stats.Closed / 2, $"evaluation: reworked {Sum("reworked")}, handled {Sum("handled")}");

        var admin = await app.SignInAsync("admin");
        var audit = await (await admin.GetAsync("/api/audit/verify", TestContext.Current.CancellationToken)).JsonAsync();
        Assert.True(audit["intact"]!.GetValue<bool>(), audit.ToJsonString());
        Assert.Equal(stats.CasesStarted, audit["casesChecked"]!.GetValue<int>());
        Assert.True(audit["eventsChecked"]!.GetValue<long>() >= stats.Moves, audit.ToJsonString());
    }

    [Fact]
    public async Task Simulate_runs_only_in_Development_and_leaves_the_other_options_alone()
    {
        string[] args = ["--simulate", "--urls", "http://127.0.0.1:5999"];
        var production = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, EnvironmentName = "Production" });
        production.AddSimulation(args);
        Assert.Equal("http://127.0.0.1:5999", production.Configuration["urls"]);
        Assert.Contains(production.Services, d => d.ImplementationType == typeof(SimulationRefused));
        Assert.DoesNotContain(production.Services, d => d.ImplementationType == typeof(SimulationHost));

        var development = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, EnvironmentName = "Development" });
        development.AddSimulation(args);
        Assert.Contains(development.Services, d => d.ImplementationType == typeof(SimulationHost));

        var plain = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Development" });
        plain.AddSimulation([]);
        Assert.DoesNotContain(plain.Services, d => d.ImplementationType == typeof(SimulationHost) || d.ImplementationType == typeof(SimulationRefused));

        var log = new Captured();
        await new SimulationRefused(new Env("Production"), log).StartAsync(CancellationToken.None);
        Assert.Contains(log.Lines, l => l.Contains("Simulation refused", StringComparison.Ordinal) && l.Contains("Development", StringComparison.Ordinal) && l.Contains("Production", StringComparison.Ordinal));
    }

    private sealed class Env(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "CityOps.Server";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }

    private sealed class Captured : ILogger<SimulationRefused>
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
