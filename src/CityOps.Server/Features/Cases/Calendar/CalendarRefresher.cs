using CityOps.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>
/// Reads the holiday years stored by administrators before the server takes requests, then once a
/// minute, so an edit made on another instance reaches this one; an edit here reloads at once.
/// </summary>
public sealed class CalendarRefresher(IServiceScopeFactory scopes, CalendarSource source, TimeProvider clock, ILogger<CalendarRefresher> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ReloadAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Reading the stored holiday years failed; the calendar in use is kept");
            }
        }
    }

    public async Task ReloadAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        var years = await db.HolidayYears.AsNoTracking().ToListAsync(ct);
        if (source.Use(years)) log.LogInformation("Business calendar rebuilt with {Count} stored holiday year(s)", years.Count);
    }
}
