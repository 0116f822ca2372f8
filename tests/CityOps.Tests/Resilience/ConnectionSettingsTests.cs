using CityOps.Server.Data;
using Npgsql;

namespace CityOps.Tests.Resilience;

/// <summary>The server's PostgreSQL connection defaults, and that a connection string's own values win.</summary>
public sealed class ConnectionSettingsTests
{
    [Fact]
    public void The_server_adds_its_pool_and_prepare_defaults_only_where_the_connection_string_is_silent()
    {
        var plain = new NpgsqlConnectionStringBuilder(DatabaseSetup.WithAutoPrepare("Host=db;Username=cityops"));
        Assert.Equal(Math.Max(16, 8 * Environment.ProcessorCount), plain.MaxPoolSize);
        Assert.Equal(64, plain.MaxAutoPrepare);
        Assert.True(plain.NoResetOnClose);

        foreach (var given in new[] { "Maximum Pool Size=7", "MaxPoolSize=7" })
        {
            var b = new NpgsqlConnectionStringBuilder(DatabaseSetup.WithAutoPrepare($"Host=db;{given};Max Auto Prepare=3;No Reset On Close=false"));
            Assert.Equal(7, b.MaxPoolSize);
            Assert.Equal(3, b.MaxAutoPrepare);
            Assert.False(b.NoResetOnClose);
        }
    }
}
