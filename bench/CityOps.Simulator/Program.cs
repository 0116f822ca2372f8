using System.Globalization;
using System.Text;
using CityOps.Server.Features.Simulation;

// The city simulator: realistic complaint traffic for the Xiamen demo city, driven into a running
// CityOps over HTTP (Open311 and the native API with the demo channel keys and accounts).
//   dotnet run --project bench/CityOps.Simulator -- --url http://localhost:5080 --speed 8640 --days 30
// Options: --url, --speed, --per-year, --days, --seed, --concurrency, --start, --drain-days, --summary.
// See docs/simulator.md.

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
Console.OutputEncoding = Encoding.UTF8;

const string Usage = """
    usage: CityOps.Simulator [--url http://localhost:5080] [--speed 1440] [--per-year 150000] [--days N]
                             [--seed N] [--concurrency 8] [--start 2026-03-02T08:00+08:00] [--drain-days 3] [--summary 10]
      --url          the platform to drive (a server started in Development, with the demo city)
      --speed        simulated time per real time: 1440 = a day a minute, 8640 = a month in five minutes
      --per-year     reports a year (Xiamen: 150,000)
      --days         simulated days of reports; default: until Ctrl+C
      --drain-days   then open cases are followed until their next step is this many simulated days later
      --seed         the same seed gives the same arrivals, places, categories and case stories
      --concurrency  requests in flight at once
      --start        simulated start (default: 08:00 today, or on the next working day)
      --summary      seconds between summary lines
    """;

SimulationOptions options;
try
{
    options = Parse(args);
}
catch (FormatException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    await Console.Error.WriteLineAsync(Usage);
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
var engine = new SimulationEngine(options, line => Console.WriteLine($"{DateTime.Now:HH:mm:ss} {line}"));
try
{
    await engine.RunAsync(cts.Token);
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
}
catch (SimulationException ex)
{
    await Console.Error.WriteLineAsync("simulation failed: " + ex.Message);
    return 1;
}
// Server errors or lost answers make the run fail (refusals such as 409 are part of a busy city).
return engine.Stats.FailuresByStatus.Keys.Any(s => s is 0 or >= 500) ? 1 : 0;

static SimulationOptions Parse(string[] args)
{
    var o = new SimulationOptions { Url = "http://localhost:5080" };
    for (var i = 0; i < args.Length; i++)
    {
        var name = args[i];
        if (name is "-h" or "--help") throw new FormatException("CityOps city simulator");
        if (i + 1 >= args.Length) throw new FormatException($"{name} needs a value");
        var value = args[++i];
        switch (name)
        {
            case "--url": o.Url = value; break;
            case "--speed": o.Speed = Number(name, value); break;
            case "--per-year": o.PerYear = Number(name, value); break;
            case "--days": o.Days = Number(name, value); break;
            case "--drain-days": o.DrainDays = Number(name, value); break;
            case "--seed": o.Seed = (int)Whole(name, value); break;
            case "--concurrency": o.Concurrency = (int)Whole(name, value); break;
            case "--summary": o.SummarySeconds = Number(name, value); break;
            case "--start":
                o.Start = DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
                    ? start : throw new FormatException($"--start: not a date and time: {value}");
                break;
            default: throw new FormatException($"unknown option {name}");
        }
    }
    return o.Problem() is { } problem ? throw new FormatException(problem) : o;
}

static double Number(string name, string value) =>
    double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : throw new FormatException($"{name}: not a number: {value}");

static long Whole(string name, string value) =>
    int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"{name}: not a whole number: {value}");
