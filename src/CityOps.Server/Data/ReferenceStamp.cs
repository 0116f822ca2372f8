using System.Collections.Frozen;
using CityOps.Server.Features.Categories;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Intake;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Units;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace CityOps.Server.Data;

/// <summary>
/// One row whose value changes in the same transaction as every edit of the reference data
/// (<see cref="ReferenceData"/>'s tables), so an instance learns with one tiny query whether the
/// copy it holds is still current.
/// </summary>
public sealed class ReferenceStamp
{
    public const int RowId = 1;
    public int Id { get; set; }
    public long Value { get; set; }

    /// <summary>The tables <see cref="ReferenceDataCache"/> reads.</summary>
    private static readonly FrozenSet<Type> Tables =
        new[] { typeof(Area), typeof(CategoryMajor), typeof(Category), typeof(RegistrationCondition), typeof(Unit), typeof(RoutingRule), typeof(Channel) }.ToFrozenSet();

    /// <summary>
    /// Called before SaveChanges: when a row of the reference data is added, changed or removed,
    /// the stamp's row is given a new value in the same save.
    /// </summary>
    internal static void Touch(ChangeTracker tracker)
    {
        EntityEntry<ReferenceStamp>? stamp = null;
        var edited = false;
        foreach (var entry in tracker.Entries())
        {
            if (entry.Entity is ReferenceStamp) stamp = entry.Context.Entry((ReferenceStamp)entry.Entity);
            else if (entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted && Tables.Contains(entry.Metadata.ClrType)) edited = true;
        }
        if (!edited) return;
        stamp ??= tracker.Context.Attach(new ReferenceStamp { Id = RowId });
        stamp.Property(s => s.Value).CurrentValue = Random.Shared.NextInt64(1, long.MaxValue);
        stamp.Property(s => s.Value).IsModified = true;
    }

    /// <summary>
    /// Whether a save failed only because the stamp's row is gone (deleted by hand). Nothing of the
    /// failed save was committed; <see cref="Reinsert"/> turns the stamp's update into an insert, and
    /// the caller saves again.
    /// </summary>
    internal static bool IsMissing(DbUpdateConcurrencyException ex) =>
        ex.Entries is [{ Entity: ReferenceStamp, State: EntityState.Modified }];

    internal static void Reinsert(DbUpdateConcurrencyException ex) => ex.Entries[0].State = EntityState.Added;

    /// <summary>The stamp now (0 on a database that has never had it).</summary>
    public static async Task<long> ReadAsync(CityOpsDb db, CancellationToken ct) =>
        await db.ReferenceStamps.AsNoTracking().Where(s => s.Id == RowId).Select(s => s.Value).FirstOrDefaultAsync(ct);
}
