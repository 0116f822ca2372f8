using Microsoft.Data.Sqlite;
using Npgsql;

namespace CityOps.Tests.Support;

/// <summary>Holds off a database's writes for a test, until disposed.</summary>
public static class WriteHold
{
    /// <summary>
    /// PostgreSQL: a transaction locking <c>Cases</c> in EXCLUSIVE mode, which lets reads through.
    /// SQLite: the file's write lock (BEGIN IMMEDIATE).
    /// </summary>
    public static async Task<IAsyncDisposable> StartAsync(string db, string connection)
    {
        if (db == Databases.Postgres)
        {
            var pg = new NpgsqlConnection(connection);
            await pg.OpenAsync();
            var tx = await pg.BeginTransactionAsync();
            await using (var cmd = new NpgsqlCommand("LOCK TABLE \"Cases\" IN EXCLUSIVE MODE", pg, tx)) await cmd.ExecuteNonQueryAsync();
            return new Held(async () => { await tx.RollbackAsync(); await pg.DisposeAsync(); });
        }
        var lite = new SqliteConnection(connection);
        await lite.OpenAsync();
        await using (var cmd = new SqliteCommand("BEGIN IMMEDIATE", lite)) await cmd.ExecuteNonQueryAsync();
        return new Held(async () => { await using (var cmd = new SqliteCommand("ROLLBACK", lite)) await cmd.ExecuteNonQueryAsync(); await lite.DisposeAsync(); });
    }

    private sealed class Held(Func<Task> release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await release();
    }
}
