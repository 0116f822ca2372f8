using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CityOps.Tests.Resilience;

/// <summary>
/// Two real server processes on one PostgreSQL database, as behind a load balancer: the same
/// clients spread their requests over both. Sweeping every second and delivering webhooks to a
/// listener of the test, so escalations and deliveries can be counted.
/// </summary>
public sealed class TwoInstances : IAsyncLifetime
{
    private WebApplication? _webhook;

    public ServerProcess A { get; private set; } = null!;
    public ServerProcess B { get; private set; } = null!;
    /// <summary>Every webhook the listener received: its Idempotency-Key and kind, in arrival order.</summary>
    public ConcurrentQueue<(string Key, string Kind)> Deliveries { get; } = new();
    /// <summary>How long the listener takes to answer: slow enough that both instances deliver at once.</summary>
    public static readonly TimeSpan WebhookDelay = TimeSpan.FromMilliseconds(50);

    public async ValueTask InitializeAsync()
    {
        if (Databases.PostgresConnection is null) return;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _webhook = builder.Build();
        _webhook.MapPost("/hook", async (HttpRequest request) =>
        {
            await Task.Delay(WebhookDelay);
            Deliveries.Enqueue((request.Headers["Idempotency-Key"].ToString(), request.Headers["X-CityOps-Event"].ToString()));
            return Results.Ok();
        });
        await _webhook.StartAsync();
        var hook = _webhook.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";

        var connection = await SeededDatabase.NewAsync(Databases.Postgres);
        var settings = new Dictionary<string, string>
        {
            ["CityOps:Supervision:SweepInterval"] = "00:00:01",
            ["CityOps:Supervision:DeliveryInterval"] = "00:00:01",
            ["CityOps:Supervision:WebhookUrl"] = hook,
        };
        A = await ServerProcess.StartAsync(Databases.Postgres, connection, settings, "twin-a");
        B = await ServerProcess.StartAsync(Databases.Postgres, connection, settings, "twin-b");
    }

    public CityOpsDb Data()
    {
        var options = new DbContextOptionsBuilder<CityOpsDb>();
        DatabaseSetup.Configure(options, Databases.Postgres, A.Connection);
        return new CityOpsDb(options.Options);
    }

    public async ValueTask DisposeAsync()
    {
        if (A is not null) await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        if (_webhook is not null) await _webhook.DisposeAsync();
    }
}

public sealed class TwoInstancesTests(TwoInstances twins, ITestOutputHelper output) : IClassFixture<TwoInstances>
{
    private const string DriverCategory = "C0106"; // auto-dispatched to the municipal roads division
    private static readonly ConcurrentQueue<(double Lon, double Lat)> Points = new(CrashLoad.DistinctPoints());

    [Fact]
    public async Task The_same_message_sent_to_both_instances_at_once_makes_one_case_and_both_answers_name_it()
    {
        SkipWithoutPostgres();
        using var a = twins.A.Client();
        using var b = twins.B.Client();
        var rounds = new List<(string Key, long[] Ids)>();
        for (var round = 0; round < 15; round++)
        {
            Assert.True(Points.TryDequeue(out var at));
            var form = Api.Report("E0103", at, "两个实例同时收到 " + Guid.NewGuid().ToString("N"));
            var key = Guid.NewGuid().ToString("N");
            // Twice to each instance at the same moment: a client retrying over a load balancer.
            var answers = await Task.WhenAll(new[] { a, b, a, b }.Select(c => c.PostOpen311Async(form, idempotencyKey: key)));
            var ids = new List<long>();
            foreach (var answer in answers)
            {
                var body = await answer.Content.ReadAsStringAsync();
                Assert.True(answer.StatusCode == HttpStatusCode.Created, $"{(int)answer.StatusCode} {body}");
                ids.Add(long.Parse(JsonNode.Parse(body)![0]!["service_request_id"]!.GetValue<string>(), CultureInfo.InvariantCulture));
            }
            rounds.Add((key, ids.ToArray()));
        }

        await using var data = twins.Data();
        foreach (var (key, ids) in rounds)
        {
            Assert.Single(ids.Distinct());
            var stored = await data.Reports.AsNoTracking().Where(r => r.IdempotencyKey == key).Select(r => r.CaseId).ToListAsync();
            Assert.Equal([ids[0]], stored);
            var c = await data.Cases.AsNoTracking().SingleAsync(x => x.Id == ids[0]);
            Assert.Equal(1, c.ReportCount);
            Assert.Equal(["report"], await data.CaseEvents.Where(e => e.CaseId == c.Id).OrderBy(e => e.Seq).Select(e => e.Action).ToListAsync());
        }
        Assert.Equal(rounds.Count, rounds.Select(r => r.Ids[0]).Distinct().Count());
    }

