using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using CityOps.Tests.Support;

namespace CityOps.Tests.Resilience;

/// <summary>
/// How hard and how long the crash test pushes: a handful of kills in CI, as many as wanted from the
/// environment (CITYOPS_CRASH_KILLS, CITYOPS_CRASH_SECONDS, CITYOPS_CRASH_CLIENTS, CITYOPS_CRASH_SEED).
/// </summary>
public sealed record CrashSettings(int Kills, double Seconds, int IntakeClients, int Drivers, int Seed)
{
    public static CrashSettings FromEnvironment()
    {
        static int Int(string name, int fallback) =>
            int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;
        var clients = Int("CITYOPS_CRASH_CLIENTS", 4);
        return new CrashSettings(
            Kills: Int("CITYOPS_CRASH_KILLS", 4),
            Seconds: Int("CITYOPS_CRASH_SECONDS", 6),
            IntakeClients: clients,
            Drivers: Math.Max(1, clients - 1),
            Seed: Int("CITYOPS_CRASH_SEED", Random.Shared.Next(1, int.MaxValue)));
    }
}

/// <summary>One request as the client knows it: what it sent, how often, and what it was told.</summary>
public abstract class Sent
{
    public required string Key { get; init; }
    public int Attempts { get; set; }
    /// <summary>Attempts that got no answer at all: the connection was refused, cut or timed out.</summary>
    public int Unanswered { get; set; }
    public DateTimeOffset FinalAttemptAt { get; set; }
    public bool Acknowledged { get; set; }
    public string? Failure { get; set; }
}

/// <summary>An Open311 report with a marker of its own in the description.</summary>
public sealed class SentReport : Sent
{
    public required string Marker { get; init; }
    public long CaseId { get; set; }
}

/// <summary>A move of the closed loop on one case.</summary>
public sealed class SentMove : Sent
{
    public required long CaseId { get; init; }
    public required string Action { get; init; }
    public bool Replayed { get; set; }
}

/// <summary>
/// Steady load on a server that is being killed: intake clients post Open311 reports, drivers take
/// cases round the loop. Every request carries its own Idempotency-Key; one that got no answer (or
/// a 5xx) is sent again with the same key and content until it is answered, as a real client would.
/// </summary>
public sealed class CrashLoad(ServerProcess server, CrashSettings settings, string tag)
{
    // 路灯井盖: auto-dispatched to the municipal roads division (department@, handler@). Drivers only.
    private const string DriverCategory = "C0106";
    // Intake clients use other categories, so a report can never merge into a case a driver moves.
    private static readonly string[] IntakeCategories = ["E0103", "E0116", "C0101"];
    private static readonly string[] Districts = ["350203", "350206", "350205", "350211"];

    private readonly ConcurrentQueue<SentReport> _reports = new();
    private readonly ConcurrentQueue<SentMove> _moves = new();
    private readonly ConcurrentQueue<string> _serverErrors = new();
    private readonly ConcurrentQueue<long> _drivenCases = new();
    private readonly ConcurrentQueue<(double Lon, double Lat)> _driverPoints = new(DistinctPoints());
    private int _inFlight;
    private DateTime _giveUpAt = DateTime.MaxValue;

    public IReadOnlyCollection<SentReport> Reports => _reports;
    public IReadOnlyCollection<SentMove> Moves => _moves;
    public IReadOnlyCollection<string> ServerErrors => _serverErrors;
    public IReadOnlyCollection<long> DrivenCases => _drivenCases;
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Reports and moves acknowledged so far.</summary>
    public int Acknowledged => _reports.Count(r => r.Acknowledged) + MovesAcknowledged;

    public int MovesAcknowledged => _moves.Count(m => m.Acknowledged);

    /// <summary>
    /// Waits until the load has got as far as <paramref name="reached"/> says (so a kill never falls
    /// before a (re)started server has done any work, however slow the machine); false if it has
    /// not within <paramref name="within"/>.
    /// </summary>
    public static async Task<bool> ProgressAsync(Func<bool> reached, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (!reached())
        {
            if (DateTime.UtcNow > until) return false;
            await Task.Delay(20);
        }
        return true;
    }

    /// <summary>Runs until <paramref name="stop"/>; then every client finishes what it has begun (retrying up to <paramref name="finishWithin"/>).</summary>
    public async Task RunAsync(Tokens tokens, TimeSpan finishWithin, CancellationToken stop)
    {
        using var registration = stop.Register(() => _giveUpAt = DateTime.UtcNow + finishWithin);
        var clients = Enumerable.Range(0, settings.IntakeClients).Select(i => Task.Run(() => IntakeClientAsync(i, stop)))
            .Concat(Enumerable.Range(0, settings.Drivers).Select(i => Task.Run(() => DriverAsync(i, tokens, stop))));
        await Task.WhenAll(clients);
    }

    /// <summary>Tokens of the demo accounts the drivers act as (bearer tokens outlive a restart).</summary>
    public sealed record Tokens(string Operator, string Department, string Handler, string HandlerId);

