using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Npgsql;

[assembly: AssemblyFixture(typeof(CityOps.Tests.Support.CreatedDatabases))]

namespace CityOps.Tests.Support;

/// <summary>
/// Every database the run created (<see cref="CityOpsApp.NewDatabaseAsync"/>), dropped once all
/// tests are done, so repeated runs against a developer's own PostgreSQL leave nothing behind.
/// Best effort: a database that cannot be dropped is named on stderr, never fails the run.
/// </summary>
public sealed class CreatedDatabases : IAsyncDisposable
{
    private static readonly ConcurrentBag<string> PostgresNames = [];
    private static readonly ConcurrentBag<string> SqliteFiles = [];

    public static void Postgres(string name) => PostgresNames.Add(name);

    public static void Sqlite(string file) => SqliteFiles.Add(file);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (Databases.PostgresConnection is { } admin && !PostgresNames.IsEmpty)
        {
            try
            {
                await using var connection = new NpgsqlConnection(admin);
                await connection.OpenAsync();
                foreach (var name in PostgresNames.Distinct())
                {
                    try
                    {
                        // WITH (FORCE): the shared servers still hold connections until the process ends.
                        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
                        await drop.ExecuteNonQueryAsync();
                    }
                    catch (NpgsqlException e)
                    {
                        await Console.Error.WriteLineAsync($"test database {name} not dropped: {e.Message}");
                    }
                }
            }
            catch (NpgsqlException e)
            {
                await Console.Error.WriteLineAsync($"test databases not dropped: {e.Message}");
            }
        }
        SqliteConnection.ClearAllPools();
        foreach (var file in SqliteFiles.Distinct())
            foreach (var path in new[] { file, file + "-wal", file + "-shm", file + ".migrate-lock" })
            {
                try
                {
                    File.Delete(path);
                }
                catch (IOException e)
                {
                    await Console.Error.WriteLineAsync($"test database {path} not deleted: {e.Message}");
                }
            }
    }
}
