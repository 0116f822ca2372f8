using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
    private readonly TimeProvider? _time;
    private readonly Action<IServiceCollection>? _services;

    private CityOpsApp(string provider, string connection, Dictionary<string, string?> settings, TimeProvider? time, Action<IServiceCollection>? services)
    {
        (_provider, _connection, _settings, _time, _services) = (provider, connection, settings, time, services);
    }

    public string Provider => _provider;
    public string ConnectionString => _connection;

    /// <summary>The Kestrel address when started with <c>kestrel: true</c>.</summary>
    public Uri BaseUrl => new(Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal));

    public static Task<CityOpsApp> Shared(string provider) =>
        SharedApps.GetOrAdd(provider, p => new Lazy<Task<CityOpsApp>>(() => StartAsync(p))).Value;

    /// <summary>
    /// Starts a server on a new database, or on <paramref name="connection"/> (a second instance on the same one);
    /// <paramref name="services"/> adds to its services (e.g. a logger provider that watches for errors).
    /// </summary>
    public static async Task<CityOpsApp> StartAsync(string provider, Dictionary<string, string?>? settings = null, TimeProvider? time = null, string? connection = null, bool kestrel = false,
        Action<IServiceCollection>? services = null)
    {
        connection ??= await NewDatabaseAsync(provider);
        var app = new CityOpsApp(provider, connection, settings ?? [], time, services);
        if (kestrel)
        {
            // A real port, for a real browser.
            app.UseKestrel(0);
            app.StartServer();
        }
        else
        {
            _ = app.Server; // start now: migrate and seed
        }
        return app;
    }

    /// <summary>A new, empty database: a PostgreSQL database on CITYOPS_TEST_POSTGRES or a SQLite file; returns its connection string.</summary>
    public static async Task<string> NewDatabaseAsync(string provider)
    {
        var name = $"cityops_test_{Guid.NewGuid():N}"[..30];
        if (provider == Databases.Postgres)
        {
            var admin = Databases.PostgresConnection ?? throw new InvalidOperationException("CITYOPS_TEST_POSTGRES is not set.");
            await using (var conn = new NpgsqlConnection(admin))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            CreatedDatabases.Postgres(name);
            return new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 50 }.ConnectionString;
        }
        var folder = Path.Combine(Path.GetTempPath(), "cityops-tests");
        Directory.CreateDirectory(folder);
        CreatedDatabases.Sqlite(Path.Combine(folder, name + ".db"));
        return $"Data Source={Path.Combine(folder, name + ".db")};Default Timeout=30";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("CityOps:Database:Provider", _provider);
        builder.UseSetting("ConnectionStrings:CityOps", _connection);
        builder.UseSetting("CityOps:City:SeedDemo", "true");
        builder.UseSetting("CityOps:Attachments:Path", Path.Combine(Path.GetTempPath(), "cityops-tests", "attachments"));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // The suite posts hundreds of reports a minute with the demo web key; the rate-limit tests switch it back on.
        builder.UseSetting("CityOps:Intake:RateLimit:Enabled", "false");
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        if (_time is not null)
            builder.ConfigureServices(s =>
            {
                s.RemoveAll<TimeProvider>();
                s.AddSingleton(_time);
            });
        if (_services is not null) builder.ConfigureServices(_services);
    }
}
