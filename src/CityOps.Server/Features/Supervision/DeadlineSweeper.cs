using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Cases.Workflow;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Supervision;

public sealed class SupervisionOptions
{
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(15);
    public int BatchSize { get; set; } = 500;
    /// <summary>Webhook receiver for case events (optional). Messages queue in the outbox either way.</summary>
    public Uri? WebhookUrl { get; set; }
    public TimeSpan DeliveryInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>How long one webhook call may take; a message being sent stays claimed for three times as long.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Finds every case whose warning time or deadline has passed, records the warning or the overdue
/// event, and issues the overdue supervision order to the unit and its superior. Each raise is
/// claimed through the case's version, so it happens once however many instances sweep.
/// </summary>
public sealed class DeadlineSweeper(IServiceScopeFactory scopes, TimeProvider clock, IOptions<SupervisionOptions> options, ILogger<DeadlineSweeper> log) : BackgroundService
{
    private const string LeaseName = "deadline-sweeper";
    private readonly string _holder = $"{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>
    /// On an orderly stop (a restart, a rolling deployment) the lease is given up, so another
    /// instance sweeps at its next tick; only a crash leaves the lease to run out.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(5));
            await Leases.ReleaseAsync(scope.ServiceProvider.GetRequiredService<CityOpsDb>(), LeaseName, _holder, clock.GetUtcNow(), limit.Token);
        }
        catch (ObjectDisposedException)
        {
            // The host was torn down before it was stopped: nothing left to give the lease up with.
            log.LogDebug("The deadline sweeper stopped after its host was disposed; its lease runs out by itself");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            log.LogWarning(ex, "Giving up the deadline sweeper's lease on stop failed; another instance takes it when it runs out");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, clock);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
                if (await Leases.TryAcquireAsync(db, LeaseName, _holder, clock.GetUtcNow(), options.Value.SweepInterval * 4, stoppingToken))
                    await SweepAsync(scope.ServiceProvider, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Deadline sweep failed; retrying at the next tick");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass; returns how many warnings and overdue events it raised.</summary>
    public static async Task<int> SweepAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<CityOpsDb>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var batch = services.GetRequiredService<IOptions<SupervisionOptions>>().Value.BatchSize;
        var raised = 0;
        // Batches keep each query small; a backlog (after downtime) is worked off in the same pass.
        for (var pass = 0; pass < 100; pass++)
        {
            var due = await FindDueAsync(db, now, batch, ct);
            var before = raised;
            foreach (var id in due)
                if (await RaiseAsync(services, id, now, ct)) raised++;
            if (due.Count < batch || raised == before) break;
        }
        return raised;
    }

    /// <summary>The sweep query: open, running clocks whose warning or deadline passed unraised (both on indexes).</summary>
    public static async Task<List<long>> FindDueAsync(CityOpsDb db, DateTimeOffset now, int batch, CancellationToken ct)
    {
        var overdue = await db.Cases.Where(c => !c.Clock.OverdueRaised && c.Clock.DueAt <= now).OrderBy(c => c.Clock.DueAt).Select(c => c.Id).Take(batch).ToListAsync(ct);
        var warned = await db.Cases.Where(c => !c.Clock.WarningRaised && c.Clock.WarnAt <= now).OrderBy(c => c.Clock.WarnAt).Select(c => c.Id).Take(batch).ToListAsync(ct);
        return overdue.Union(warned).ToList();
    }

    private static async Task<bool> RaiseAsync(IServiceProvider services, long id, DateTimeOffset now, CancellationToken ct)
    {
        var db = services.GetRequiredService<CityOpsDb>();
        db.ChangeTracker.Clear();
        var c = await db.Cases.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (c is null || c.Clock.Step is null || c.Clock.Paused) return false;
        var overdue = !c.Clock.OverdueRaised && c.Clock.DueAt <= now;
        var warning = !c.Clock.WarningRaised && c.Clock.WarnAt <= now;
        if (!overdue && !warning) return false;
        c.Clock.WarningRaised = true;
        c.Clock.OverdueRaised |= overdue;
        c.Version++;
        c.UpdatedAt = now; // the notices below carry the sweep's time
        var e = CaseChain.Append(c, new CaseEvent
        {
            At = now, Action = overdue ? "overdue" : "warning", ActorId = "system", ActorName = Messages.GetForStaff("SystemActor"), ActorRole = "system",
            FromState = c.State, ToState = c.State, UnitId = c.AssignedUnitId, Reason = c.Clock.Step, PrevHash = "", Hash = "",
            Data = $"{{\"step\":\"{c.Clock.Step}\",\"dueAt\":\"{c.Clock.DueAt:O}\",\"clock\":{c.Clock.Number}}}",
        });
        var notifier = services.GetRequiredService<Notifier>();
        var reference = await services.GetRequiredService<ReferenceDataCache>().GetAsync(ct);
        if (overdue) notifier.Supervise(c, reference, $"overdue:{c.Id}:{c.Clock.Number}", automatic: true, null, Messages.FormatForStaff("OverdueReason", Messages.GetForStaff("Ui_Step_" + c.Clock.Step)), now);
        else notifier.Warn(c, reference);
        notifier.Outbox(c, e, now);
        try
        {
            await db.SaveChangesAsync(ct);
            services.GetService<CaseSignals>()?.Raise();
            return true;
        }
        catch (DbUpdateException)
        {
            return false; // another instance (or a move) got there first; the next pass looks again
        }
    }
}
