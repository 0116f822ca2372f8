namespace CityOps.Server.Features.Simulation;

/// <summary>
/// Simulated time: starts at <see cref="Start"/> and runs <see cref="Speed"/> times faster than
/// the real clock. Only the simulator's waits are compressed; the platform keeps its own (real) clock.
/// </summary>
public sealed class SimClock
{
    private readonly TimeProvider _time;
    private readonly long _origin;

    public SimClock(DateTimeOffset start, double speed, TimeProvider? time = null)
    {
        if (!(speed > 0) || double.IsInfinity(speed)) throw new ArgumentOutOfRangeException(nameof(speed), "The speed-up must be positive.");
        (Start, Speed, _time) = (start, speed, time ?? TimeProvider.System);
        _origin = _time.GetTimestamp();
    }

    public DateTimeOffset Start { get; }

    public double Speed { get; }

    /// <summary>Real time since the start.</summary>
    public TimeSpan Elapsed => _time.GetElapsedTime(_origin);

    public DateTimeOffset Now => Start + Elapsed * Speed;

    /// <summary>The real time until a simulated instant (negative when it is past).</summary>
    public TimeSpan RealUntil(DateTimeOffset simulated) => (simulated - Now) / Speed;

    /// <summary>Waits (really) until the simulated clock reaches <paramref name="simulated"/>.</summary>
    public async Task WaitUntilAsync(DateTimeOffset simulated, CancellationToken ct)
    {
        var wait = RealUntil(simulated);
        if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, _time, ct);
    }
}
