using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ClosedXML.Excel;
using CityOps.Server.Features.Supervision;
using CityOps.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CityOps.Tests.Evaluation;

/// <summary>
/// Evaluation over HTTP on a record made by the demo accounts: the numbers, the drill-down, a past
/// period that does not move, scheme versions, exports, the callback queue and bad input.
/// </summary>
public sealed class EvaluationApiTests
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_month_is_scored_from_the_record_drilled_to_its_cases_and_kept_when_later_moves_and_schemes_come(string db)
    {
        // Monday 2025-12-01 09:00 in Xiamen. C0106 condition 02: 4 working hours, auto-dispatched to the demo department.
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 12, 1, 9, 0, 0, China).ToUniversalTime());
        await using var app = await CityOpsApp.StartAsync(db, time: time, settings: new() { ["CityOps:Supervision:SweepInterval"] = "01:00:00" });
        var citizen = app.CreateClient();
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");

        // 1: handled on time and closed. 2: never handled, overdue at 15:30. 3: voided in the pool.
        var one = await citizen.ReportAsync("C0106", Api.PointIn("350203"));
        var two = await citizen.ReportAsync("C0106", Api.PointIn("350203"));
        var three = await citizen.ReportAsync("C0106", Api.PointIn("350203"));
        var unitId = (await op.MustAsync(one, "register", new { condition = "02" }))["routing"]!["unitId"]!.GetValue<int>();
        await op.MustAsync(two, "register", new { condition = "02" });
        await op.MustAsync(three, "void", new { reason = "重复无效" });
        var handlerId = await handler.MyIdAsync();
        await unit.MustAsync(one, "assign", new { userId = handlerId });
        await handler.MustAsync(one, "submit", new { notes = "已修复", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        await unit.MustAsync(one, "confirm");
        // A leader's 督办: of case 2 while the unit has it (counted against the unit), of case 1 once the
        // unit has signed it off (the centre's to close, not counted against the unit).
        var lead = await app.SignInAsync("leader");
        await lead.MustAsync(two, "supervise", new { reason = "尽快处置" });
        await lead.MustAsync(one, "supervise", new { reason = "尽快结案" });
        await op.MustAsync(one, "close", new { closingConditionMet = true });

        // The callback queue holds the closed case until the citizen is called back.
        Assert.Contains((await (await op.GetAsync("/api/evaluation/callbacks")).JsonAsync())["items"]!.AsArray(), i => i!["caseId"]!.GetValue<long>() == one);
        Assert.Equal(HttpStatusCode.Conflict, (await op.MoveAsync(two, "callback", new { reached = true, satisfaction = "Satisfied", effective = true })).StatusCode);
        await op.MustAsync(one, "callback", new { reached = true, satisfaction = "Satisfied", effective = true });
        Assert.DoesNotContain((await (await op.GetAsync("/api/evaluation/callbacks")).JsonAsync())["items"]!.AsArray(), i => i!["caseId"]!.GetValue<long>() == one);

        time.SetUtcNow(new DateTimeOffset(2025, 12, 1, 16, 0, 0, China).ToUniversalTime());
        using (var scope = app.Services.CreateScope()) await DeadlineSweeper.SweepAsync(scope.ServiceProvider, CancellationToken.None);

        // January: the month has ended. Hand-computed for the department in 2025-12:
        // should handle 2, handled 1 on time, overdue unhandled 1, to close 2 → handling 1/2 → 15, on time 1/2 → 10,
        // rework 0/2 → 20, overdue pending 1/2 → 10, extension 0 → 10: 65; minus 2 supervision orders × 1 (the leader's and
        // the sweeper's on case 2) and 1 overdue × 0.5 = 62.5, grade C.
        time.SetUtcNow(new DateTimeOffset(2026, 1, 5, 9, 0, 0, China).ToUniversalTime());
        var leader = await app.SignInAsync("leader");
        op = await app.SignInAsync("operator");
        var december = await RowAsync(leader, "period=2025-12", unitId);
        AssertCounts(december, shouldHandle: 2, handled: 1, handledOnTime: 1, overdueUnhandled: 1, toClose: 2, closed: 1, supervisionOrders: 2, effectiveFeedback: 1);
        Assert.Equal(65, december["score"]!["base"]!.GetValue<double>());
        Assert.Equal(2.5, december["score"]!["deducted"]!.GetValue<double>());
        Assert.Equal(62.5, december["score"]!["final"]!.GetValue<double>());
        Assert.Equal("C", december["score"]!["grade"]!.GetValue<string>());
        var drill = await (await leader.GetAsync($"/api/evaluation/cases?period=2025-12&subject=unit:{unitId}&counter=overdueUnhandled")).JsonAsync();
        Assert.Equal([two], drill["cases"]!.AsArray().Select(c => c!["caseId"]!.GetValue<long>()));
        var toClose = await (await leader.GetAsync($"/api/evaluation/cases?from=2025-12-01&to=2025-12-31&subject=unit:{unitId}&counter=toClose")).JsonAsync();
        Assert.Equal([one, two], toClose["cases"]!.AsArray().Select(c => c!["caseId"]!.GetValue<long>()).Order());
        var district = (await (await leader.GetAsync("/api/evaluation/areas?period=2025-12&level=district")).JsonAsync())["rows"]!.AsArray()
            .Single(r => r!["code"]!.GetValue<string>().StartsWith("350203", StringComparison.Ordinal))!;
        Assert.Equal((3, 2, 1), (Count(district, "reported"), Count(district, "registered"), Count(district, "voided")));
        var operators = (await (await leader.GetAsync("/api/evaluation/people?period=2025-12&role=operator")).JsonAsync())["rows"]!.AsArray();
        var me = operators.Single(r => r!["code"]!.GetValue<string>() == "operator@demo.cityops")!;
        Assert.Equal(2, Count(me, "registeredBy"));
        // Case 1 closed within the closing step's hour of the unit's sign-off.
        Assert.Equal((1L, 1L), (Count(me, "closingSteps"), Count(me, "closingStepsOnTime")));

        // Handled in January: December's figures stay as they stood at its end; the year to date sees it.
        unit = await app.SignInAsync("department");
        handler = await app.SignInAsync("handler");
        await unit.MustAsync(two, "assign", new { userId = handlerId });
        await handler.MustAsync(two, "submit", new { notes = "已修复", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        await unit.MustAsync(two, "confirm");
        Assert.Equal(62.5, (await RowAsync(leader, "period=2025-12", unitId))["score"]!["final"]!.GetValue<double>());
        AssertCounts(await RowAsync(leader, "from=2025-12-01&to=2026-01-05", unitId), shouldHandle: 2, handled: 2, handledOnTime: 1, overdueUnhandled: 0,
            toClose: 2, closed: 1, supervisionOrders: 2, effectiveFeedback: 1);

        // This year's scheme changes; last year's results do not. A scheme may not reach back into a closed year.
        var scheme = new
        {
            name = "2026 年考评方案", effectiveFrom = "2026-01-01",
            indicators = new[] { new { indicator = "handlingRate", weight = 100.0 } },
            grades = new[] { new { grade = "优秀", min = 90.0 }, new { grade = "合格", min = 60.0 }, new { grade = "不合格", min = 0.0 } },
            deductions = Array.Empty<object>(),
        };
        Assert.Equal(HttpStatusCode.Forbidden, (await op.PostAsJsonAsync("/api/evaluation/schemes", scheme)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await leader.PostAsJsonAsync("/api/evaluation/schemes", scheme with { effectiveFrom = "2025-12-01" })).StatusCode);
        var uneven = await leader.PostAsJsonAsync("/api/evaluation/schemes", scheme with { indicators = new[] { new { indicator = "handlingRate", weight = 90.0 } } });
        Assert.Equal(HttpStatusCode.BadRequest, uneven.StatusCode);
        Assert.Contains("100", (await uneven.JsonAsync())["errors"]!["indicators"]![0]!.GetValue<string>());
        var created = await leader.PostAsJsonAsync("/api/evaluation/schemes", scheme);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var after = await RowAsync(leader, "period=2025-12", unitId);
        Assert.Equal((62.5, "C"), (after["score"]!["final"]!.GetValue<double>(), after["score"]!["grade"]!.GetValue<string>()));
        var thisYear = await (await leader.GetAsync("/api/evaluation/units?period=2026")).JsonAsync();
        Assert.Equal("2026 年考评方案", thisYear["scheme"]!["name"]!.GetValue<string>());

        // The workbook: cover, a sheet per ranking, red and black lists, with the figures above.
        var xlsx = await leader.GetAsync("/api/evaluation/export.xlsx?period=2025-12");
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        using (var book = new XLWorkbook(await xlsx.Content.ReadAsStreamAsync()))
        {
            Assert.Equal(["封面", "单位排名", "区排名", "街道排名", "社区排名", "受理员", "派遣员", "监督员", "红黑榜"], book.Worksheets.Select(w => w.Name));
            Assert.Contains("2025-12", book.Worksheet("封面").Column(2).CellsUsed().Select(c => c.GetString()));
            var sheet = book.Worksheet("单位排名");
            var headers = sheet.Row(1).CellsUsed().Select(c => c.GetString()).ToList();
            var row = sheet.RowsUsed().Single(r => r.Cell(headers.IndexOf("编码") + 1).GetString() == december["code"]!.GetValue<string>());
            Assert.Equal(62.5, row.Cell(headers.IndexOf("综合得分") + 1).GetDouble());
            Assert.Equal("C", row.Cell(headers.IndexOf("等级") + 1).GetString());
            Assert.Equal(2, row.Cell(headers.IndexOf("应处置数") + 1).GetDouble());
        }
        var csv = await leader.GetAsync("/api/evaluation/export.csv?period=2025-12&table=units");
        var text = await csv.Content.ReadAsStringAsync();
        Assert.StartsWith("名次,编码,名称,上报数", text.TrimStart('\uFEFF'), StringComparison.Ordinal);
        Assert.Contains($",{december["code"]!.GetValue<string>()},", text, StringComparison.Ordinal);
        // A period without cases is a valid, empty workbook.
        using (var empty = new XLWorkbook(await (await leader.GetAsync("/api/evaluation/export.xlsx?period=2024-03")).Content.ReadAsStreamAsync()))
            Assert.Equal(9, empty.Worksheets.Count);

        // Units see their own row only, and only their own cases behind it.
        var own = (await (await unit.GetAsync("/api/evaluation/units?period=2025-12")).JsonAsync())["rows"]!.AsArray();
        Assert.Equal(unitId.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(own)!["subject"]!.GetValue<string>()["unit:".Length..]);
        Assert.Equal(HttpStatusCode.Forbidden, (await unit.GetAsync($"/api/evaluation/cases?period=2025-12&subject=unit:{unitId + 1}&counter=handled")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await unit.GetAsync("/api/evaluation/areas?period=2025-12&level=district")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await unit.GetAsync("/api/evaluation/export.xlsx?period=2025-12")).StatusCode);
    }

    /// <summary>
    /// A case opened by a report without a number (a camera, a web form left blank) and joined by
    /// citizens who left theirs is called back on the first of them; the queue counts the rest.
    /// </summary>
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_case_opened_without_a_number_is_called_back_on_the_first_reporter_who_left_one(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var at = Api.PointIn("350203");
        var first = await app.CreateClient().PostOpen311Async(Api.Report("C0106", at, "井盖松了，路人说可打 139 0000 0070"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = long.Parse((await first.JsonAsync())[0]!["service_request_id"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, phone) in new[] { ("李", "13900000071"), ("王", "13900000072") })
        {
            var form = Api.Report("C0106", at, "井盖又松了");
            (form["first_name"], form["phone"]) = (name, phone);
            var joined = await app.CreateClient().PostOpen311Async(form);
            Assert.Equal(HttpStatusCode.Created, joined.StatusCode);
            Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), (await joined.JsonAsync())[0]!["service_request_id"]!.GetValue<string>());
        }
        await op.MustAsync(id, "register", new { condition = "02" });
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        await handler.MustAsync(id, "submit", new { notes = "已修复", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        await unit.MustAsync(id, "confirm");
        await op.MustAsync(id, "close", new { closingConditionMet = true });

        // Every page: the shared server holds other tests' closed cases, oldest first.
        async Task<JsonNode> QueuedAsync(HttpClient caller)
        {
            for (var page = 1; ; page++)
            {
                var items = (await (await caller.GetAsync($"/api/evaluation/callbacks?pageSize=500&page={page}")).JsonAsync())["items"]!.AsArray();
                if (items.SingleOrDefault(i => i!["caseId"]!.GetValue<long>() == id) is { } found) return found;
                Assert.NotEmpty(items); // not queued at all
            }
        }
        var item = await QueuedAsync(op);
        Assert.Equal("李", item["reporterName"]!.GetValue<string>());
        Assert.Equal("13900000071", item["reporterPhone"]!.GetValue<string>());
        Assert.Equal(1, item["otherReporters"]!.GetValue<int>());
        // The leader sees the same call masked.
        var masked = await QueuedAsync(await app.SignInAsync("leader"));
        Assert.NotEqual("13900000071", masked["reporterPhone"]!.GetValue<string>());
        Assert.EndsWith("0071", masked["reporterPhone"]!.GetValue<string>(), StringComparison.Ordinal);
        // A number typed into the description too.
        Assert.Equal("井盖松了，路人说可打 139 0000 0070", item["description"]!.GetValue<string>());
        Assert.Equal("井盖松了，路人说可打 139****0070", masked["description"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_citizen_not_reached_is_called_again_two_hours_later_three_calls_in_all(string db)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 12, 1, 9, 0, 0, China).ToUniversalTime());
        await using var app = await CityOpsApp.StartAsync(db, time: time, settings: new() { ["CityOps:Supervision:SweepInterval"] = "01:00:00" });
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var (id, other) = (await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203")), await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203")));
        foreach (var c in new[] { id, other })
        {
            await op.MustAsync(c, "register", new { condition = "02" });
            await unit.MustAsync(c, "assign", new { userId = await handler.MyIdAsync() });
            await handler.MustAsync(c, "submit", new { notes = "已修复", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
            await unit.MustAsync(c, "confirm");
            await op.MustAsync(c, "close", new { closingConditionMet = true });
        }
        await op.MustAsync(other, "callback", new { reached = false });

        // Signed in afresh each time: the clock jumps further than a token lives.
        async Task<JsonNode?> QueuedAsync() => (await (await (op = await app.SignInAsync("operator")).GetAsync("/api/evaluation/callbacks")).JsonAsync())["items"]!.AsArray()
            .FirstOrDefault(i => i!["caseId"]!.GetValue<long>() == id);
        Assert.Equal(0, (await QueuedAsync())!["calls"]!.GetValue<int>());
        for (var call = 1; call <= 3; call++)
        {
            await op.MustAsync(id, "callback", new { reached = false });
            Assert.Null(await QueuedAsync()); // just called
            time.Advance(TimeSpan.FromMinutes(119));
            Assert.Null(await QueuedAsync());
            time.Advance(TimeSpan.FromMinutes(1));
            var again = await QueuedAsync();
            if (call < 3)
            {
                Assert.NotNull(again);
                Assert.Equal(call, again["calls"]!.GetValue<int>());
                Assert.NotNull(again["lastCallAt"]);
            }
            else
            {
                Assert.Null(again); // three calls unanswered: it counts as no effective feedback
            }
        }
        var calls = (await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["history"]!.AsArray().Count(e => e!["action"]!.GetValue<string>() == "callback");
        Assert.Equal(3, calls);

        // Tries come back only within a week of the closing: an older citizen not reached is not called again.
        bool Waits(JsonNode queue) => queue["items"]!.AsArray().Any(i => i!["caseId"]!.GetValue<long>() == other);
        Assert.True(Waits(await (await op.GetAsync("/api/evaluation/callbacks")).JsonAsync()));
        time.Advance(TimeSpan.FromDays(7));
        Assert.False(Waits(await (await (await app.SignInAsync("operator")).GetAsync("/api/evaluation/callbacks")).JsonAsync()));
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Bad_evaluation_input_gets_a_clear_4xx(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var leader = await app.SignInAsync("leader");
        foreach (var (url, status, field) in new[]
        {
            ("/api/evaluation/units", HttpStatusCode.BadRequest, "from"),
            ("/api/evaluation/units?period=2026-13", HttpStatusCode.BadRequest, "period"),
            ("/api/evaluation/units?from=2026-03-31&to=2026-03-01", HttpStatusCode.BadRequest, "to"),
            ("/api/evaluation/units?period=2026&from=2026-01-01&to=2026-02-01", HttpStatusCode.BadRequest, "period"),
            ("/api/evaluation/areas?period=2026&level=planet", HttpStatusCode.BadRequest, "level"),
            ("/api/evaluation/people?period=2026&role=mayor", HttpStatusCode.BadRequest, "role"),
            ("/api/evaluation/cases?period=2026&subject=unit:1&counter=bogus", HttpStatusCode.BadRequest, "counter"),
            ("/api/evaluation/cases?period=2026&subject=mayor:1&counter=handled", HttpStatusCode.BadRequest, "subject"),
            ("/api/evaluation/cases?period=2026&subject=unit:99999999&counter=handled", HttpStatusCode.NotFound, ""),
            ("/api/evaluation/trend?period=2026&subject=unit:99999999", HttpStatusCode.NotFound, ""),
            ("/api/evaluation/trend?from=2000-01-01&to=2019-12-31&subject=unit:1&granularity=Day", HttpStatusCode.BadRequest, "granularity"),
            ("/api/evaluation/rankings?period=2026&top=0", HttpStatusCode.BadRequest, "top"),
            ("/api/evaluation/export.csv?period=2026&table=secrets", HttpStatusCode.BadRequest, "table"),
        })
        {
            var response = await leader.GetAsync(url);
            Assert.True(status == response.StatusCode, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            if (field.Length > 0) Assert.NotNull((await response.JsonAsync())["errors"]![field]);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/evaluation/units?period=2026")).StatusCode);
        // The map layers behind the web app, and its language switch, refuse what they cannot serve.
        Assert.Equal(HttpStatusCode.BadRequest, (await leader.GetAsync("/api/areas/layers/Planet")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await leader.GetAsync("/api/areas/layers/District?coordinateSystem=Mars")).StatusCode);
        var district = await (await leader.GetAsync("/api/areas/layers/District?coordinateSystem=GCJ02")).JsonAsync();
        Assert.Equal(6, district["features"]!.AsArray().Count);
        var noRedirect = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        foreach (var (returnUrl, expected) in new[] { ("/cases", "/cases"), ("//evil.example", "/"), ("/\\evil.example", "/"), ("https://evil.example", "/") })
        {
            var switched = await noRedirect.GetAsync($"/culture/en?returnUrl={Uri.EscapeDataString(returnUrl)}");
            Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
            Assert.Equal(expected, switched.Headers.Location!.OriginalString);
        }
        var noWeights = await leader.PostAsJsonAsync("/api/evaluation/schemes", new { name = "x", effectiveFrom = "2099-01-01" });
        Assert.Equal(HttpStatusCode.BadRequest, noWeights.StatusCode);
        var badCounter = await leader.PostAsJsonAsync("/api/evaluation/schemes", new
        {
            name = "x", effectiveFrom = "2099-01-01", indicators = new[] { new { indicator = "handlingRate", weight = 100 } },
            grades = new[] { new { grade = "A", min = 0 } }, deductions = new[] { new { counter = "DROP TABLE", points = 1 } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, badCounter.StatusCode);
        var trend = await (await leader.GetAsync("/api/evaluation/trend?period=2026&subject=unit:1&granularity=Quarter")).JsonAsync();
        Assert.Equal(4, trend.AsArray().Count);
    }

    private static async Task<JsonNode> RowAsync(HttpClient client, string query, int unitId)
    {
        var table = await (await client.GetAsync($"/api/evaluation/units?{query}")).JsonAsync();
        return table["rows"]!.AsArray().Single(r => r!["subject"]!.GetValue<string>() == $"unit:{unitId}")!;
    }

    private static long Count(JsonNode row, string counter) => row["counts"]![counter]!.GetValue<long>();

    private static void AssertCounts(JsonNode row, long shouldHandle, long handled, long handledOnTime, long overdueUnhandled, long toClose, long closed,
        long supervisionOrders, long effectiveFeedback) =>
        Assert.Equal((shouldHandle, handled, handledOnTime, overdueUnhandled, toClose, closed, supervisionOrders, effectiveFeedback),
            (Count(row, "shouldHandle"), Count(row, "handled"), Count(row, "handledOnTime"), Count(row, "overdueUnhandled"), Count(row, "toClose"),
             Count(row, "closed"), Count(row, "supervisionOrders"), Count(row, "effectiveFeedback")));
}
