using CityOps.Server.Data;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace CityOps.Tests.Resilience;

/// <summary>
/// The server migrates on start, and a start can be killed at any moment. Each migration must
/// therefore apply in one transaction, with its history row: a kill leaves it wholly applied or not
/// at all, never half done (which no later start could get past).
/// </summary>
public sealed class MigrationTests
{
    [Theory]
    [InlineData(Databases.Sqlite, "Data Source=:memory:")]
    [InlineData(Databases.Postgres, "Host=127.0.0.1;Database=unused")]
    public async Task Every_migration_applies_in_one_transaction(string provider, string connection)
    {
        var options = new DbContextOptionsBuilder<CityOpsDb>();
        DatabaseSetup.Configure(options, provider, connection);
        await using var db = new CityOpsDb(options.Options);
        var migrations = db.GetService<IMigrationsAssembly>();
        var generator = db.GetService<IMigrationsSqlGenerator>();
        var runtime = db.GetService<IModelRuntimeInitializer>();
        Assert.NotEmpty(migrations.Migrations);
        foreach (var (id, type) in migrations.Migrations)
        {
            var migration = migrations.CreateMigration(type, db.Database.ProviderName!);
            // As the migrator does: the migration's target model, finalised, for the SQL generator.
            IModel? model = migration.TargetModel;
            if (model is IMutableModel mutable) model = mutable.FinalizeModel();
            if (model is not null) model = runtime.Initialize(model);
            var commands = generator.Generate(migration.UpOperations, model);
            Assert.NotEmpty(commands);
            var outside = commands.Where(c => c.TransactionSuppressed).Select(c => c.CommandText.Trim()).ToList();
            Assert.True(outside.Count == 0, $"{id} runs outside a transaction: {string.Join(" | ", outside)}");
        }
    }
}
