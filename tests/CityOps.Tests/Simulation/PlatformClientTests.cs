using System.Diagnostics;
using System.Net;
using CityOps.Server.Features.Simulation;

namespace CityOps.Tests.Simulation;

/// <summary>The simulator's HTTP door: failures counted by status, waits on 429/503, retries lost connections, signs in again on 401.</summary>
public sealed class PlatformClientTests
{
    /// <summary>Answers each request with the next scripted response (or 200 "{}" when the script is done) and records what came.</summary>
    private sealed class Script(params Func<HttpRequestMessage, HttpResponseMessage>[] steps) : HttpMessageHandler
    {
        private int _next = -1;
        public List<(string Path, long At, string? Auth)> Seen { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            lock (Seen) Seen.Add((request.RequestUri!.AbsolutePath, Stopwatch.GetTimestamp(), request.Headers.Authorization?.Parameter));
            var i = Interlocked.Increment(ref _next);
            return Task.FromResult(i < steps.Length ? steps[i](request) : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") });
        }
    }

    private static HttpResponseMessage Status(HttpStatusCode code, string body = "{}", TimeSpan? retryAfter = null)
    {
        var r = new HttpResponseMessage(code) { Content = new StringContent(body) };
        if (retryAfter is { } d) r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(d);
        return r;
    }

    [Fact]
    public async Task Busy_answers_are_counted_waited_out_and_hold_back_every_request()
    {
        var script = new Script(_ => Status(HttpStatusCode.TooManyRequests), _ => Status(HttpStatusCode.ServiceUnavailable, retryAfter: TimeSpan.FromSeconds(1)));
        var stats = new SimulationStats();
        using var client = new PlatformClient(new Uri("http://platform.test"), 4, stats, script);
        var clock = Stopwatch.StartNew();
        var first = await client.SendAsync("busy", () => new HttpRequestMessage(HttpMethod.Get, "/first"), null, TestContext.Current.CancellationToken);
        Assert.Equal(200, first.Status);
        // 429 with no Retry-After: about 250 ms; then 503 with Retry-After: 1 s.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.1), $"{clock.Elapsed}");
        Assert.Equal(1, stats.FailuresByStatus[429]);
        Assert.Equal(1, stats.FailuresByStatus[503]);
        Assert.Equal(2, stats.BackOffs);
        Assert.Equal(3, script.Seen.Count);

        // While one request waits out a 503, the others wait too.
        var shared = new Script(r => Status(HttpStatusCode.ServiceUnavailable, retryAfter: TimeSpan.FromSeconds(1)));
        using var second = new PlatformClient(new Uri("http://platform.test"), 4, new SimulationStats(), shared);
        var a = second.SendAsync("a", () => new HttpRequestMessage(HttpMethod.Get, "/a"), null, TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var b = second.SendAsync("b", () => new HttpRequestMessage(HttpMethod.Get, "/b"), null, TestContext.Current.CancellationToken);
        await Task.WhenAll(a, b);
        var firstA = shared.Seen.First(s => s.Path == "/a").At;
        var firstB = shared.Seen.First(s => s.Path == "/b").At;
        Assert.True(Stopwatch.GetElapsedTime(firstA, firstB) >= TimeSpan.FromSeconds(0.9), "b was sent during a's back-off");
    }

    [Fact]
    public async Task Refusals_are_counted_and_returned_lost_connections_retried()
    {
        var script = new Script(
            _ => Status(HttpStatusCode.Conflict, """{"title":"race"}"""),
            _ => throw new HttpRequestException("connection refused"),
            _ => Status(HttpStatusCode.Created, """{"ok":true}"""),
            _ => Status(HttpStatusCode.InternalServerError, "boom"));
        var stats = new SimulationStats();
        using var client = new PlatformClient(new Uri("http://platform.test"), 2, stats, script);
        var conflict = await client.SendAsync("claim", () => new HttpRequestMessage(HttpMethod.Post, "/x"), null, TestContext.Current.CancellationToken);
        Assert.Equal(409, conflict.Status);
        var retried = await client.SendAsync("report", () => new HttpRequestMessage(HttpMethod.Post, "/y"), null, TestContext.Current.CancellationToken);
        Assert.Equal(201, retried.Status);
        Assert.True(retried.Json()!["ok"]!.GetValue<bool>());
        var error = await client.SendAsync("close", () => new HttpRequestMessage(HttpMethod.Post, "/z"), null, TestContext.Current.CancellationToken);
        Assert.Equal(500, error.Status);
        Assert.Equal(new Dictionary<int, long> { [0] = 1, [409] = 1, [500] = 1 }, stats.FailuresByStatus.OrderBy(kv => kv.Key).ToDictionary());
        Assert.Equal(1, stats.FailuresByRequest["claim 409"]);
        Assert.Equal(1, stats.FailuresByRequest["report no answer"]);
        Assert.Contains("409×1", stats.FailuresText(), StringComparison.Ordinal);
        Assert.Contains("500×1", stats.Summary(TimeSpan.FromSeconds(1)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_token_is_renewed_once()
    {
        var logins = 0;
        var script = new Script(
            _ => Status(HttpStatusCode.OK, $$"""{"accessToken":"t{{++logins}}"}"""),
            _ => Status(HttpStatusCode.OK, """{"id":"u1"}"""),
            _ => Status(HttpStatusCode.Unauthorized),
            _ => Status(HttpStatusCode.OK, $$"""{"accessToken":"t{{++logins}}"}"""),
            _ => Status(HttpStatusCode.OK, """{"id":"u1"}"""),
            _ => Status(HttpStatusCode.OK, """{"state":"Closed"}"""));
        var stats = new SimulationStats();
        using var client = new PlatformClient(new Uri("http://platform.test"), 2, stats, script);
        var answer = await client.SendAsync("close", () => new HttpRequestMessage(HttpMethod.Post, "/api/cases/1/close"), "operator", TestContext.Current.CancellationToken);
        Assert.Equal(200, answer.Status);
        Assert.Equal(2, logins);
        Assert.Equal(["t1", "t2"], script.Seen.Where(s => s.Path == "/api/cases/1/close").Select(s => s.Auth).ToArray());
        Assert.Equal(1, stats.FailuresByStatus[401]);
    }
}
