using CityOps.Server.Data;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Resilience;

/// <summary>
/// The deadline sweeper runs on one instance at a time, under a database lease. An instance that
/// stops in order (a restart, a rolling deployment) gives the lease up, so the next instance sweeps
/// at once rather than after the lease's term (four sweep intervals: four minutes here).
/// </summary>
public sealed class SweeperLeaseTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task An_instance_that_stops_in_order_hands_the_sweep_to_the_next_at_once(string db)
    {
        var settings = new Dictionary<string, string?> { ["CityOps:Supervision:SweepInterval"] = "00:01:00" };
        var connection = await CityOpsApp.NewDatabaseAsync(db);
        var first = await CityOpsApp.StartAsync(db, settings, connection: connection);
        var held = await HolderAsync(first, null);
        Assert.True(held.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(3), $"a lease of four intervals: {held.ExpiresAt:O}");
        await first.DisposeAsync();

        await using var next = await CityOpsApp.StartAsync(db, settings, connection: connection);
        var taken = await HolderAsync(next, held.Holder);
        Assert.NotEqual(held.Holder, taken.Holder);
        Assert.True(taken.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(3), $"{taken.ExpiresAt:O}");
    }

    /// <summary>Waits (up to 15 s) for the sweeper's lease to be held by someone other than <paramref name="not"/>.</summary>
    private static async Task<(string Holder, DateTimeOffset ExpiresAt)> HolderAsync(CityOpsApp app, string? not)
    {
        for (var i = 0; ; i++)
        {
            using (var scope = app.Services.CreateScope())
            {
                var lease = await scope.ServiceProvider.GetRequiredService<CityOpsDb>().Leases.AsNoTracking().SingleOrDefaultAsync(l => l.Name == "deadline-sweeper");
                if (lease is not null && lease.Holder != not && lease.ExpiresAt > DateTimeOffset.UtcNow) return (lease.Holder, lease.ExpiresAt);
                if (i == 150) Assert.Fail($"the sweeper's lease is still {lease?.Holder ?? "not taken"} until {lease?.ExpiresAt:O}");
            }
            await Task.Delay(100);
        }
    }
}
