using CityOps.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CityOps.Migrations.Postgres;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model for Postgres without starting the server.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<CityOpsDb>
{
    public CityOpsDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<CityOpsDb>();
        DatabaseSetup.Configure(options, "Postgres", "Host=localhost;Database=cityops_design;Username=postgres");
        return new CityOpsDb(options.Options);
    }
}
