namespace CityOps.Server.Features.Simulation;

/// <summary>
/// One kind of traffic the simulated city produces. Each source draws its own events from the
/// run's seed and simulated clock and drives the platform through <see cref="SimulationRun.Platform"/>.
/// Today there is one, <see cref="ComplaintSource"/> (complaints and patrol reports through the 15
/// channels, each case followed round the loop). Shared-bike fleets (GBFS/MDS feeds) and
/// construction-site noise and dust sensors would each be a source of their own once the platform
/// has endpoints for them: add the class and list it in <see cref="SimulationEngine.DefaultSources"/>.
/// </summary>
public interface ITrafficSource
{
    /// <summary>A short name for summaries ("complaints").</summary>
    string Kind { get; }

    /// <summary>
    /// Produces traffic until <see cref="SimulationRun.End"/> (simulated) or until <paramref name="ct"/>
    /// is cancelled, then finishes what it started within the run's drain limit.
    /// </summary>
    Task RunAsync(SimulationRun run, CancellationToken ct);
}
