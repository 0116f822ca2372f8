using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Intake;
using Microsoft.Extensions.DependencyInjection;
using CityOps.Tests.Support;

namespace CityOps.Tests.Intake;

/// <summary>The native JSON door: channels by key, staff by sign-in, masking, duplicates, needs-location.</summary>
public sealed class NativeIntakeTests
{
    private static object Body((double Lon, double Lat) at, string category = "E0103", string? channel = null, string cs = "WGS84", string? externalId = null) => new
    {
        channel,
        externalId,
        category,
        description = "人行道上有暴露垃圾",
        address = "思明区某路 1 号",
        location = new { lat = at.Lat, lon = at.Lon, coordinateSystem = cs },
        reporter = new { name = "张三丰", phone = "13812345678", email = "zhang@example.com" },
        photos = new[] { "https://img.example.com/a.jpg" },
    };

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_hotline_operator_reports_with_gcj02_coordinates_and_a_handler_sees_the_reporter_masked(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var wgs = Api.PointIn("350203");
        var gcj = Coordinates.Wgs84ToGcj02(wgs.Lon, wgs.Lat);
        var response = await op.PostAsJsonAsync("/api/reports", Body(gcj, channel: "hotline12345", cs: "GCJ02"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        var id = body["caseId"]!.GetValue<long>();
        // Stored in WGS-84: the GCJ-02 offset (hundreds of metres) was removed.
        Assert.Equal(wgs.Lat, body["case"]!["place"]!["lat"]!.GetValue<double>(), 6);
        Assert.Equal(wgs.Lon, body["case"]!["place"]!["lon"]!.GetValue<double>(), 6);
        Assert.Equal("350203", body["case"]!["place"]!["district"]!.GetValue<string>());
        Assert.Equal("13812345678", body["case"]!["reporters"]![0]!["phone"]!.GetValue<string>());
        Assert.Equal("hotline12345", body["case"]!["channel"]!.GetValue<string>());

        // A unit's staff (here: the unit the case went to, once registered and so dispatched) sees the case but not the caller's number.
        var unitCode = body["case"]!["routing"]!["unitCode"]!.GetValue<string>();
        var unitStaff = await app.SignInAsync(unitCode);
        Assert.Equal(HttpStatusCode.NotFound, (await unitStaff.GetAsync($"/api/cases/{id}")).StatusCode); // still with the centre
        Assert.Equal("Dispatched", (await op.MustAsync(id, "register", new { condition = "01" }))["state"]!.GetValue<string>());
        var seen = await (await unitStaff.GetAsync($"/api/cases/{id}")).JsonAsync();
        Assert.Equal("138****5678", seen["reporters"]![0]!["phone"]!.GetValue<string>());
        Assert.Equal("张**", seen["reporters"]![0]!["name"]!.GetValue<string>());
        Assert.DoesNotContain("13812345678", seen.ToJsonString(), StringComparison.Ordinal);

        // The public record says where the case went, as for a citizen's own report, and nothing of the caller.
        var open311 = await app.CreateClient().GetStringAsync($"/open311/v2/requests/{id}.json?extensions=true");
        var routed = JsonNode.Parse(open311)![0]!["notes"]!.AsArray().First(n => n!["type"]!.GetValue<string>() == "report")!;
        Assert.Equal(body["case"]!["routing"]!["detail"]!.GetValue<string>(), routed["description"]!.GetValue<string>());
        Assert.DoesNotContain("13812345678", open311, StringComparison.Ordinal);

        // Another unit does not see it at all.
        var other = await app.SignInAsync("city-marine");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/cases/{id}")).StatusCode);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_second_report_nearby_joins_the_open_case_and_keeps_both_reporters(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "demo-wechat-key");
        var at = Api.PointIn("350205");
        var first = await (await client.PostAsJsonAsync("/api/reports", Body(at, "E0104"))).JsonAsync();
        var near = (at.Lon + 0.00005, at.Lat + 0.00005); // about 7 m away
        var second = await client.PostAsJsonAsync("/api/reports", Body(near, "E0104"));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var merged = await second.JsonAsync();
        Assert.Equal("Merged", merged["outcome"]!.GetValue<string>());
        Assert.Equal(first["caseId"]!.GetValue<long>(), merged["caseId"]!.GetValue<long>());
        Assert.Equal(2, merged["case"]!["reporters"]!.AsArray().Count);
        Assert.Equal(2, merged["case"]!["photos"]!.AsArray().Count); // each report's photo kept
        Assert.Equal(["report", "merge"], merged["case"]!["history"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()).ToArray());
    }

    /// <summary>
    /// One incident, many callers at once: every report joins the one case, none is refused for
    /// arriving while another was joining it; a retry of a joined report is answered as it was;
    /// the same key with another device is another report (422).
    /// </summary>
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Reports_of_one_incident_arriving_together_all_join_its_case(string db)
    {
        await using var app = await CityOpsApp.StartAsync(db, settings: new() { ["CityOps:Intake:RateLimit:Enabled"] = "false" });
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "demo-wechat-key");
        var at = Api.PointIn("350206");
        var first = await client.PostAsJsonAsync("/api/reports", Body(at, "E0104"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var caseId = (await first.JsonAsync())["caseId"]!.GetValue<long>();

        var keys = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid().ToString()).ToArray();
        Task<HttpResponseMessage> Send(string key, string device = "dev-A")
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/reports")
            {
                Content = JsonContent.Create(new { category = "E0104", description = "同一处暴露垃圾", location = new { lat = at.Lat, lon = at.Lon }, deviceId = device }),
            };
            request.Headers.Add("Idempotency-Key", key);
            return client.SendAsync(request);
        }
        var answers = await Task.WhenAll(keys.Select(k => Send(k)));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        foreach (var a in answers) Assert.Equal(caseId, (await a.JsonAsync())["caseId"]!.GetValue<long>());

        var op = await app.SignInAsync("operator");
        var file = await (await op.GetAsync($"/api/cases/{caseId}")).JsonAsync();
        Assert.Equal(41, file["reporters"]!.AsArray().Count);
        Assert.Equal(40, file["history"]!.AsArray().Count(e => e!["action"]!.GetValue<string>() == "merge"));

        var retried = await Send(keys[0]);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("Replayed", (await retried.JsonAsync())["outcome"]!.GetValue<string>());
        Assert.Equal((HttpStatusCode)422, (await Send(keys[1], device: "dev-B")).StatusCode);
    }

    /// <summary>
    /// 催办: citizens calling again about a registered case tell whoever has it, at the second report
    /// and each time the count doubles; reports joining a case still in the pool tell nobody.
    /// </summary>
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Citizens_reporting_a_dispatched_case_again_urge_the_unit_that_has_it(string db)
    {
        await using var app = await CityOpsApp.StartAsync(db, settings: new() { ["CityOps:Intake:RateLimit:Enabled"] = "false" });
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "demo-wechat-key");
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en"); // the citizen's app speaks English; the unit's inbox stays in Chinese
        Task<HttpResponseMessage> Again((double Lon, double Lat) at) =>
            client.PostAsJsonAsync("/api/reports", new { category = "C0106", description = "井盖还没修好", location = new { lat = at.Lat, lon = at.Lon } });
        var (dispatchedAt, poolAt) = (Api.PointIn("350203"), Api.PointIn("350205"));
        var dispatched = await app.CreateClient().ReportAsync("C0106", dispatchedAt);
        var pooled = await app.CreateClient().ReportAsync("C0106", poolAt);
        var op = await app.SignInAsync("operator");
        await op.MustAsync(dispatched, "register", new { condition = "02" }); // auto-dispatched to the demo department

        // Nine more reports of the dispatched case at once (ten in all): told at 2, 4 and 8.
        var answers = await Task.WhenAll(Enumerable.Range(0, 9).Select(_ => Again(dispatchedAt)));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(HttpStatusCode.OK, (await Again(poolAt)).StatusCode);

        var unit = await app.SignInAsync("department");
        var urged = (await (await unit.GetAsync("/api/inbox")).JsonAsync()).AsArray()
            .Where(n => n!["kind"]!.GetValue<string>() == "repeat").ToList();
        Assert.All(urged, n => Assert.Equal(dispatched, n!["caseId"]!.GetValue<long>()));
        Assert.Equal(["2", "4", "8"], urged.Select(n => System.Text.RegularExpressions.Regex.Match(n!["text"]!.GetValue<string>(), @"(\d+) 次").Groups[1].Value).Order().ToArray());
        Assert.DoesNotContain((await (await op.GetAsync("/api/inbox")).JsonAsync()).AsArray(), n => n!["kind"]!.GetValue<string>() == "repeat");
        Assert.Equal(2, (await (await op.GetAsync($"/api/cases/{pooled}")).JsonAsync())["reportCount"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Reports_of_a_new_incident_arriving_at_the_same_instant_open_one_case(string db)
    {
        await using var app = await CityOpsApp.StartAsync(db, settings: new() { ["CityOps:Intake:RateLimit:Enabled"] = "false" });
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "demo-wechat-key");
        var at = Api.PointIn("350203");
        // Sixteen citizens, no keys, a metre or so apart, all at once, about an incident no case holds yet.
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => client.PostAsJsonAsync("/api/reports",
            new { category = "E0104", description = $"路口暴露垃圾（第 {i} 位市民）", location = new { lat = at.Lat + i * 0.00001, lon = at.Lon } })));
        var bodies = await Task.WhenAll(answers.Select(a => a.JsonAsync()));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.Equal(15, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        var caseId = Assert.Single(bodies.Select(b => b["caseId"]!.GetValue<long>()).Distinct());

        var op = await app.SignInAsync("operator");
        var file = await (await op.GetAsync($"/api/cases/{caseId}")).JsonAsync();
        Assert.Equal(16, file["reporters"]!.AsArray().Count);
        Assert.Equal(15, file["history"]!.AsArray().Count(e => e!["action"]!.GetValue<string>() == "merge"));

        // Another category at the same place is another case; so is the same category elsewhere.
        var other = await client.PostAsJsonAsync("/api/reports", new { category = "C0106", description = "井盖松动", location = new { lat = at.Lat, lon = at.Lon } });
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        var elsewhere = Api.PointIn("350205");
        var far = await client.PostAsJsonAsync("/api/reports", new { category = "E0104", description = "另一处暴露垃圾", location = new { lat = elsewhere.Lat, lon = elsewhere.Lon } });
        Assert.Equal(HttpStatusCode.Created, far.StatusCode);
        Assert.Equal(0, app.Services.GetRequiredService<OpeningCases>().Held);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task An_address_only_phone_report_waits_in_the_needs_location_queue(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var response = await op.PostAsJsonAsync("/api/reports", new { channel = "hotline12345", category = "C0301", description = "垃圾桶满溢", address = "湖里区某小区门口", externalId = Guid.NewGuid().ToString() });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.JsonAsync())["caseId"]!.GetValue<long>();
        var queue = await (await op.GetAsync("/api/cases?state=NeedsLocation&pageSize=500")).JsonAsync();
        Assert.Contains(queue["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_channel_message_id_never_creates_a_second_case(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "demo-app-key");
        var body = Body(Api.PointIn("350212"), "C0204", externalId: "app-msg-" + Guid.NewGuid());
        var first = await (await client.PostAsJsonAsync("/api/reports", body)).JsonAsync();
        var again = await (await client.PostAsJsonAsync("/api/reports", body)).JsonAsync();
        Assert.Equal("Replayed", again["outcome"]!.GetValue<string>());
        Assert.Equal(first["caseId"]!.GetValue<long>(), again["caseId"]!.GetValue<long>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Callers_without_a_key_or_a_reporting_role_are_refused(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/reports", Body(Api.PointIn("350203")))).StatusCode);
        var partner = await app.SignInAsync("partner");
        Assert.Equal(HttpStatusCode.Forbidden, (await partner.PostAsJsonAsync("/api/reports", Body(Api.PointIn("350203"), channel: "web"))).StatusCode);
        anonymous.DefaultRequestHeaders.Add("X-Api-Key", "not-a-key");
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.PostAsJsonAsync("/api/reports", Body(Api.PointIn("350203")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.PostAsJsonAsync("/api/auth/register", new { email = "x@y.z", password = "Passw0rd!Passw0rd" })).StatusCode);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task An_operator_attaches_a_call_to_a_chosen_open_case_of_the_same_category_and_nowhere_else(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var target = (await (await op.PostAsJsonAsync("/api/reports", Body(Api.PointIn("350203"), "E0103", "hotline12345"))).JsonAsync())["caseId"]!.GetValue<long>();
        var elsewhere = Api.PointIn("350206"); // far away: only the explicit choice joins them
        var joined = await op.PostAsJsonAsync("/api/reports", new { channel = "hotline12345", category = "E0103", description = "同一处垃圾，另一位市民来电", location = new { lat = elsewhere.Lat, lon = elsewhere.Lon }, attachTo = target });
        Assert.Equal(HttpStatusCode.OK, joined.StatusCode);
        var body = await joined.JsonAsync();
        Assert.Equal(("Merged", target, 2), (body["outcome"]!.GetValue<string>(), body["caseId"]!.GetValue<long>(), body["case"]!["reportCount"]!.GetValue<int>()));

        var other = await op.PostAsJsonAsync("/api/reports", new { channel = "hotline12345", category = "C0106", description = "井盖", location = new { lat = elsewhere.Lat, lon = elsewhere.Lon }, attachTo = target });
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.NotNull((await other.JsonAsync())["errors"]!["attachTo"]);
        await op.MustAsync(target, "void", new { reason = "重复" });
        var closed = await op.PostAsJsonAsync("/api/reports", new { channel = "hotline12345", category = "E0103", description = "垃圾", location = new { lat = elsewhere.Lat, lon = elsewhere.Lon }, attachTo = target });
        Assert.Equal(HttpStatusCode.BadRequest, closed.StatusCode);
        var missing = await op.PostAsJsonAsync("/api/reports", new { channel = "hotline12345", category = "E0103", description = "垃圾", location = new { lat = elsewhere.Lat, lon = elsewhere.Lon }, attachTo = 987654321 });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }
}
