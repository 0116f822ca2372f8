using System.Net;
using CityOps.Server.Data;
using CityOps.Server.Features.Intake;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityOps.Tests.Intake;

/// <summary>
/// Reports arriving together are stored in shared transactions (<see cref="IntakeWriter"/>); a
/// repeated or conflicting message inside such a burst is answered on its own and costs the
/// others nothing.
/// </summary>
public sealed class GroupCommitTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_burst_is_stored_in_shared_transactions_and_a_repeat_inside_it_gets_its_own_answer(string db)
    {
        // Its own server: the burst holds up that server's writes for a moment.
        await using var app = await CityOpsApp.StartAsync(db);
        var client = app.CreateClient();
        var services = (await (await client.GetAsync("/open311/v2/services.json")).JsonAsync()).AsArray()
            .Select(s => s!["service_code"]!.GetValue<string>()).ToList();
        var run = Guid.NewGuid().ToString("N")[..8];
        var districts = new[] { "350203", "350205", "350206", "350211", "350212", "350213" };
        Dictionary<string, string> Form(int i, string description) =>
            Api.Report(services[i % services.Count], Api.PointIn(districts[i % districts.Length]), description);

        // 36 single reports, 8 sent twice with the same key and content, 4 keys used for two different reports.
        var sends = new List<(string Key, Dictionary<string, string> Form, string Group)>();
        for (var i = 0; i < 36; i++) sends.Add(($"{run}-single-{i}", Form(i, $"单条 {run} {i}"), "single"));
        for (var i = 0; i < 8; i++)
        {
            var form = Form(36 + i, $"重发 {run} {i}");
            sends.Add(($"{run}-repeat-{i}", form, "repeat"));
            sends.Add(($"{run}-repeat-{i}", new Dictionary<string, string>(form), "repeat"));
        }
        for (var i = 0; i < 4; i++)
        {
            sends.Add(($"{run}-clash-{i}", Form(44 + i, $"冲突甲 {run} {i}"), "clash"));
            sends.Add(($"{run}-clash-{i}", Form(44 + i, $"冲突乙 {run} {i}"), "clash"));
        }
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sends));

        var writer = app.Services.GetRequiredService<IntakeWriter>();
        var before = writer.Shared;
        Task<(string Key, Dictionary<string, string> Form, string Group, HttpStatusCode StatusCode, string Body)[]> sending;
        // The database is held while the burst arrives: the first batch waits on it and the rest of the
        // burst queues behind it, so that shared transactions do not depend on how fast this machine is.
        await using (await WriteHold.StartAsync(app.Provider, app.ConnectionString))
        {
            sending = Task.WhenAll(sends.Select(async s =>
            {
                var response = await client.PostOpen311Async(s.Form, idempotencyKey: s.Key);
                var body = await response.Content.ReadAsStringAsync();
                return (s.Key, s.Form, s.Group, response.StatusCode, Body: body);
            }));
            var waited = System.Diagnostics.Stopwatch.StartNew();
            // Eight waiting hold at least four keys, as a key is sent at most twice: the next batch has several cases.
            while (writer.Queued < 8 && !sending.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(20);
        }
        var answers = await sending;
        var after = writer.Shared;

        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Created or HttpStatusCode.UnprocessableEntity, $"{a.Key}: {(int)a.StatusCode} {a.Body}"));
        string Id(string body) => System.Text.Json.Nodes.JsonNode.Parse(body)![0]!["service_request_id"]!.GetValue<string>();
        foreach (var group in answers.GroupBy(a => a.Key))
        {
            var list = group.ToList();
            switch (list[0].Group)
            {
                case "single":
                    Assert.Equal(HttpStatusCode.Created, list.Single().StatusCode);
                    break;
                case "repeat":
                    Assert.All(list, a => Assert.Equal(HttpStatusCode.Created, a.StatusCode));
                    Assert.Equal(Id(list[0].Body), Id(list[1].Body));
                    break;
                default:
                    // One of the two different reports under one key is stored; the other is told the key is taken.
                    Assert.Single(list, a => a.StatusCode == HttpStatusCode.Created);
                    var refused = Assert.Single(list, a => a.StatusCode == HttpStatusCode.UnprocessableEntity);
                    Assert.Contains("Idempotency-Key", refused.Body, StringComparison.Ordinal);
                    break;
            }
        }

        // Every stored report reads back with the description that was accepted for it; nothing else was stored.
        var stored = answers.Where(a => a.StatusCode == HttpStatusCode.Created).DistinctBy(a => a.Key).ToList();
        Assert.Equal(48, stored.Count);
        Assert.Equal(48, stored.Select(a => Id(a.Body)).Distinct().Count());
        foreach (var a in stored)
        {
            var read = await (await client.GetAsync($"/open311/v2/requests/{Id(a.Body)}.json")).JsonAsync();
            Assert.Equal(a.Form["description"], read[0]!["description"]!.GetValue<string>());
        }
        using (var scope = app.Services.CreateScope())
        {
            var data = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
            var keys = answers.Select(a => a.Key).Distinct().ToList();
            Assert.Equal(48, await data.Reports.CountAsync(r => keys.Contains(r.IdempotencyKey!)));
            var ids = stored.Select(a => long.Parse(Id(a.Body), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(48, await data.CaseEvents.CountAsync(e => ids.Contains(e.CaseId) && e.Seq == 1));
        }

        // Some of them shared a transaction.
        Assert.True(after.Cases - before.Cases >= 2, $"no batch of several new cases was written ({before} → {after})");
    }

    /// <summary>
    /// A retry of a message stored earlier fails, on the unique index, the batch it lands in. The
    /// batch is tried again in halves, so the other reports still share transactions (14 of 16 at
    /// least), and the retry is answered with the case it made the first time.
    /// </summary>
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_retry_of_a_stored_message_costs_the_rest_of_its_batch_nothing(string db)
    {
        // Merging off: the retry would otherwise find its own case nearby and join it, outside any batch.
        await using var app = await CityOpsApp.StartAsync(db, settings: new() { ["CityOps:Intake:DuplicateRadiusMeters"] = "0" });
        var client = app.CreateClient();
        var run = Guid.NewGuid().ToString("N")[..8];
        var original = Api.Report("C0106", Api.PointIn("350203"), $"先到的上报 {run}");
        var first = await client.PostOpen311Async(original, idempotencyKey: $"{run}-stored");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var firstId = (await first.JsonAsync())[0]!["service_request_id"]!.GetValue<string>();

        var sends = Enumerable.Range(0, 16).Select(i => ($"{run}-{i}", Api.Report("C0106", Api.PointIn("350206"), $"批内 {run} {i}")))
            .Append(($"{run}-stored", new Dictionary<string, string>(original))).ToList();
        var writer = app.Services.GetRequiredService<IntakeWriter>();
        var before = writer.Shared;
        Task<(string Key, HttpStatusCode Status, string Body)[]> sending;
        await using (await WriteHold.StartAsync(app.Provider, app.ConnectionString))
        {
            sending = Task.WhenAll(sends.Select(async s =>
            {
                var response = await client.PostOpen311Async(s.Item2, idempotencyKey: s.Item1);
                return (s.Item1, response.StatusCode, await response.Content.ReadAsStringAsync());
            }));
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (writer.Queued < 16 && !sending.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(20);
        }
        var answers = await sending;
        var after = writer.Shared;

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.Created, $"{a.Key}: {(int)a.Status} {a.Body}"));
        string Id(string body) => System.Text.Json.Nodes.JsonNode.Parse(body)![0]!["service_request_id"]!.GetValue<string>();
        Assert.Equal(firstId, Id(answers.Single(a => a.Key == $"{run}-stored").Body));
        Assert.Equal(16, answers.Where(a => a.Key != $"{run}-stored").Select(a => Id(a.Body)).Distinct().Count());
        Assert.True(after.Cases - before.Cases >= 14, $"the batch holding the retry was written case by case ({before} → {after})");
    }

    [Fact]
    public async Task Batches_give_their_connection_back_so_a_small_pool_lasts_through_many_bursts()
    {
        if (Databases.PostgresConnection is null) Assert.Skip("CITYOPS_TEST_POSTGRES is not set");
        // Two connections and a short wait for one: a batch that kept its connection would starve
        // every later request within a few bursts (503 after the wait), as would a leak anywhere else on the way.
        var connection = new NpgsqlConnectionStringBuilder(await CityOpsApp.NewDatabaseAsync(Databases.Postgres)) { MaxPoolSize = 2, Timeout = 5 }.ConnectionString;
        await using var app = await CityOpsApp.StartAsync(Databases.Postgres, connection: connection);
        var client = app.CreateClient();
        var services = (await (await client.GetAsync("/open311/v2/services.json")).JsonAsync()).AsArray()
            .Select(s => s!["service_code"]!.GetValue<string>()).ToList();
        var writer = app.Services.GetRequiredService<IntakeWriter>();
        for (var burst = 0; burst < 6; burst++)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
            {
                var response = await client.PostOpen311Async(Api.Report(services[(burst * 12 + i) % services.Count], Api.PointIn("350203"), $"连接归还 {burst}-{i}"));
                return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
            }));
            Assert.All(answers, a => Assert.True(a.StatusCode == HttpStatusCode.Created, $"burst {burst}: {(int)a.StatusCode} {a.Body}"));
        }
        Assert.True(writer.Shared.Batches >= 2, $"the bursts were not written in shared transactions ({writer.Shared})");
    }
}