    private async Task IntakeClientAsync(int client, CancellationToken stop)
    {
        using var http = server.Client();
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var category = IntakeCategories[Random.Shared.Next(IntakeCategories.Length)];
            await ReportAsync(http, category, Api.PointIn(Districts[Random.Shared.Next(Districts.Length)]), $"i{client}-{n}");
        }
    }

    private async Task<SentReport> ReportAsync(HttpClient http, string category, (double Lon, double Lat) at, string name)
    {
        var sent = new SentReport { Key = Guid.NewGuid().ToString("N"), Marker = $"{tag}-{name}" };
        _reports.Enqueue(sent);
        var form = Api.Report(category, at, "崩溃测试上报 " + sent.Marker);
        using var response = await UntilAnsweredAsync(sent, () => http.PostOpen311Async(form, idempotencyKey: sent.Key));
        if (response is null) return sent;
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
        {
            sent.Failure = $"{(int)response.StatusCode} {body}";
            return sent;
        }
        sent.CaseId = long.Parse(JsonNode.Parse(body)![0]!["service_request_id"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        sent.Acknowledged = true;
        return sent;
    }

    private async Task DriverAsync(int driver, Tokens tokens, CancellationToken stop)
    {
        using var op = server.Client(tokens.Operator);
        using var unit = server.Client(tokens.Department);
        using var handler = server.Client(tokens.Handler);
        for (var n = 0; !stop.IsCancellationRequested && _driverPoints.TryDequeue(out var at); n++)
        {
            var report = await ReportAsync(op, DriverCategory, at, $"d{driver}-{n}");
            if (!report.Acknowledged) return;
            _drivenCases.Enqueue(report.CaseId);
            var id = report.CaseId;
            var steps = new (HttpClient Who, string Action, Func<Task<object>> Body, string State)[]
            {
                (op, "claim", () => Task.FromResult<object>(new { }), "Reported"),
                (op, "register", () => Task.FromResult<object>(new { condition = "02" }), "Dispatched"),
                (unit, "assign", () => Task.FromResult<object>(new { userId = tokens.HandlerId }), "Handling"),
                (handler, "submit", async () => new { notes = "已处理 " + report.Marker, attachments = new[] { await UploadAsync(handler) } }, "Handled"),
                (unit, "confirm", () => Task.FromResult<object>(new { }), "Feedback"),
                (op, "close", () => Task.FromResult<object>(new { closingConditionMet = true }), "Closed"),
                (op, "callback", () => Task.FromResult<object>(new { reached = true, satisfaction = "Satisfied", effective = true }), "Closed"),
            };
            foreach (var (who, action, makeBody, state) in steps)
            {
                // Once told to stop, a driver finishes the move it is on but starts no other.
                if (stop.IsCancellationRequested) return;
                var body = await makeBody();
                var move = new SentMove { Key = Guid.NewGuid().ToString("N"), CaseId = id, Action = action };
                _moves.Enqueue(move);
                using var response = await UntilAnsweredAsync(move, () => who.MoveAsync(id, action, body, move.Key));
                if (response is null) return;
                var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    move.Failure = $"{(int)response.StatusCode} {text}";
                    return;
                }
                move.Acknowledged = true;
                move.Replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var r) && r.Contains("true");
                var now = JsonNode.Parse(text)!["state"]!.GetValue<string>();
                if (now != state)
                {
                    move.Failure = $"{action} answered state {now}, expected {state}";
                    return;
                }
            }
        }
    }

    /// <summary>Evidence for a submit: content-addressed, so a repeated upload is harmless.</summary>
    private async Task<string> UploadAsync(HttpClient handler)
    {
        var photo = Loop.Photo();
        var upload = new SentMove { Key = "upload", CaseId = 0, Action = "upload" };
        using var response = await UntilAnsweredAsync(upload, () =>
        {
            var content = new ByteArrayContent(photo);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
            return handler.PostAsync(new Uri("/api/attachments", UriKind.Relative), content);
        }) ?? throw new TimeoutException("upload not answered");
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"upload refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.JsonAsync())["sha256"]!.GetValue<string>();
    }

    /// <summary>
    /// Sends until the server answers with anything but a 5xx; returns null if the clients have to give
    /// up (the run is over and it still has no answer). No answer and 5xx are retried with the same key.
    /// </summary>
    private async Task<HttpResponseMessage?> UntilAnsweredAsync(Sent sent, Func<Task<HttpResponseMessage>> send)
    {
        var pause = 50;
        while (true)
        {
            if (DateTime.UtcNow > _giveUpAt)
            {
                sent.Failure ??= $"no answer after {sent.Attempts} attempts";
                return null;
            }
            sent.Attempts++;
            var at = DateTimeOffset.UtcNow;
            Interlocked.Increment(ref _inFlight);
            try
            {
                var response = await send();
                if ((int)response.StatusCode < 500)
                {
                    sent.FinalAttemptAt = at;
                    return response;
                }
                _serverErrors.Enqueue($"{sent.GetType().Name} {sent.Key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                response.Dispose();
            }
            catch (HttpRequestException)
            {
                sent.Unanswered++;
            }
            catch (TaskCanceledException)
            {
                sent.Unanswered++; // the client's timeout
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
            await Task.Delay(pause);
            pause = Math.Min(pause * 2, 500);
        }
    }

    /// <summary>Points in distinct demo grid cells, far more than 30 m apart: reports there never merge.</summary>
    public static IEnumerable<(double Lon, double Lat)> DistinctPoints()
    {
        // Whole (unclipped) cells only: their centres are a cell's width apart.
        foreach (var cell in Districts.SelectMany(Api.CellsOf).Where(c => c.Geometry.Area >= 0.95 * c.Geometry.EnvelopeInternal.Area).OrderBy(_ => Random.Shared.Next()))
        {
            var p = cell.Geometry.Centroid;
            yield return (p.X, p.Y);
        }
    }
}
