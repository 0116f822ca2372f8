using System.Data.Common;
using System.Diagnostics;
using CityOps.Tests.Support;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CityOps.Tests.Resilience;

/// <summary>
/// Kills a starting server at the worst moment of its start: while it holds EF Core's migration
/// lock (on SQLite a row in __EFMigrationsLock, on PostgreSQL a table lock on the migrations history).
/// </summary>
public static class MigrationLock
{
    /// <summary>
    /// Launches the server, watches the database for the migration lock and kills the process the
    /// moment it is seen; tries up to <paramref name="tries"/> launches. Returns whether a kill landed
    /// while the lock was held. The server is left stopped.
    /// </summary>
    public static async Task<bool> KillWhileHeldAsync(ServerProcess server, int tries = 4)
    {
        await using DbConnection probe = server.Provider == Databases.Sqlite ? new SqliteConnection(server.Connection) : new NpgsqlConnection(server.Connection);
        await probe.OpenAsync();
        await using var held = probe.CreateCommand();
        held.CommandText = server.Provider == Databases.Sqlite
            ? "SELECT COUNT(*) FROM \"__EFMigrationsLock\"" // created by the first start
            : "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = '__EFMigrationsHistory' AND l.mode = 'AccessExclusiveLock' AND l.granted";
        for (var attempt = 0; attempt < tries; attempt++)
        {
            server.Launch();
            var watch = Stopwatch.StartNew();
            var lastHealthCheck = TimeSpan.Zero;
            // The lock is taken once per start, early, for a few milliseconds: poll as fast as the database answers.
            while (server.Running && watch.Elapsed < TimeSpan.FromSeconds(20))
            {
                if (Convert.ToInt64(await held.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0)
                {
                    server.Kill();
                    return true;
                }
                if (watch.Elapsed - lastHealthCheck > TimeSpan.FromMilliseconds(100))
                {
                    lastHealthCheck = watch.Elapsed;
                    if (await HealthyAsync(server)) break; // missed it: it is up already
                }
            }
            server.Kill();
        }
        return false;
    }

    private static async Task<bool> HealthyAsync(ServerProcess server)
    {
        try
        {
            using var http = server.Client(timeout: TimeSpan.FromMilliseconds(500));
            return (await http.GetStringAsync(new Uri("/health", UriKind.Relative))).Trim() == "Healthy";
        }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) { return false; }
    }
}
