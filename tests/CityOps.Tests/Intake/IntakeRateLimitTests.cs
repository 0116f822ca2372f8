using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CityOps.Server.Data;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Intake;

/// <summary>
/// Public intake is rate limited per channel key and client address: a burst past the limit gets 429
/// with Retry-After (the seconds left of the window) in its door's error format and stores nothing; other keys, channels with their own
/// limit and staff typing reports in are not held up; after the window the key is served again.
/// </summary>
public sealed class IntakeRateLimitTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_burst_past_the_limit_gets_429_and_stores_nothing_while_other_keys_go_on(string db)
    {
        const int limit = 3;
        await using var app = await CityOpsApp.StartAsync(db, new()
        {
            ["CityOps:Intake:RateLimit:Enabled"] = "true",
            ["CityOps:Intake:RateLimit:Window"] = "00:00:08",
            ["CityOps:Intake:RateLimit:PermitLimit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CityOps:Intake:RateLimit:Channels:hotline12345"] = "0", // the hotline gateway: not limited here
            ["CityOps:Intake:DuplicateRadiusMeters"] = "0",
        });
        var client = app.CreateClient();
        var marker = "限流测试-" + Guid.NewGuid().ToString("N")[..8];
        Dictionary<string, string> Form(string key, int i)
        {
            var form = Api.Report("E0103", Api.PointIn("350203"), $"{marker} {key} {i}");
            form["api_key"] = key;
            return form;
        }

        // A burst with the web form's key: the first `limit` are taken, then 429.
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++) answers.Add(await client.PostOpen311Async(Form("demo-web-key", i)));
        var statuses = answers.Select(a => (int)a.StatusCode).ToList();
        Assert.True(statuses.Take(limit).All(s => s == 201), string.Join(", ", statuses));
        Assert.Contains(429, statuses);
        Assert.True(statuses.Count(s => s == 201) <= 2 * limit && statuses.All(s => s is 201 or 429), string.Join(", ", statuses));
        var refused = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 8);
        var refusedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var errors = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(429, errors.Single()!["code"]!.GetValue<int>());
        Assert.Contains("频繁", errors.Single()!["description"]!.GetValue<string>(), StringComparison.Ordinal);

        // Still inside the window: the XML door answers in XML and in English when asked; the native door with the same key in ProblemDetails.
        using (var xml = new HttpRequestMessage(HttpMethod.Post, "/open311/v2/requests.xml") { Content = new FormUrlEncodedContent(Form("demo-web-key", 10)) })
        {
            xml.Headers.AcceptLanguage.ParseAdd("en");
            var response = await client.SendAsync(xml);
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.True(response.Headers.Contains("Retry-After"));
            var error = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("error")!;
            Assert.Equal("429", error.Element("code")!.Value);
            Assert.Contains("Too many reports", error.Element("description")!.Value, StringComparison.Ordinal);
        }
        var at = Api.PointIn("350203");
        var native = new { category = "E0103", description = $"{marker} native", location = new { lat = at.Lat, lon = at.Lon } };
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/reports") { Content = JsonContent.Create(native) })
        {
            request.Headers.Add("X-Api-Key", "demo-web-key");
            // Retry-After counts down to the end of the window, not the window's whole length each time.
            await Task.Delay(TimeSpan.FromSeconds(1.2));
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            var later = int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            var waited = System.Diagnostics.Stopwatch.GetElapsedTime(refusedAt).TotalSeconds;
            Assert.True(later <= retryAfter - 1 && later >= retryAfter - waited - 1, $"Retry-After {retryAfter} s, then {later} s {waited:0.0} s later");
            var problem = await response.JsonAsync();
            Assert.Equal(429, problem["status"]!.GetValue<int>());
            Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()));
        }

        // Another channel's key, a channel without a limit, and an operator typing a call in are not held up.
        Assert.Equal(HttpStatusCode.Created, (await client.PostOpen311Async(Form("demo-app-key", 0))).StatusCode);
        for (var i = 0; i < 2 * limit; i++)
            Assert.Equal(HttpStatusCode.Created, (await client.PostOpen311Async(Form("demo-hotline12345-key", i))).StatusCode);
        // A patrol gateway keeps its built-in limit (300 a window) when configuration only changes the citizens' one.
        for (var i = 0; i < 2 * limit; i++)
            Assert.Equal(HttpStatusCode.Created, (await client.PostOpen311Async(Form("demo-inspector-key", i))).StatusCode);
        var op = await app.SignInAsync("operator");
        var typed = new { channel = "web", category = "E0103", description = $"{marker} operator", location = new { lat = at.Lat, lon = at.Lon } };
        Assert.Equal(HttpStatusCode.Created, (await op.PostAsJsonAsync("/api/reports", typed)).StatusCode);

        // Refused reports left nothing: the stored ones are exactly the answered 201s.
        var taken = statuses.Count(s => s == 201) + 1 + 2 * limit + 2 * limit + 1;
        using (var scope = app.Services.CreateScope())
        {
            var stored = await scope.ServiceProvider.GetRequiredService<CityOpsDb>().Reports.CountAsync(r => r.Description.StartsWith(marker));
            Assert.Equal(taken, stored);
        }

        // After the window the same key is served again.
        await Task.Delay(TimeSpan.FromSeconds(retryAfter) + TimeSpan.FromMilliseconds(500));
        var again = await client.PostOpen311Async(Form("demo-web-key", 99));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }
}