    [Fact]
    public async Task Each_warning_overdue_escalation_inbox_notice_and_webhook_happens_once_with_two_instances()
    {
        SkipWithoutPostgres();
        using var opA = await twins.A.SignInAsync("operator");
        using var opB = await twins.B.SignInAsync("operator");
        var ids = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            Assert.True(Points.TryDequeue(out var at));
            var id = await (i % 2 == 0 ? twins.A : twins.B).Client().ReportAsync(DriverCategory, at);
            await (i % 2 == 0 ? opB : opA).MustAsync(id, "register", new { condition = "02" });
            ids.Add(id);
        }

        // Time passes — on the cases' clocks only, as the sweepers see them; the record is not touched.
        await MoveClockAsync("Clock_WarnAt", ids);
        await WaitAsync("warnings raised", async data => await data.Cases.CountAsync(c => ids.Contains(c.Id) && c.Clock.WarningRaised) == ids.Count);
        await MoveClockAsync("Clock_DueAt", ids);
        await WaitAsync("deadlines raised", async data => await data.Cases.CountAsync(c => ids.Contains(c.Id) && c.Clock.OverdueRaised) == ids.Count);
        await WaitAsync("webhooks delivered", async data => !await data.Outbox.AnyAsync(m => m.CaseId != null && ids.Contains(m.CaseId.Value) && m.DeliveredAt == null));
        // Several more sweeps and delivery rounds on both instances: nothing more may come.
        await Task.Delay(TimeSpan.FromSeconds(3));

