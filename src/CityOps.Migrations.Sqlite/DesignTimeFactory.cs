using CityOps.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CityOps.Migrations.Sqlite;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model for Sqlite without starting the server.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<CityOpsDb>
{
    public CityOpsDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<CityOpsDb>();
        DatabaseSetup.Configure(options, "Sqlite", "Data Source=design-time.db");
        return new CityOpsDb(options.Options);
    }
}
