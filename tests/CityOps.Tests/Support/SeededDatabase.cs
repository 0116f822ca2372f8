using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CityOps.Tests.Support;

/// <summary>
/// New databases that are already migrated and seeded with the demo city: the server seeds one
/// template per database kind and test run (as a real process), and each new database is a copy
/// of it — a file copy on SQLite, <c>CREATE DATABASE … TEMPLATE</c> on PostgreSQL. For tests that
/// start several servers, where seeding each database would cost most of their time.
/// </summary>
public static class SeededDatabase
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Templates = new();

    /// <summary>The connection string of a new database holding the seeded demo city.</summary>
    public static async Task<string> NewAsync(string provider)
    {
        var template = await Templates.GetOrAdd(provider, p => new Lazy<Task<string>>(() => SeedTemplateAsync(p))).Value;
        var copy = await CityOpsApp.NewDatabaseAsync(provider);
        if (provider == Databases.Sqlite)
        {
            var from = new SqliteConnectionStringBuilder(template).DataSource;
            var to = new SqliteConnectionStringBuilder(copy).DataSource;
            File.Copy(from, to, overwrite: true);
            // The template's server was killed, so recent commits may still be in its write-ahead log.
            if (File.Exists(from + "-wal")) File.Copy(from + "-wal", to + "-wal", overwrite: true);
            await using var sqlite = new SqliteConnection(copy);
            await ForgetLeasesAsync(sqlite);
            return copy;
        }
        var name = new NpgsqlConnectionStringBuilder(copy).Database!;
        var templateName = new NpgsqlConnectionStringBuilder(template).Database!;
        await using var admin = new NpgsqlConnection(Databases.PostgresConnection);
        await admin.OpenAsync();
        await new NpgsqlCommand($"DROP DATABASE {name}", admin).ExecuteNonQueryAsync();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE {templateName}", admin).ExecuteNonQueryAsync();
                await using var postgres = new NpgsqlConnection(copy);
                await ForgetLeasesAsync(postgres);
                return copy;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 50)
            {
                await Task.Delay(200); // the killed template server's sessions are still closing
            }
        }
    }

    /// <summary>The template's server is gone: its leases (the deadline sweeper's) must not hold up the copy's servers.</summary>
    private static async Task ForgetLeasesAsync(System.Data.Common.DbConnection connection)
    {
        await connection.OpenAsync();
        await using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM \"Leases\"";
        await delete.ExecuteNonQueryAsync();
    }

    private static async Task<string> SeedTemplateAsync(string provider)
    {
        var connection = await CityOpsApp.NewDatabaseAsync(provider);
        await using var server = await ServerProcess.StartAsync(provider, connection, name: "template");
        server.Kill();
        return connection;
    }
}
