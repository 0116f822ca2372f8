using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Data;

/// <summary>
/// EF Core's migration lock on SQLite is a row in <c>__EFMigrationsLock</c>, deleted when migrating
/// ends. A process killed while holding it leaves the row behind, and every later start waits for
/// it forever. So on SQLite the server first takes an operating-system lock on a file beside the
/// database — which the system frees when the process dies, however it dies — and, holding it,
/// knows that no other server is migrating this database: a row still there was left by a process
/// that died, and is removed.
/// </summary>
public sealed class SqliteMigrationLock : IAsyncDisposable
{
    private readonly FileStream? _file;

    private SqliteMigrationLock(FileStream? file) => _file = file;

    public static async Task<SqliteMigrationLock> AcquireAsync(CityOpsDb db, ILogger log, CancellationToken ct)
    {
        var connection = new SqliteConnectionStringBuilder(db.Database.GetConnectionString());
        var source = connection.DataSource;
        if (string.IsNullOrEmpty(source) || source == ":memory:" || connection.Mode == SqliteOpenMode.Memory || source.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            return new SqliteMigrationLock(null); // in memory: one process by construction; a URI: no plain path to lock beside
        var path = Path.GetFullPath(source) + ".migrate-lock";
        var waiting = false;
        FileStream? file = null;
        while (file is null)
        {
            try
            {
                // FileShare.None: an exclusive lock (flock on Unix) that lasts as long as this process holds the stream.
                file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                if (!waiting) log.LogInformation("Another server is migrating {Database}; waiting for it", source);
                waiting = true;
                await Task.Delay(200, ct);
            }
        }
        var held = new SqliteMigrationLock(file);
        await held.RemoveLeftoverRowAsync(db, log, ct);
        return held;
    }

    private async Task RemoveLeftoverRowAsync(CityOpsDb db, ILogger log, CancellationToken ct)
    {
        try
        {
            var table = await db.Database.SqlQueryRaw<long>("SELECT COUNT(*) AS \"Value\" FROM sqlite_master WHERE type = 'table' AND name = '__EFMigrationsLock'").SingleAsync(ct);
            if (table == 0) return;
            var removed = await db.Database.ExecuteSqlRawAsync("DELETE FROM \"__EFMigrationsLock\"", ct);
            if (removed > 0) log.LogWarning("Removed a migration lock left by a server that ended while migrating");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        _file?.Dispose();
        return ValueTask.CompletedTask;
    }
}
