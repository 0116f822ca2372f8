using System.Text;
using CityOps.Tests.Support;

namespace CityOps.Tests.Resilience;

/// <summary>A server started from a folder other than its own (a service manager's default, a script elsewhere).</summary>
public sealed class StartFolderTests
{
    [Fact]
    public async Task A_server_started_from_another_folder_reads_its_own_settings()
    {
        var elsewhere = Directory.CreateTempSubdirectory("cityops-elsewhere-").FullName;
        try
        {
            // Information for every category the settings files say nothing of: the request log
            // (Microsoft.AspNetCore) shows only if appsettings.json, which holds it at Warning, went unread.
            await using var server = await ServerProcess.StartAsync(Databases.Sqlite, await SeededDatabase.NewAsync(Databases.Sqlite),
                new() { ["Logging:LogLevel:Default"] = "Information" }, name: "elsewhere", workingDirectory: elsewhere);
            using var client = server.Client();
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync(new Uri("/open311/v2/services.json", UriKind.Relative))).StatusCode);
            // Then a request the server's own log notes at Information: once its line is out, the first request's would be too.
            using var broken = new StringContent("{not json", Encoding.UTF8, "application/json");
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await client.PostAsync(new Uri("/api/auth/login", UriKind.Relative), broken)).StatusCode);
            for (var i = 0; i < 100 && !server.Lines.Any(l => l.Contains("Request rejected with 400", StringComparison.Ordinal)); i++) await Task.Delay(100);

            Assert.Contains(server.Lines, l => l.Contains("Request rejected with 400", StringComparison.Ordinal));
            Assert.DoesNotContain(server.Lines, l => l.Contains("Microsoft.AspNetCore.Hosting.Diagnostics", StringComparison.Ordinal));
            Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }
}
