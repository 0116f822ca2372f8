using System.Globalization;
using System.Text.Json;
using CityOps.Server.Features.Cases.Calendar;
using CityOps.Server.Features.Categories;
using CityOps.Server.Features.Geography;

namespace CityOps.Server.Features.Simulation;

/// <summary>
/// The city simulator: learns the city from the platform's public APIs (catalogue, units, grid),
/// then runs every traffic source on a compressed clock against the platform at
/// <see cref="SimulationOptions.Url"/>, printing a summary line every few seconds. One engine for
/// both hosts: the console in bench/CityOps.Simulator and the server's <c>--simulate</c>.
/// </summary>
public sealed class SimulationEngine(SimulationOptions options, Action<string> log, IReadOnlyList<ITrafficSource>? sources = null, HttpMessageHandler? handler = null)
{
    /// <summary>The traffic sources of a run: one per kind of traffic (see <see cref="ITrafficSource"/>).</summary>
    public static IReadOnlyList<ITrafficSource> DefaultSources() => [new ComplaintSource()];

    public SimulationStats Stats { get; } = new();

    /// <summary>The run's clock, once the city is loaded.</summary>
    public SimClock? Clock { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        if (options.Problem() is { } problem) throw new SimulationException(problem);
        if (string.IsNullOrEmpty(options.Url)) throw new SimulationException("url is required");
        var seed = options.Seed ?? Random.Shared.Next();
        await WaitHealthyAsync(new Uri(options.Url), ct);
        using var platform = new PlatformClient(new Uri(options.Url), options.Concurrency, Stats, handler);
        var (city, units) = await LoadCityAsync(platform, ct);
        var calendarOptions = new CalendarOptions();
        var calendar = WorkCalendar.Load(calendarOptions);
        var zone = calendar.Zone;
        var pattern = new TrafficPattern(options.PerYear, TrafficFigures.Channels, zone, HolidayData.Load(calendarOptions.HolidaysFolder));
        // The accounts most moves use, signed in before the clock starts.
        foreach (var login in new[] { "operator", "dispatcher", "department", "handler", "inspector" }) await platform.SessionAsync(login, ct);

        var start = TimeZoneInfo.ConvertTime(options.Start ?? WorkingMorning(DateTimeOffset.UtcNow, pattern), zone);
        Clock = new SimClock(start, options.Speed);
        var run = new SimulationRun
        {
            Options = options, Clock = Clock, Platform = platform, Stats = Stats, City = city, Pattern = pattern, Calendar = calendar,
            Units = units, Zone = zone, Seed = seed, RunId = $"{seed:x8}-{Guid.NewGuid():N}"[..17],
            End = options.Days is { } days ? start + TimeSpan.FromDays(days) : null,
        };
        var perDay = pattern.Expected(start, start.AddDays(7)) / 7;
        log(string.Create(CultureInfo.InvariantCulture,
            $"simulating {platform.BaseUrl} from {start:yyyy-MM-dd HH:mm} {(run.End is { } e ? $"to {e:yyyy-MM-dd HH:mm}" : "until stopped")} at {options.Speed:0.##}× " +
            $"(a simulated day every {86400 / options.Speed:0.#} s): {options.PerYear:N0} reports a year, about {perDay:0} a day, {perDay * options.Speed / 86400:0.0} a second; " +
            $"{city.Cells.Count:N0} cells, {city.Categories.Count} categories, {units.Count} units; seed {seed}, {options.Concurrency} requests at once"));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var summaries = SummariesAsync(zone, stop.Token);
        try
        {
            await Task.WhenAll((sources ?? DefaultSources()).Select(s => s.RunAsync(run, ct)));
        }
        finally
        {
            await stop.CancelAsync();
            await summaries;
            log(Stats.Line(Clock.Now, zone, Clock.Elapsed));
            log(Stats.Summary(Clock.Elapsed));
        }
    }

    /// <summary>08:00 of today, or of the next working day when today is a rest day: a demo opens on a busy morning.</summary>
    public static DateTimeOffset WorkingMorning(DateTimeOffset now, TrafficPattern pattern)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, pattern.Zone).DateTime);
        while (!pattern.IsWorkingDay(day)) day = day.AddDays(1);
        var local = day.ToDateTime(new TimeOnly(8, 0));
        return new DateTimeOffset(local, pattern.Zone.GetUtcOffset(local));
    }

    private async Task SummariesAsync(TimeZoneInfo zone, CancellationToken ct)
    {
        (long, long, TimeSpan)? previous = null;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.SummarySeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var elapsed = Clock!.Elapsed;
                log(Stats.Line(Clock.Now, zone, elapsed, previous));
                previous = (Stats.Reports, Stats.Moves, elapsed);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Waits up to two minutes for /health (a server may still be starting); these tries are not counted in the run's figures.</summary>
    private async Task WaitHealthyAsync(Uri url, CancellationToken ct)
    {
        using var probe = new PlatformClient(url, 1, new SimulationStats(), handler);
        var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
        for (var attempt = 0; ; attempt++)
        {
            var answer = await probe.SendAsync("health", () => new HttpRequestMessage(HttpMethod.Get, "/health"), null, ct);
            if (answer.Ok) return;
            if (DateTimeOffset.UtcNow > deadline) throw new SimulationException($"{url} is not healthy: {answer.Status} {PlatformClient.Trim(answer.Body)}");
            if (attempt == 0) log($"waiting for {url} to answer /health …");
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    private sealed record CategoryRow(string ServiceCode, string NameZh, bool Active, List<ConditionRow> Conditions);
    private sealed record ConditionRow(string Code, int TimeLimit, TimeLimitUnit TimeLimitUnit);
    private sealed record UnitRow(int Id, string Code, string Kind, bool Active);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>The catalogue, the units and the grid, as a staff client reads them.</summary>
    private static async Task<(CityModel City, IReadOnlyDictionary<string, SimUnit> Units)> LoadCityAsync(PlatformClient platform, CancellationToken ct)
    {
        async Task<string> GetAsync(string path)
        {
            var answer = await platform.SendAsync("GET " + path, () => new HttpRequestMessage(HttpMethod.Get, path), "operator", ct);
            return answer.Ok ? answer.Body : throw new SimulationException($"GET {path}: {answer.Status} {PlatformClient.Trim(answer.Body)}");
        }
        var categories = JsonSerializer.Deserialize<List<CategoryRow>>(await GetAsync("/api/categories"), Json)!
            .Where(c => c.Active)
            .Select(c => new SimCategory(c.ServiceCode, c.NameZh, c.Conditions.Select(k => new SimCondition(k.Code, k.TimeLimit, k.TimeLimitUnit)).ToList()))
            .ToList();
        var units = JsonSerializer.Deserialize<List<UnitRow>>(await GetAsync("/api/units"), Json)!
            .Where(u => u.Active).ToDictionary(u => u.Code, u => new SimUnit(u.Id, u.Kind), StringComparer.Ordinal);
        using var layer = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(await GetAsync("/api/areas/layers/Cell")));
        var cells = GeometryIo.ReadFeatures(layer)
            .Where(f => f.Geometry is { IsEmpty: false } && f.Attributes?["code"] is string)
            .Select(f => new SimCell((string)f.Attributes["code"], f.Geometry)).ToList();
        return (new CityModel(cells, categories), units);
    }
}
