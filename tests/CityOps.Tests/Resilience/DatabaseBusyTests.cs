using System.Net;
using System.Net.Http.Json;
using CityOps.Server.Data;
using CityOps.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityOps.Tests.Resilience;

/// <summary>
/// When the database cannot take a report in time (its tables locked past the command timeout), the
/// client is told 503 with Retry-After in the door's own dialect, nothing is stored, and the same
/// report under the same key is taken once the database is free.
/// </summary>
public sealed class DatabaseBusyTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_report_the_database_cannot_take_in_time_gets_503_and_is_taken_when_retried(string db)
    {
        // Migrate and seed with the normal timeouts, then serve with a one-second one.
        var connection = await CityOpsApp.NewDatabaseAsync(db);
        await (await CityOpsApp.StartAsync(db, connection: connection)).DisposeAsync();
        var quick = db == Databases.Postgres
            ? new NpgsqlConnectionStringBuilder(connection) { CommandTimeout = 1 }.ConnectionString
            : new SqliteConnectionStringBuilder(connection) { DefaultTimeout = 1 }.ConnectionString;
        await using var app = await CityOpsApp.StartAsync(db, connection: quick);
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/open311/v2/services.json")).StatusCode);
        var marker = Guid.NewGuid().ToString("N");
        var form = Api.Report("C0106", Api.PointIn("350203"), $"井盖松动 {marker}");
        var at = Api.PointIn("350206"); // one point: two draws could pair a latitude and a longitude outside the city
        var native = new
        {
            category = "C0106", description = $"井盖缺失 {marker}",
            location = new { lat = at.Lat, lon = at.Lon, coordinateSystem = "WGS84" },
        };

        await using (var hold = await WriteHold.StartAsync(db, connection))
        {
            var open311 = await client.PostOpen311Async(form, idempotencyKey: "busy-" + marker);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, open311.StatusCode);
            Assert.NotNull(open311.Headers.RetryAfter);
            var errors = (await open311.JsonAsync()).AsArray();
            Assert.Equal(503, errors[0]!["code"]!.GetValue<int>());
            Assert.Contains("未保存", errors[0]!["description"]!.GetValue<string>(), StringComparison.Ordinal);

            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/reports") { Content = JsonContent.Create(native) };
            request.Headers.Add("X-Api-Key", "demo-wechat-key");
            request.Headers.Add("Idempotency-Key", "busy-native-" + marker);
            var api = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
            Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
            Assert.Equal(503, (await api.JsonAsync())["status"]!.GetValue<int>());

            // A burst while the database is held: the reports queue for the group commit and are written
            // together (on PostgreSQL in one statement), and every one of them is told to come back.
            var burst = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
                client.PostOpen311Async(Api.Report("C0106", Api.PointIn("350203"), $"井盖松动 {marker} {i}"), idempotencyKey: $"busy-{marker}-{i}")));
            Assert.All(burst, r => Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode));
        }

        using (var scope = app.Services.CreateScope())
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<CityOpsDb>().Reports.CountAsync(r => r.Description.Contains(marker)));

        // Free again: the retry under the same key is taken, once.
        Assert.Equal(HttpStatusCode.Created, (await client.PostOpen311Async(form, idempotencyKey: "busy-" + marker)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostOpen311Async(form, idempotencyKey: "busy-" + marker)).StatusCode);
        using (var scope = app.Services.CreateScope())
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<CityOpsDb>().Reports.CountAsync(r => r.Description.Contains(marker)));
    }

    /// <summary>
    /// PostgreSQL only: the time runs out while the batch's statement commits (a deferred trigger
    /// makes the commit slow). When the database answers the cancel, the server looks whether the
    /// batch was stored and says which. When it does not (here the client gives up at once, without
    /// waiting for that answer), the statement may yet commit, so the 503 says the report may have
    /// been stored, not that nothing was; the retry under the same key stores it once either way.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_commit_that_runs_out_of_time_is_answered_503_that_says_what_is_known(bool cancelAnswered)
    {
        if (Databases.PostgresConnection is null) Assert.Skip("CITYOPS_TEST_POSTGRES is not set");
        var connection = await CityOpsApp.NewDatabaseAsync(Databases.Postgres);
        await (await CityOpsApp.StartAsync(Databases.Postgres, connection: connection)).DisposeAsync();
        // Cancellation Timeout -1: on a timeout the client breaks the connection without waiting for the cancel's answer.
        var quick = new NpgsqlConnectionStringBuilder(connection) { CommandTimeout = 1, CancellationTimeout = cancelAnswered ? 2000 : -1 };
        await using var app = await CityOpsApp.StartAsync(Databases.Postgres, connection: quick.ConnectionString);
        var client = app.CreateClient();
        var marker = Guid.NewGuid().ToString("N");
        var form = Api.Report("C0106", Api.PointIn("350203"), $"井盖松动 {marker}");

        await using (var pg = new NpgsqlConnection(connection))
        {
            await pg.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$;
                CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON "Reports" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();
                """, pg);
            await cmd.ExecuteNonQueryAsync();
        }
        var answer = await client.PostOpen311Async(form, idempotencyKey: "commit-" + marker);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.NotNull(answer.Headers.RetryAfter);
        var description = (await answer.JsonAsync())[0]!["description"]!.GetValue<string>();
        if (cancelAnswered) Assert.Contains("未保存", description, StringComparison.Ordinal);
        else
        {
            Assert.Contains("可能已保存", description, StringComparison.Ordinal);
            Assert.DoesNotContain("未保存", description, StringComparison.Ordinal);
        }

        await using (var pg = new NpgsqlConnection(connection))
        {
            await pg.OpenAsync();
            await using var cmd = new NpgsqlCommand("""DROP TRIGGER slow_commit ON "Reports"; DROP FUNCTION slow_commit();""", pg);
            await cmd.ExecuteNonQueryAsync();
        }
        Assert.Equal(HttpStatusCode.Created, (await client.PostOpen311Async(form, idempotencyKey: "commit-" + marker)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostOpen311Async(form, idempotencyKey: "commit-" + marker)).StatusCode);
        using var scope = app.Services.CreateScope();
        Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<CityOpsDb>().Reports.CountAsync(r => r.Description.Contains(marker)));
    }
}
