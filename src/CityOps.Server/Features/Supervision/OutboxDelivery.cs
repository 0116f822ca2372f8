using System.Text;
using CityOps.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Supervision;

/// <summary>
/// Delivers outbox messages to the configured webhook, each claimed by one instance at a time,
/// retried with growing back-off, and sent with its key as Idempotency-Key so a receiver can drop
/// the repeat that follows a crash between sending and recording.
/// </summary>
public sealed class OutboxDelivery(IServiceScopeFactory scopes, IHttpClientFactory http, TimeProvider clock, IOptions<SupervisionOptions> options, ILogger<OutboxDelivery> log) : BackgroundService
{
    private readonly string _holder = $"{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.WebhookUrl is null) return;
        using var timer = new PeriodicTimer(options.Value.DeliveryInterval, clock);
        do
        {
            try
            {
                while (await DeliverBatchAsync(stoppingToken) > 0) { }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Outbox delivery failed; retrying at the next tick");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> DeliverBatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        var now = clock.GetUtcNow();
        var ids = await db.Outbox.Where(m => m.DeliveredAt == null && m.NextAttemptAt <= now && (m.LockedUntil == null || m.LockedUntil < now))
            .OrderBy(m => m.Id).Select(m => m.Id).Take(50).ToListAsync(ct);
        var sent = 0;
        var client = http.CreateClient("webhooks");
        foreach (var id in ids)
        {
            // Timed from the claim, not from the start of the batch: a batch slowed down by a slow receiver
            // must not hand out claims that have already run out, which another instance could then take
            // while this one is still sending. Another instance's failed attempt keeps its back-off.
            var claimAt = clock.GetUtcNow();
            var until = claimAt + options.Value.WebhookTimeout * 3;
            var claimed = await db.Outbox.Where(m => m.Id == id && m.DeliveredAt == null && m.NextAttemptAt <= claimAt && (m.LockedUntil == null || m.LockedUntil < claimAt))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.LockedUntil, until).SetProperty(m => m.LockedBy, _holder), ct);
            if (claimed == 0) continue;
            var m = await db.Outbox.AsNoTracking().FirstAsync(x => x.Id == id, ct);
            string? error = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, options.Value.WebhookUrl) { Content = new StringContent(m.Payload, Encoding.UTF8, "application/json") };
                request.Headers.Add("Idempotency-Key", m.Key);
                request.Headers.Add("X-CityOps-Event", m.Kind);
                using var response = await client.SendAsync(request, ct);
                if (!response.IsSuccessStatusCode) error = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex) { error = ex.Message; }
            catch (TaskCanceledException ex) when (!ct.IsCancellationRequested) { error = ex.Message; }
            var attempts = m.Attempts + 1;
            var next = clock.GetUtcNow().AddSeconds(Math.Min(3600, 5 * Math.Pow(2, attempts)));
            var delivered = error is null ? clock.GetUtcNow() : (DateTimeOffset?)null;
            await db.Outbox.Where(x => x.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Attempts, attempts).SetProperty(x => x.DeliveredAt, delivered).SetProperty(x => x.NextAttemptAt, next)
                .SetProperty(x => x.LastError, error).SetProperty(x => x.LockedUntil, (DateTimeOffset?)null), ct);
            if (error is null) sent++;
        }
        return sent;
    }
}
