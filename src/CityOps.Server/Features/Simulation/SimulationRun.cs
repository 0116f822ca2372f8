using CityOps.Server.Features.Cases.Calendar;

namespace CityOps.Server.Features.Simulation;

/// <summary>A unit as the simulator needs it: its id and kind, by code.</summary>
public readonly record struct SimUnit(int Id, string Kind);

/// <summary>Everything a traffic source needs during one run.</summary>
public sealed class SimulationRun
{
    public required SimulationOptions Options { get; init; }
    public required SimClock Clock { get; init; }
    public required PlatformClient Platform { get; init; }
    public required SimulationStats Stats { get; init; }
    public required CityModel City { get; init; }
    public required TrafficPattern Pattern { get; init; }
    public required WorkCalendar Calendar { get; init; }
    public required IReadOnlyDictionary<string, SimUnit> Units { get; init; }
    public required TimeZoneInfo Zone { get; init; }
    public required int Seed { get; init; }

    /// <summary>Distinguishes this run's Idempotency-Keys from any other's.</summary>
    public required string RunId { get; init; }

    /// <summary>Simulated end of the reporting window; null: until stopped.</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>No step is planned after this simulated instant: the window and the drain days after it.</summary>
    public DateTimeOffset? Until => End?.AddDays(Options.DrainDays);

    /// <summary>A generator for one stream (a source, a case), the same for the same seed on every run.</summary>
    public Random RandomFor(string stream, long index) => new(Seeds.Mix(Seed, stream, index));
}

/// <summary>Deterministic seeds (SplitMix64), unlike <see cref="HashCode"/>, which differs per process.</summary>
public static class Seeds
{
    public static int Mix(int seed, string stream, long index)
    {
        var x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        foreach (var c in stream) x = Step(x ^ c);
        x = Step(x ^ (ulong)index);
        return (int)(x ^ (x >> 32));
    }

    private static ulong Step(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
