namespace CityOps.Server.Features.Simulation;

/// <summary>
/// Settings of a simulation run (section CityOps:Simulation for the server's <c>--simulate</c>; the
/// console's options map onto the same fields).
/// </summary>
public sealed class SimulationOptions
{
    public const string Section = "CityOps:Simulation";

    /// <summary>Run the simulator inside the server (Development only); <c>--simulate</c> sets it.</summary>
    public bool Enabled { get; set; }

    /// <summary>The platform to drive; the server uses its own address when empty.</summary>
    public string? Url { get; set; }

    /// <summary>Simulated time per real time: 1440 plays a day in a minute, 8640 a month in five minutes.</summary>
    public double Speed { get; set; } = 1440;

    /// <summary>Reports a year (Xiamen: about 150,000).</summary>
    public double PerYear { get; set; } = TrafficFigures.PerYear;

    /// <summary>Simulated days of reports; empty: until stopped.</summary>
    public double? Days { get; set; }

    /// <summary>After the last report, follow open cases for at most this many simulated days.</summary>
    public double DrainDays { get; set; } = 3;

    /// <summary>Same seed, same city: arrivals, places, categories and every case's story. Empty: a new one each run.</summary>
    public int? Seed { get; set; }

    /// <summary>Requests in flight at once, at most.</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>Simulated start; empty: 08:00 today, or on the next working day when today is a rest day.</summary>
    public DateTimeOffset? Start { get; set; }

    /// <summary>Seconds between summary lines.</summary>
    public double SummarySeconds { get; set; } = 10;

    /// <summary>A clear message for the first setting out of range, or null.</summary>
    public string? Problem() =>
        !(Speed > 0) || double.IsInfinity(Speed) ? "speed must be a positive number"
        : !(PerYear > 0) || double.IsInfinity(PerYear) ? "per-year must be a positive number"
        : Days is { } d && !(d > 0) ? "days must be a positive number"
        : !(DrainDays >= 0) ? "drain-days must be zero or more"
        : Concurrency is < 1 or > 1024 ? "concurrency must be between 1 and 1024"
        : !(SummarySeconds > 0) ? "summary seconds must be positive"
        : Url is { Length: > 0 } u && !(Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") ? "url must be an http(s) address"
        : null;
}