        await using var db = twins.Data();
        var events = (await db.CaseEvents.AsNoTracking().Where(e => ids.Contains(e.CaseId)).ToListAsync()).ToLookup(e => e.CaseId);
        var orders = (await db.SupervisionOrders.AsNoTracking().Where(o => ids.Contains(o.CaseId)).ToListAsync()).ToLookup(o => o.CaseId);
        var notices = (await db.Notifications.AsNoTracking().Where(n => n.CaseId != null && ids.Contains(n.CaseId.Value)).ToListAsync()).ToLookup(n => n.CaseId!.Value);
        var outbox = (await db.Outbox.AsNoTracking().Where(m => m.CaseId != null && ids.Contains(m.CaseId.Value)).ToListAsync()).ToLookup(m => m.CaseId!.Value);
        var delivered = twins.Deliveries.ToArray().GroupBy(d => d.Key).ToDictionary(g => g.Key, g => g.Count());
        var wrong = new List<string>();
        foreach (var id in ids)
        {
            var actions = events[id].OrderBy(e => e.Seq).Select(e => e.Action).ToList();
            Assert.Equal(["report", "register", "dispatch", "warning", "overdue"], actions);
            var order = Assert.Single(orders[id]);
            Assert.True(order.Automatic);
            Assert.StartsWith($"overdue:{id}:", order.Key, StringComparison.Ordinal);
            // Inbox: the dispatch and the warning to the unit, the supervision order to the unit and its superior.
            Assert.Equal(1, notices[id].Count(n => n.Kind == "warning"));
            Assert.Equal(new[] { order.UnitId, order.SuperiorUnitId }.Count(u => u is not null), notices[id].Count(n => n.Kind == "supervision"));
            Assert.Equal(1, notices[id].Count(n => n.Kind == "dispatch"));
            // Webhooks: one message per public event, warning, overdue and order, each delivered exactly once.
            var keys = outbox[id].Select(m => m.Key).Order().ToList();
            var seqs = events[id].Where(e => e.Action != "report").Select(e => $"case:{id}:event:{e.Seq}");
            Assert.Equal(seqs.Append("supervision:" + order.Key).Order().ToList(), keys);
            // Each attempt reaches the listener at most once, and only one instance makes each attempt: a message
            // sent once was received once. (An attempt the sender gave up on may have arrived all the same; the
            // retry that follows it carries the same Idempotency-Key for the receiver to drop.)
            foreach (var m in outbox[id])
            {
                var received = delivered.GetValueOrDefault(m.Key);
                if (received < 1 || received > m.Attempts) wrong.Add($"{m.Key}: {m.Attempts} attempts, received {received} times");
            }
        }
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
        output.WriteLine($"{ids.Count} cases: {events.Sum(g => g.Count())} events, {orders.Sum(g => g.Count())} supervision orders, " +
                         $"{notices.Sum(g => g.Count())} notices, {outbox.Sum(g => g.Count())} webhook messages ({outbox.Sum(g => g.Count(m => m.Attempts > 1))} needed a second attempt), " +
                         $"{twins.Deliveries.Count} deliveries received in all");
    }

    [Fact]
    public async Task Racing_moves_through_both_instances_each_have_one_winner_and_the_losers_get_409()
    {
        SkipWithoutPostgres();
        var op = (await twins.A.SignInAsync("operator"), await twins.B.SignInAsync("operator"));
        var lead = (await twins.A.SignInAsync("shiftlead"), await twins.B.SignInAsync("shiftlead"));
        var unit = (await twins.A.SignInAsync("department"), await twins.B.SignInAsync("department"));
        using var handler = await twins.B.SignInAsync("handler");
        var handlerId = await handler.MyIdAsync();
        var ids = new List<long>();
        for (var i = 0; i < 8; i++)
        {
            Assert.True(Points.TryDequeue(out var at));
            ids.Add(await twins.A.Client().ReportAsync(DriverCategory, at));
        }

        var winners = new ConcurrentDictionary<(long, string), string>();
        var losers = new ConcurrentBag<string>();
        async Task RaceAsync(long id, string action, object body, params HttpClient[] contenders)
        {
            var keys = contenders.Select(_ => Guid.NewGuid().ToString("N")).ToArray();
            var answers = await Task.WhenAll(contenders.Select((c, i) => c.MoveAsync(id, action, body, keys[i])));
            var statuses = answers.Select(r => (int)r.StatusCode).ToArray();
            Assert.True(statuses.Count(s => s == 200) == 1 && statuses.Count(s => s == 409) == contenders.Length - 1,
                $"{action} on {id}: {string.Join(",", statuses)}");
            for (var i = 0; i < answers.Length; i++)
                if (statuses[i] == 200) winners[(id, action)] = keys[i];
                else losers.Add(keys[i]);
        }

        // Every case at once, each move raced by four people through both instances.
        await Task.WhenAll(ids.Select(async id =>
        {
            await RaceAsync(id, "register", new { condition = "02" }, op.Item1, op.Item2, lead.Item1, lead.Item2);
            await unit.Item1.MustAsync(id, "assign", new { userId = handlerId });
            await handler.MustAsync(id, "submit", new { notes = "已处理", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
            await RaceAsync(id, "confirm", new { }, unit.Item1, unit.Item2, unit.Item2, unit.Item1);
            await RaceAsync(id, "close", new { closingConditionMet = true }, lead.Item2, lead.Item1, lead.Item1, lead.Item2);
        }));

        await using var db = twins.Data();
        var events = (await db.CaseEvents.AsNoTracking().Where(e => ids.Contains(e.CaseId)).ToListAsync()).ToLookup(e => e.CaseId);
        foreach (var id in ids)
        {
            var history = events[id].OrderBy(e => e.Seq).ToList();
            Assert.Equal(["report", "register", "dispatch", "assign", "submit", "confirm", "close"], history.Select(e => e.Action).ToArray());
            foreach (var action in new[] { "register", "confirm", "close" })
                Assert.Equal(winners[(id, action)], history.Single(e => e.Action == action).IdempotencyKey);
        }
        Assert.DoesNotContain(events.SelectMany(g => g), e => e.IdempotencyKey is not null && losers.Contains(e.IdempotencyKey));
        using var admin = await twins.B.SignInAsync("admin");
        foreach (var id in ids)
        {
            var audit = await (await admin.GetAsync($"/api/audit/verify?caseId={id}")).JsonAsync();
            Assert.True(audit["intact"]!.GetValue<bool>(), audit.ToJsonString());
            Assert.Equal(7, audit["eventsChecked"]!.GetValue<long>());
        }
    }

    [Fact]
    public async Task A_channel_keyed_on_one_instance_is_accepted_by_the_other_within_seconds_and_refused_there_once_switched_off()
    {
        SkipWithoutPostgres();
        using var admin = await twins.A.SignInAsync("admin");
        var code = "twin" + Guid.NewGuid().ToString("N")[..6];
        var created = await admin.PostAsJsonAsync("/api/admin/channels", new { code, nameZh = "双实例测试渠道", nameEn = "Two-instance test channel", sourceType = "Complaint", active = true });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var keyed = await admin.PostAsync($"/api/admin/channels/{code}/key", null);
        Assert.Equal(HttpStatusCode.OK, keyed.StatusCode);
        var key = (await keyed.JsonAsync())["apiKey"]!.GetValue<string>();

        // B learns of the edit from the reference stamp (read every 5 s), not from a reload once a
        // minute: a key rotated or revoked on one instance holds on all of them within seconds.
        using var b = twins.B.Client();
        var (accepted, _) = await UntilAsync(b, key, HttpStatusCode.Created);
        var off = await admin.PutAsJsonAsync($"/api/admin/channels/{code}", new { code, nameZh = "双实例测试渠道", nameEn = "Two-instance test channel", sourceType = "Complaint", active = false });
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        var (refused, createdMeanwhile) = await UntilAsync(b, key, HttpStatusCode.Forbidden);
        output.WriteLine($"new key accepted by B after {accepted.TotalSeconds:F1} s, refused after switching off after {refused.TotalSeconds:F1} s");
        Assert.True(accepted < TimeSpan.FromSeconds(30) && refused < TimeSpan.FromSeconds(30), $"accepted after {accepted}, refused after {refused}");

        await using var data = twins.Data();
        var channelId = await data.Channels.Where(c => c.Code == code).Select(c => c.Id).SingleAsync();
        // Each 201 stored one report; the 403s stored nothing.
        Assert.Equal(1 + createdMeanwhile, await data.Reports.CountAsync(r => r.ChannelId == channelId));
    }

    /// <summary>
    /// Posts a report with <paramref name="key"/> to <paramref name="client"/> until it gets
    /// <paramref name="wanted"/>; how long that took and how many reports were created before.
    /// </summary>
    private static async Task<(TimeSpan Took, int Created)> UntilAsync(HttpClient client, string key, HttpStatusCode wanted)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var created = 0;
        while (true)
        {
            Assert.True(Points.TryDequeue(out var at));
            var form = Api.Report("E0103", at, "双实例渠道 " + Guid.NewGuid().ToString("N"));
            form["api_key"] = key;
            using var answer = await client.PostOpen311Async(form);
            if (answer.StatusCode == wanted) return (clock.Elapsed, created);
            if (answer.StatusCode == HttpStatusCode.Created) created++;
            Assert.True(answer.StatusCode is HttpStatusCode.Created or HttpStatusCode.Forbidden, $"{(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"still {(int)answer.StatusCode} after a minute");
            await Task.Delay(250);
        }
    }

    private static void SkipWithoutPostgres() =>
        Assert.SkipWhen(Databases.PostgresConnection is null, "CITYOPS_TEST_POSTGRES is not set (two instances share one PostgreSQL)");

    /// <summary>Puts a clock instant of the cases a minute into the past, directly in the database.</summary>
    private async Task MoveClockAsync(string column, List<long> ids)
    {
        await using var conn = new NpgsqlConnection(twins.A.Connection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"UPDATE \"Cases\" SET \"{column}\" = now() - interval '1 minute' WHERE \"Id\" = ANY(@ids)", conn);
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        Assert.Equal(ids.Count, await cmd.ExecuteNonQueryAsync());
    }

    private async Task WaitAsync(string what, Func<CityOpsDb, Task<bool>> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await using (var data = twins.Data())
                if (await done(data)) return;
            Assert.True(DateTime.UtcNow < deadline, $"not in time: {what}");
            await Task.Delay(200);
        }
    }
}
