using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Simulation;

/// <summary>
/// <c>dotnet run --project src/CityOps.Server -- --simulate</c>: the demo city comes alive. The
/// simulator runs inside the server as a background service and drives it over HTTP on its own
/// address, like any outside client. Development only: elsewhere it refuses with a log line.
/// </summary>
public static class SimulationSetup
{
    public const string Flag = "--simulate";

    public static void AddSimulation(this WebApplicationBuilder builder, string[] args)
    {
        if (args.Contains(Flag, StringComparer.OrdinalIgnoreCase))
        {
            // A bare flag would take the next option as its value ("--simulate --urls x"): read the rest again without it.
            builder.Configuration.AddCommandLine(args.Where(a => !string.Equals(a, Flag, StringComparison.OrdinalIgnoreCase)).ToArray());
            builder.Configuration[$"{SimulationOptions.Section}:{nameof(SimulationOptions.Enabled)}"] = "true";
        }
        var section = builder.Configuration.GetSection(SimulationOptions.Section);
        if (!section.GetValue<bool>(nameof(SimulationOptions.Enabled))) return;
        builder.Services.Configure<SimulationOptions>(section);
        if (builder.Environment.IsDevelopment())
        {
            builder.Services.AddHostedService<SimulationHost>();
            // The simulated city's citizens all post from this one loopback address; a per-address intake limit would throttle the whole city.
            builder.Configuration["CityOps:Intake:RateLimit:Enabled"] = "false";
        }
        else builder.Services.AddHostedService<SimulationRefused>();
    }
}

/// <summary>Runs the engine once the server listens; stops with the server.</summary>
public sealed class SimulationHost(IOptions<SimulationOptions> options, IServer server, IHostApplicationLifetime lifetime, ILogger<SimulationHost> log) : BackgroundService
{
    /// <summary>The running engine (its figures), once the server has started.</summary>
    public SimulationEngine? Engine { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The addresses are known (and the database seeded) once the application has started.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try { await started.Task; }
            catch (OperationCanceledException) { return; }
        }
        var o = options.Value;
        if (string.IsNullOrEmpty(o.Url)) o.Url = OwnAddress(server);
        if (o.Url is null)
        {
            log.LogError("Simulation not started: the server has no HTTP address to drive.");
            return;
        }
        var engine = Engine = new SimulationEngine(o, line => log.LogInformation("{Simulation}", line));
        // Stop as soon as shutdown begins, while the server still answers, so nothing is counted as lost on the way out.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        try
        {
            await engine.RunAsync(stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (SimulationException ex)
        {
            log.LogError("Simulation stopped: {Reason}", ex.Message);
        }
        catch (Exception ex)
        {
            // The demo city stops; the server goes on serving.
            log.LogError(ex, "Simulation stopped by an error");
        }
    }

    /// <summary>The server's own address, http first, with a wildcard host made a loopback one.</summary>
    public static string? OwnAddress(IServer server)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var pick = addresses.OrderBy(a => a.StartsWith("https:", StringComparison.OrdinalIgnoreCase)).FirstOrDefault();
        if (pick is null) return null;
        var uri = new UriBuilder(pick.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::") uri.Host = "127.0.0.1";
        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }
}

/// <summary>Says once, at start, why the simulator does not run outside Development.</summary>
public sealed class SimulationRefused(IHostEnvironment env, ILogger<SimulationRefused> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        log.LogWarning("Simulation refused: --simulate runs only in the Development environment (this is {Environment}); it signs in with the demo accounts.", env.EnvironmentName);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
