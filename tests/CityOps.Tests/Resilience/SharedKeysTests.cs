using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Server.Data.Seeding;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Resilience;

/// <summary>Instances behind one load balancer share the key ring through the database, so a sign-in on one holds on the others.</summary>
public sealed class SharedKeysTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_token_and_a_cookie_issued_by_one_instance_are_accepted_by_another(string db)
    {
        await using var first = await CityOpsApp.StartAsync(db);
        await using var second = await CityOpsApp.StartAsync(db, connection: first.ConnectionString);
        var login = new { email = $"dispatcher@{UserSeed.DemoDomain}", password = UserSeed.DemoPassword };

        // A bearer token from the first instance, read by the second.
        var token = (await (await first.CreateClient().PostAsJsonAsync("/api/auth/login", login)).Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
        var other = second.CreateClient();
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var me = await other.GetAsync("/api/auth/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Contains("dispatcher", (await me.JsonAsync())["roles"]!.AsArray().Select(r => r!.GetValue<string>()));

        // The web app's cookie from the first instance opens a page on the second.
        var signIn = await first.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false }).PostAsJsonAsync("/api/auth/login?useCookies=true", login);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith("cityops=", StringComparison.Ordinal));
        var page = new HttpRequestMessage(HttpMethod.Get, "/cases") { Headers = { { "Cookie", cookie } } };
        var response = await second.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false }).SendAsync(page);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("data-testid=\"queue-pool\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The ring is in the database (no instance kept its own), and both instances use the same key.
        await using var scope = first.Services.CreateAsyncScope();
        var keys = await scope.ServiceProvider.GetRequiredService<CityOpsDb>().DataProtectionKeys.AsNoTracking().ToListAsync();
        Assert.Single(keys);
        Assert.Contains("<key id=", keys[0].Xml, StringComparison.Ordinal);
    }
}
