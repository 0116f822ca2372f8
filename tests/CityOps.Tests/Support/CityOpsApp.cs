using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace CityOps.Tests.Support;

/// <summary>
/// The real server (Program) over HTTP on a real database, seeded with the demo city.
/// One shared instance per database for the whole run (<see cref="Shared"/>); tests that change
/// reference data start their own with <see cref="StartAsync"/>.
/// </summary>
public sealed class CityOpsApp : WebApplicationFactory<Program>
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<CityOpsApp>>> SharedApps = new();
    private readonly string _provider;
    private readonly string _connection;
    private readonly Dictionary<string, string?> _settings;

    private CityOpsApp(string provider, string connection, Dictionary<string, string?> settings)
    {
        (_provider, _connection, _settings) = (provider, connection, settings);
    }

    public string Provider => _provider;
    public string ConnectionString => _connection;

    public static Task<CityOpsApp> Shared(string provider) =>
        SharedApps.GetOrAdd(provider, p => new Lazy<Task<CityOpsApp>>(() => StartAsync(p))).Value;

    public static async Task<CityOpsApp> StartAsync(string provider, Dictionary<string, string?>? settings = null)
    {
        var name = $"cityops_test_{Guid.NewGuid():N}"[..30];
        string connection;
        if (provider == Databases.Postgres)
        {
            var admin = Databases.PostgresConnection ?? throw new InvalidOperationException("CITYOPS_TEST_POSTGRES is not set.");
            await using (var conn = new NpgsqlConnection(admin))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            connection = new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 50 }.ConnectionString;
        }
        else
        {
            var folder = Path.Combine(Path.GetTempPath(), "cityops-tests");
            Directory.CreateDirectory(folder);
            connection = $"Data Source={Path.Combine(folder, name + ".db")};Default Timeout=30";
        }
        var app = new CityOpsApp(provider, connection, settings ?? []);
        _ = app.Server; // start now: migrate and seed
        return app;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("CityOps:Database:Provider", _provider);
        builder.UseSetting("ConnectionStrings:CityOps", _connection);
        builder.UseSetting("CityOps:City:SeedDemo", "true");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
    }
}
