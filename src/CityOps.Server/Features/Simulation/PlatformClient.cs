using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Data.Seeding;

namespace CityOps.Server.Features.Simulation;

/// <summary>A signed-in demo account: its bearer token and who it is.</summary>
public sealed record Session(string Login, string Token, string UserId);

/// <summary>The platform's answer: status and body (status 0: no answer at all).</summary>
public readonly record struct Answer(int Status, string Body)
{
    public bool Ok => Status is >= 200 and < 300;

    public JsonNode? Json()
    {
        try { return JsonNode.Parse(Body); }
        catch (System.Text.Json.JsonException) { return null; }
    }
}

/// <summary>
/// The simulator's only door to the platform: HTTP, as any outside client — channel keys for
/// reports, demo accounts' bearer tokens for moves. At most <c>concurrency</c> requests at once;
/// every answer that is not a success is counted by status; on 429 or 503 every request waits
/// (Retry-After, else an exponential back-off) and the request is tried again.
/// </summary>
public sealed class PlatformClient : IDisposable
{
    private const int MaxBusyRetries = 12;
    private const int MaxNetworkRetries = 3;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _gate;
    private readonly SimulationStats _stats;
    private readonly ConcurrentDictionary<string, Lazy<Task<Session>>> _sessions = new(StringComparer.Ordinal);
    private long _pausedUntil; // Stopwatch timestamp

    public PlatformClient(Uri baseUrl, int concurrency, SimulationStats stats, HttpMessageHandler? handler = null)
    {
        _stats = stats;
        _gate = new SemaphoreSlim(Math.Max(1, concurrency));
        // A handler passed in stays its owner's (tests, a shared handler); one made here is disposed with the client.
        var own = handler is null;
        handler ??= new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(4, concurrency * 2),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            UseCookies = false,
            UseProxy = false,
        };
        _http = new HttpClient(handler, disposeHandler: own) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseUrl => _http.BaseAddress!;

    /// <summary>Signs a demo account in once (<c>{login}@demo.cityops</c>) and keeps the token.</summary>
    public Task<Session> SessionAsync(string login, CancellationToken ct)
    {
        var lazy = _sessions.GetOrAdd(login, l => new Lazy<Task<Session>>(() => SignInAsync(l, ct)));
        var task = lazy.Value;
        // A failed sign-in is tried again by the next caller.
        if (task.IsFaulted || task.IsCanceled) _sessions.TryRemove(new KeyValuePair<string, Lazy<Task<Session>>>(login, lazy));
        return task;
    }

    private async Task<Session> SignInAsync(string login, CancellationToken ct)
    {
        var answer = await SendAsync("login", () => new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
        {
            Content = JsonContent.Create(new { email = $"{login}@{UserSeed.DemoDomain}", password = UserSeed.DemoPassword }),
        }, null, ct);
        var token = answer.Ok ? answer.Json()?["accessToken"]?.GetValue<string>() : null;
        if (token is null) throw new SimulationException($"Cannot sign in as {login}@{UserSeed.DemoDomain}: {answer.Status} {Trim(answer.Body)}");
        var me = await SendAsync("me", () => Authorised(new HttpRequestMessage(HttpMethod.Get, "/api/auth/me"), token), null, ct);
        var id = me.Ok ? me.Json()?["id"]?.GetValue<string>() : null;
        if (id is null) throw new SimulationException($"GET /api/auth/me as {login}: {me.Status} {Trim(me.Body)}");
        _stats.SignedIn();
        return new Session(login, token, id);
    }

    /// <summary>
    /// Sends a request built afresh for each try (with <paramref name="login"/>'s token when given):
    /// waits out 429/503, retries lost connections, signs in again once on 401.
    /// </summary>
    public async Task<Answer> SendAsync(string what, Func<HttpRequestMessage> build, string? login, CancellationToken ct)
    {
        var busy = 0;
        var lost = 0;
        var renewed = false;
        while (true)
        {
            await WaitOutPauseAsync(ct);
            var session = login is null ? null : await SessionAsync(login, ct);
            using var request = build();
            if (session is not null) Authorised(request, session.Token);
            Answer answer;
            TimeSpan? retryAfter = null;
            await _gate.WaitAsync(ct);
            try
            {
                using var response = await _http.SendAsync(request, ct);
                answer = new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
                retryAfter = response.Headers.RetryAfter is { } ra ? ra.Delta ?? (ra.Date - DateTimeOffset.UtcNow) : null;
            }
            catch (HttpRequestException ex)
            {
                answer = new Answer(0, ex.Message);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                answer = new Answer(0, "timed out");
            }
            finally
            {
                _gate.Release();
            }
            if (answer.Ok) return answer;
            _stats.Failed(what, answer.Status, answer.Body);
            if (answer.Status is 429 or 503 && busy++ < MaxBusyRetries)
            {
                _stats.BackedOff();
                Pause(retryAfter is { } d && d > TimeSpan.Zero ? d : TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, busy - 1)) * (0.75 + Random.Shared.NextDouble() / 2)));
                continue;
            }
            if (answer.Status == 0 && lost++ < MaxNetworkRetries)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * lost), ct);
                continue;
            }
            if (answer.Status == 401 && login is not null && !renewed)
            {
                renewed = true;
                _sessions.TryRemove(login, out _);
                continue;
            }
            return answer;
        }
    }

    private void Pause(TimeSpan delay)
    {
        var until = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        long seen;
        do
        {
            seen = Interlocked.Read(ref _pausedUntil);
            if (seen >= until) return;
        }
        while (Interlocked.CompareExchange(ref _pausedUntil, until, seen) != seen);
    }

    private async Task WaitOutPauseAsync(CancellationToken ct)
    {
        while (Interlocked.Read(ref _pausedUntil) is var until && until > Stopwatch.GetTimestamp())
            await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), until), ct);
    }

    private static HttpRequestMessage Authorised(HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    internal static string Trim(string s) => s.Length > 300 ? s[..300] + "…" : s;

    public void Dispose()
    {
        _http.Dispose();
        _gate.Dispose();
    }
}

/// <summary>The platform cannot be simulated against (unreachable, no demo accounts, no grid).</summary>
public sealed class SimulationException(string message) : Exception(message);
