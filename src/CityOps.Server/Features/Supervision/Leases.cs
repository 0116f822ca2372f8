using CityOps.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Supervision;

/// <summary>
/// Database leases: at most one instance at a time holds a named lease, until it expires. Taken
/// with a conditional UPDATE (or the primary key on first use), so it works on both databases.
/// </summary>
public static class Leases
{
    public static async Task<bool> TryAcquireAsync(CityOpsDb db, string name, string holder, DateTimeOffset now, TimeSpan ttl, CancellationToken ct)
    {
        var until = now + ttl;
        var taken = await db.Leases.Where(l => l.Name == name && (l.Holder == holder || l.ExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, holder).SetProperty(l => l.ExpiresAt, until), ct);
        if (taken == 1) return true;
        if (await db.Leases.AnyAsync(l => l.Name == name, ct)) return false;
        try
        {
            db.Leases.Add(new Lease { Name = name, Holder = holder, ExpiresAt = until });
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return false; // another instance created it first
        }
    }

    /// <summary>Gives the lease up if this holder has it, so another instance takes it at its next try instead of when it runs out.</summary>
    public static Task<int> ReleaseAsync(CityOpsDb db, string name, string holder, DateTimeOffset now, CancellationToken ct) =>
        db.Leases.Where(l => l.Name == name && l.Holder == holder)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, now.AddTicks(-1)), ct);
}
