using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CityOps.Server.Data.Seeding;
using CityOps.Tests.Support;

namespace CityOps.Tests.Access;

/// <summary>An administrator's edit of a user ends that user's bearer tokens and cookies: at once where it was made, soon on other instances.</summary>
public sealed class SignInRevocationTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task An_edit_of_a_user_ends_their_tokens_and_cookies_here_at_once_and_on_another_instance_within_the_recheck_interval(string db)
    {
        var settings = new Dictionary<string, string?> { ["CityOps:SignIn:RecheckInterval"] = "00:00:01" };
        await using var one = await CityOpsApp.StartAsync(db, settings);
        await using var two = await CityOpsApp.StartAsync(db, settings, connection: one.ConnectionString);
        var admin = await one.SignInAsync("admin");
        var bearer = await one.SignInAsync("inspector");
        var elsewhere = two.CreateClient();
        elsewhere.DefaultRequestHeaders.Authorization = bearer.DefaultRequestHeaders.Authorization;
        var cookie = one.CreateClient();
        var login = await cookie.PostAsJsonAsync("/api/auth/login?useCookies=true", new { email = $"inspector@{UserSeed.DemoDomain}", password = UserSeed.DemoPassword });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        foreach (var client in new[] { bearer, elsewhere, cookie })
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me")).StatusCode); // the other instance now knows the stamp

        // The inspector is moved to another district.
        var me = await (await bearer.GetAsync("/api/auth/me")).JsonAsync();
        var districts = (await (await admin.GetAsync("/api/areas?level=District")).JsonAsync()).AsArray();
        var other = districts.First(d => d!["id"]!.GetValue<int>() != me["areaId"]!.GetValue<int>())!["id"]!.GetValue<int>();
        var edited = await admin.PutAsJsonAsync($"/api/admin/users/{me["id"]!.GetValue<string>()}", new { areaId = other });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var at = Stopwatch.StartNew();

        // Here: the old token and the old cookie are refused at once, with how to sign in.
        var refused = await bearer.GetAsync("/api/auth/me");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.NotEmpty(refused.Headers.WwwAuthenticate);
        Assert.Equal(HttpStatusCode.Unauthorized, (await cookie.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/inbox")).StatusCode);

        // On the other instance, once the stamp it knew is older than the interval.
        HttpStatusCode status;
        do
        {
            status = (await elsewhere.GetAsync("/api/auth/me")).StatusCode;
            if (status == HttpStatusCode.OK) await Task.Delay(100);
        }
        while (status == HttpStatusCode.OK && at.Elapsed < TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.Unauthorized, status);

        // Signed in again, the inspector works from the new district on both instances.
        var again = await one.SignInAsync("inspector");
        Assert.Equal(other, (await (await again.GetAsync("/api/auth/me")).JsonAsync())["areaId"]!.GetValue<int>());
        var againElsewhere = two.CreateClient();
        againElsewhere.DefaultRequestHeaders.Authorization = again.DefaultRequestHeaders.Authorization;
        Assert.Equal(HttpStatusCode.OK, (await againElsewhere.GetAsync("/api/auth/me")).StatusCode);
        // Other users' tokens are untouched.
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/auth/me")).StatusCode);

        // A user who changes their password ends their other sign-ins here at once, too (Identity changes the stamp).
        var phone = await one.SignInAsync("handler");
        var desk = await one.SignInAsync("handler");
        Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync("/api/auth/me")).StatusCode);
        var changed = await desk.PostAsJsonAsync("/api/auth/manage/info", new { oldPassword = UserSeed.DemoPassword, newPassword = "Another-Passw0rd!" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.GetAsync("/api/auth/me")).StatusCode);
    }
}
