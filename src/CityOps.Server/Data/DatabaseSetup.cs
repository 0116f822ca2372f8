using System.Runtime.Loader;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Data;

public sealed class DatabaseOptions
{
    /// <summary>Sqlite (default, a file under ./data/) or Postgres.</summary>
    public string Provider { get; set; } = "Sqlite";
    public bool MigrateOnStart { get; set; } = true;
}

/// <summary>Provider selection and start-up migration.</summary>
public static class DatabaseSetup
{
    public const string SqliteMigrations = "CityOps.Migrations.Sqlite";
    public const string PostgresMigrations = "CityOps.Migrations.Postgres";

    public static void AddDatabase(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("CityOps:Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        builder.Services.AddSingleton(options);
        var connection = builder.Configuration.GetConnectionString("CityOps")
            ?? throw new InvalidOperationException("ConnectionStrings:CityOps is not set.");
        builder.Services.AddDbContextPool<CityOpsDb>(o => Configure(o, options.Provider, connection));
        // Registered before the web server's own hosted service, so it finishes before the first request.
        builder.Services.AddHostedService<DatabaseInitializer>();
    }

    public static void Configure(DbContextOptionsBuilder o, string provider, string connection)
    {
        // Unordered Take is deliberate where any match will do (duplicate search).
        o.ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.RowLimitingOperationWithoutOrderByWarning));
        if (provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase) || provider.Equals("PostgreSQL", StringComparison.OrdinalIgnoreCase))
        {
            LoadMigrations(PostgresMigrations);
            o.UseNpgsql(WithAutoPrepare(connection), n => n.MigrationsAssembly(PostgresMigrations));
        }
        else if (provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            EnsureSqliteFolder(connection);
            LoadMigrations(SqliteMigrations);
            o.UseSqlite(connection, s => s.MigrationsAssembly(SqliteMigrations));
        }
        else
        {
            throw new InvalidOperationException($"CityOps:Database:Provider '{provider}' is not supported (Sqlite or Postgres).");
        }
    }

    // The same few statements run on every request; prepared once per connection, PostgreSQL
    // skips parsing and planning them. The app keeps no session state, so a pooled connection need
    // not be reset (DISCARD ALL) each time EF closes it. The pool is kept to a few connections per
    // core: past that, more requests at once only queue inside PostgreSQL and cost throughput
    // (an overloaded server then keeps its closed-loop rate instead of dropping a fifth below it);
    // the others wait their turn for a connection. A connection string's own values win.
    internal static string WithAutoPrepare(string connection)
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(connection);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connection }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!given.Contains("MaxAutoPrepare")) b.MaxAutoPrepare = 64;
        if (!given.Contains("NoResetOnClose")) b.NoResetOnClose = true;
        if (!given.Overlaps(["MaximumPoolSize", "MaxPoolSize"])) b.MaxPoolSize = DefaultPoolSize;
        return b.ConnectionString;
    }

    /// <summary>Connections per server when the connection string names none: eight per core, at least 16.</summary>
    public static int DefaultPoolSize => Math.Max(16, 8 * Environment.ProcessorCount);

    private static void EnsureSqliteFolder(string connection)
    {
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connection);
        var folder = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(folder) && builder.DataSource != ":memory:") Directory.CreateDirectory(folder);
    }

    // The migrations assemblies sit beside the server but are not compile-time references of it
    // (they reference the server), so they are not in the dependency manifest: load them by path.
    private static void LoadMigrations(string name)
    {
        if (AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == name)) return;
        var path = Path.Combine(AppContext.BaseDirectory, name + ".dll");
        if (!File.Exists(path))
            throw new InvalidOperationException($"{name}.dll is missing beside the server; build the solution or the server project.");
        lock (Resolver)
        {
            if (AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == name)) return;
            AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        }
    }

    private static readonly object Resolver = InstallResolver();

    private static object InstallResolver()
    {
        AssemblyLoadContext.Default.Resolving += (ctx, name) =>
            name.Name is SqliteMigrations or PostgresMigrations
                ? ctx.LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, name.Name + ".dll"))
                : null;
        return new object();
    }

}

/// <summary>Applies migrations and seeds reference data when the host starts.</summary>
public sealed class DatabaseInitializer(IServiceProvider services, DatabaseOptions options, ILogger<DatabaseInitializer> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        if (options.MigrateOnStart)
        {
            if (db.IsSqlite)
            {
                // WAL lets readers run beside the single writer.
                await db.Database.OpenConnectionAsync(cancellationToken);
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
                await db.Database.CloseConnectionAsync();
                // EF Core's own lock on SQLite outlives a killed process; see SqliteMigrationLock.
                await using var held = await SqliteMigrationLock.AcquireAsync(db, log, cancellationToken);
                await db.Database.MigrateAsync(cancellationToken);
            }
            else
            {
                await db.Database.MigrateAsync(cancellationToken);
            }
        }
        await scope.ServiceProvider.GetRequiredService<Seeding.ReferenceDataSeeder>().SeedAsync(db, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
