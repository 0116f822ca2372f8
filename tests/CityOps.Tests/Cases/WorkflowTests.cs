using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Cases;

/// <summary>The closed loop driven by the demo accounts over HTTP, from an Open311 report to the callback.</summary>
public sealed class WorkflowTests
{
    // 路灯井盖 (street-light manhole cover): routed city-wide to the municipal roads division, auto-dispatch allowed.
    private const string Category = "C0106";
    private const string Siming = "350203";

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_report_goes_round_the_whole_loop_and_Open311_shows_it_closed_with_its_notes(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var inspector = await app.SignInAsync("inspector");

        await op.MustAsync(id, "claim");
        var registered = await op.MustAsync(id, "register", new { condition = "02" });
        // Unambiguous routing and a category that allows it: dispatched in the same move.
        Assert.Equal("Dispatched", registered["state"]!.GetValue<string>());
        Assert.Equal("city-municipal", registered["routing"]!["unitCode"]!.GetValue<string>());
        Assert.Equal("handle", registered["deadline"]!["step"]!.GetValue<string>());
        Assert.Equal("WorkingHours", registered["deadline"]!["unit"]!.GetValue<string>());

        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        var photo = await handler.UploadAsync(Loop.Photo());
        await handler.MustAsync(id, "submit", new { notes = "已更换井盖", attachments = new[] { photo } });
        await unit.MustAsync(id, "confirm");
        var verifying = await op.MustAsync(id, "verify");
        Assert.Equal(await inspector.MyIdAsync(), verifying["work"]!["taskAssigneeId"]!.GetValue<string>());
        await inspector.MustAsync(id, "verify-report", new { passed = true, notes = "现场已修复", attachments = new[] { await inspector.UploadAsync(Loop.Photo()) } });
        var closed = await op.MustAsync(id, "close", new { closingConditionMet = true });
        Assert.Equal("Closed", closed["state"]!.GetValue<string>());
        var called = await op.MustAsync(id, "callback", new { reached = true, satisfaction = "Satisfied", effective = true, comment = "满意" });
        Assert.True(called["work"]!["effectiveFeedback"]!.GetValue<bool>());

        var file = await (await op.GetAsync($"/api/cases/{id}")).JsonAsync();
        var actions = file["history"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()).ToArray();
        Assert.Equal(["report", "claim", "register", "dispatch", "assign", "submit", "confirm", "verify", "verify-report", "close", "callback"], actions);
        var submit = file["history"]!.AsArray().First(e => e!["action"]!.GetValue<string>() == "submit")!;
        Assert.Contains(photo, submit["data"]!.GetValue<string>(), StringComparison.Ordinal);

        var open311 = await app.CreateClient().GetStringAsync($"/open311/v2/requests/{id}.json?extensions=true");
        Open311Schemas.AssertValid("requests", open311);
        var request = JsonNode.Parse(open311)![0]!;
        Assert.Equal("closed", request["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(request["status_notes"]!.GetValue<string>()));
        // The closing text the platform wrote (the registration condition's) reads in the reader's language.
        var closing = (await (await op.GetAsync("/api/categories")).JsonAsync()).AsArray().Single(c => c!["serviceCode"]!.GetValue<string>() == Category)!["conditions"]!
            .AsArray().Single(k => k!["code"]!.GetValue<string>() == "02")!;
        Assert.Equal(closing["closingZh"]!.GetValue<string>(), request["status_notes"]!.GetValue<string>());
        Assert.Equal(closing["closingEn"]!.GetValue<string>(),
            JsonNode.Parse(await app.CreateClient().GetStringAsync($"/open311/v2/requests/{id}.json?culture=en"))![0]!["status_notes"]!.GetValue<string>());
        Assert.Equal(["report", "register", "dispatch", "confirm", "close"], request["notes"]!.AsArray().Select(n => n!["type"]!.GetValue<string>()).ToArray());

        var audit = await (await op.GetAsync("/api/inbox")).JsonAsync();
        Assert.NotNull(audit);
        var admin = await app.SignInAsync("admin");
        var verify = await (await admin.GetAsync($"/api/audit/verify?caseId={id}")).JsonAsync();
        Assert.True(verify["intact"]!.GetValue<bool>());
        Assert.Equal(11, verify["eventsChecked"]!.GetValue<long>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Returns_rework_voids_and_fact_checks_take_their_paths_and_keep_the_history(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var dispatcher = await app.SignInAsync("dispatcher");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var inspector = await app.SignInAsync("inspector");

        // Fact-check first, then register; the unit returns it (not its job); re-dispatched; rework after feedback.
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        await op.MustAsync(id, "factcheck");
        await inspector.MustAsync(id, "factcheck-report", new { passed = true, notes = "属实" });
        Assert.Equal(1, await NoticesAsync(op, id, "factcheck-report")); // the owner hears what the check found
        // Routed to the unit but still with the centre: the unit neither opens nor lists it until it is dispatched.
        Assert.Equal(HttpStatusCode.NotFound, (await unit.GetAsync($"/api/cases/{id}")).StatusCode);
        Assert.DoesNotContain((await (await unit.GetAsync("/api/cases?pageSize=500&state=Reported")).JsonAsync())["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        await op.MustAsync(id, "register", new { condition = "03" });
        Assert.Equal(HttpStatusCode.OK, (await unit.GetAsync($"/api/cases/{id}")).StatusCode);
        var returned = await unit.MustAsync(id, "return", new { reason = "不属于本单位职责" });
        Assert.Equal("Registered", returned["state"]!.GetValue<string>());
        await dispatcher.MustAsync(id, "dispatch", new { unitId = returned["appended"]!.AsArray().Last()!["unitId"]!.GetValue<int>() });
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        await handler.MustAsync(id, "submit", new { notes = "处理完毕", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        await unit.MustAsync(id, "confirm");
        Assert.Equal(1, await NoticesAsync(op, id, "feedback")); // back with its owner, who is told
        Assert.Equal(0, await NoticesAsync(dispatcher, id, "feedback"));
        var rework = await dispatcher.MustAsync(id, "rework", new { reason = "照片不清晰" });
        Assert.Equal("Dispatched", rework["state"]!.GetValue<string>());
        Assert.Equal(1, rework["work"]!["reworkCount"]!.GetValue<int>());
        Assert.Equal(1, rework["work"]!["returnCount"]!.GetValue<int>());
        // The public record says the case went back for rework, not what the centre wrote about the unit's work.
        var notes = JsonNode.Parse(await app.CreateClient().GetStringAsync($"/open311/v2/requests/{id}.json?extensions=true"))![0]!["notes"]!.AsArray();
        Assert.DoesNotContain(notes, n => n!["description"]?.GetValue<string>().Contains("照片不清晰", StringComparison.Ordinal) == true);
        Assert.False(string.IsNullOrWhiteSpace(notes.Single(n => n!["type"]!.GetValue<string>() == "rework")!["description"]!.GetValue<string>()));
        using (var scope = app.Services.CreateScope())
        {
            // Nor does the webhook to partner systems carry it.
            var payload = await scope.ServiceProvider.GetRequiredService<CityOpsDb>().Outbox.Where(m => m.CaseId == id && m.Kind == "case.rework").Select(m => m.Payload).SingleAsync();
            var reason = JsonNode.Parse(payload)!["reason"]!.GetValue<string>();
            Assert.Equal(notes.Single(n => n!["type"]!.GetValue<string>() == "rework")!["description"]!.GetValue<string>(), reason);
        }

        // A report that meets no condition is voided with a reason; Open311 shows it closed.
        var voidId = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        Assert.Equal(HttpStatusCode.BadRequest, (await op.MoveAsync(voidId, "void")).StatusCode);
        await op.MustAsync(voidId, "void", new { reason = "不符合立案条件" });
        var voided = JsonNode.Parse(await app.CreateClient().GetStringAsync($"/open311/v2/requests/{voidId}.json"))![0]!;
        Assert.Equal("closed", voided["status"]!.GetValue<string>());
        Assert.Equal("不符合立案条件", voided["status_notes"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Moves_out_of_turn_or_by_the_wrong_person_are_refused_and_change_nothing(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var otherUnit = await app.SignInAsync("city-water");
        var handler = await app.SignInAsync("handler");
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));

        var early = await op.MoveAsync(id, "close", new { closingConditionMet = true });
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        var problem = await early.JsonAsync();
        Assert.Contains("register", problem["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Forbidden, (await unit.MoveAsync(id, "register", new { condition = "01" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await op.MoveAsync(id, "register", new { condition = "99" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.MoveAsync(id, "teleport")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await op.PostAsync($"/api/cases/{id}/callback", new StringContent("{\"satisfaction\":\"ecstatic\"}", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        var plain = await op.PostAsync($"/api/cases/{id}/claim", new StringContent("x", System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
        Assert.Contains("application/json", (await plain.JsonAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        // Refusals the framework makes without words get them too.
        var noRoute = await op.GetAsync("/api/cases/abc");
        Assert.Equal(HttpStatusCode.NotFound, noRoute.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace((await noRoute.JsonAsync())["detail"]?.GetValue<string>()));
        // In the request's language, like every other refusal: the framework's and the exception handler's too.
        foreach (var path in new[] { "/api/cases/abc", "/api/cases?pageSize=abc" })
        {
            var english = new HttpRequestMessage(HttpMethod.Get, path);
            english.Headers.AcceptLanguage.ParseAdd("en");
            var detail = (await (await op.SendAsync(english)).JsonAsync())["detail"]!.GetValue<string>();
            Assert.DoesNotMatch(@"\p{IsCJKUnifiedIdeographs}", detail);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await op.GetAsync("/api/cases?page=2147483647")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await op.GetAsync("/api/cases?from=yesterday")).StatusCode);
        // A value the framework cannot read as its type is named like any other field at fault.
        foreach (var (query, name) in new[] { ("from=yesterday", "from"), ("pageSize=abc", "pageSize"), ("page=99999999999", "page"), ("overdue=maybe", "overdue"), ("unit=2&unit=3", "unit") })
        {
            var unread = await op.GetAsync($"/api/cases?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, unread.StatusCode);
            Assert.NotNull((await unread.JsonAsync())["errors"]?[name]);
        }
        // One state by name: a list or a number would be OR-ed into another state by the framework.
        foreach (var bad in new[] { "state=Verifying,Reported", "state=99", "state=-1", "state=Nowhere", "unit=999999", "sort=oldest" })
            Assert.Equal(HttpStatusCode.BadRequest, (await op.GetAsync($"/api/cases?{bad}")).StatusCode);
        Assert.Contains("due", (await (await op.GetAsync("/api/cases?sort=soonest")).JsonAsync())["errors"]!["sort"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        // The nearest deadline first, cases without a running clock last.
        var due = (await (await op.GetAsync("/api/cases?sort=Due&pageSize=500")).JsonAsync())["items"]!.AsArray()
            .Select(c => c!["deadline"]?["dueAt"]?.GetValue<DateTimeOffset>()).ToList();
        Assert.Contains(due, d => d is not null);
        Assert.Equal(due.OrderBy(d => d is null).ThenBy(d => d).ToList(), due);
        var reported = await (await op.GetAsync("/api/cases?state=reported&pageSize=500")).JsonAsync();
        Assert.Contains(reported["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        Assert.All(reported["items"]!.AsArray(), c => Assert.Equal("Reported", c!["state"]!.GetValue<string>()));
        // An area is a district, subdistrict or community, a grid cell, or the whole city.
        var place = (await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["place"]!;
        var city = (await (await op.GetAsync("/api/areas?level=City")).JsonAsync()).AsArray().Single()!["code"]!.GetValue<string>();
        foreach (var code in new[] { place["cell"]!.GetValue<string>(), place["community"]!.GetValue<string>(), place["district"]!.GetValue<string>(), city })
        {
            var inArea = await (await op.GetAsync($"/api/cases?area={code}&state=Reported&pageSize=500")).JsonAsync();
            Assert.Contains(inArea["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        }
        var otherCell = Api.CellsOf("350206")[0].Code;
        Assert.DoesNotContain((await (await op.GetAsync($"/api/cases?area={otherCell}&pageSize=500")).JsonAsync())["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        Assert.Equal(HttpStatusCode.BadRequest, (await op.GetAsync("/api/cases?area=000000")).StatusCode);
        await op.MustAsync(id, "register", new { condition = "01" });
        // The unit's decisions are its leads': a handler cannot send back a case nobody gave them.
        Assert.Equal(HttpStatusCode.Forbidden, (await handler.MoveAsync(id, "return", new { reason = "不归我管" })).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await otherUnit.MoveAsync(id, "assign", new { userId = await handler.MyIdAsync() })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await unit.MoveAsync(id, "assign", new { userId = await op.MyIdAsync() })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await unit.MoveAsync(id, "return")).StatusCode);
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        // Handing it again to the handler who has it changes nothing, so it is refused.
        var same = await unit.MoveAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        Assert.Equal(HttpStatusCode.BadRequest, same.StatusCode);
        Assert.Equal("userId", (await same.JsonAsync())["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await handler.MoveAsync(id, "submit", new { notes = "无照片" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await handler.MoveAsync(id, "submit", new { notes = "伪造哈希", attachments = new[] { new string('a', 64) } })).StatusCode);

        // Nothing of the refused moves reached the record.
        var history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray().Select(e => e!["action"]!.GetValue<string>()).ToArray();
        Assert.Equal(["report", "register", "dispatch", "assign"], history);

        // Nor refuse their own result: sending it back is the unit's sign-off.
        await handler.MustAsync(id, "submit", new { notes = "已处理", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        Assert.Equal(HttpStatusCode.Forbidden, (await handler.MoveAsync(id, "rework", new { reason = "再做一次" })).StatusCode);
        await unit.MustAsync(id, "rework", new { reason = "未清理干净" });
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_repeated_move_is_made_once_and_of_two_racing_moves_exactly_one_wins(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var lead = await app.SignInAsync("shiftlead");
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));

        var key = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.OK, (await op.MoveAsync(id, "claim", null, key)).StatusCode);
        var again = await op.MoveAsync(id, "claim", null, key);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());

        var results = await Task.WhenAll(
            op.MoveAsync(id, "register", new { condition = "01" }),
            lead.MoveAsync(id, "void", new { reason = "重复" }));
        Assert.Equal(1, results.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(1, results.Count(r => r.StatusCode == HttpStatusCode.Conflict));

        var stale = await op.MoveAsync(id, "supervise", new { reason = "x", version = 1 });
        Assert.True(stale.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Forbidden);
        var history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        Assert.Single(history, e => e!["action"]!.GetValue<string>() == "claim");
    }

    /// <summary>If-Match names one version as ETag gave it; anything else is refused, never ignored.</summary>
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task If_Match_is_one_version_as_ETag_gave_it_or_the_move_is_refused(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        async Task<HttpResponseMessage> SendAsync(string action, object body, string ifMatch)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/cases/{id}/{action}") { Content = JsonContent.Create(body) };
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            return await op.SendAsync(request);
        }
        foreach (var bad in new[] { "\"garbage\"", "\"0\", \"7\"", "0", "\"-1\"" })
        {
            var refused = await SendAsync("claim", new { }, bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("If-Match", (await refused.JsonAsync())["field"]!.GetValue<string>());
        }
        var disagree = await SendAsync("claim", new { version = 3 }, "\"0\"");
        Assert.Equal(HttpStatusCode.BadRequest, disagree.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync("claim", new { }, "\"5\"")).StatusCode);
        var claimed = await SendAsync("claim", new { }, "W/\"0\"");
        Assert.Equal(HttpStatusCode.OK, claimed.StatusCode);
        Assert.Equal("\"1\"", claimed.Headers.ETag!.Tag);
        // A stale view in either place is stale.
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync("register", new { condition = "01", version = 0 }, "\"0\"")).StatusCode);
        var history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        Assert.Equal(["report", "claim"], history.Select(e => e!["action"]!.GetValue<string>()).ToArray());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("register", new { condition = "01" }, "*")).StatusCode);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_key_names_one_move_and_a_units_request_goes_with_the_clock_it_was_made_on(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var lead = await app.SignInAsync("shiftlead");
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));

        // The same key for another move is refused, not answered as a repeat of the first.
        var key = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.OK, (await op.MoveAsync(id, "claim", null, key)).StatusCode);
        var reused = await op.MoveAsync(id, "factcheck", null, key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Equal("Idempotency-Key", (await reused.JsonAsync())["field"]!.GetValue<string>());
        var history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        Assert.Equal(["report", "claim"], history.Select(e => e!["action"]!.GetValue<string>()).ToArray());
        // So is the same key with other input: the changed request was never made.
        var superviseKey = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.OK, (await lead.MoveAsync(id, "supervise", new { reason = "请加快" }, superviseKey)).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await lead.MoveAsync(id, "supervise", new { reason = "请尽快" }, superviseKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await lead.MoveAsync(id, "supervise", new { reason = "请加快" }, superviseKey)).StatusCode);
        // A key tells nobody anything about a case they cannot see: another's key on it is "no such case".
        var outsider = await app.SignInAsync("city-marine");
        var probe = await outsider.MoveAsync(id, "return", new { reason = "探测" }, key);
        Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
        Assert.Equal((await (await outsider.MoveAsync(id, "return", new { reason = "探测" }, Guid.NewGuid().ToString())).JsonAsync())["detail"]!.GetValue<string>(),
            (await probe.JsonAsync())["detail"]!.GetValue<string>());
        // One key a request.
        var twoKeys = new HttpRequestMessage(HttpMethod.Post, $"/api/cases/{id}/supervise") { Content = JsonContent.Create(new { reason = "两把钥匙" }) };
        twoKeys.Headers.Add("Idempotency-Key", ["k1", "k2"]);
        var refusedKeys = await lead.SendAsync(twoKeys);
        Assert.Equal(HttpStatusCode.BadRequest, refusedKeys.StatusCode);
        Assert.Equal("Idempotency-Key", (await refusedKeys.JsonAsync())["field"]!.GetValue<string>());
        history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        Assert.Equal(["report", "claim", "supervise"], history.Select(e => e!["action"]!.GetValue<string>()).ToArray());

        // The unit asks for more time, then returns the case (not its job).
        await op.MustAsync(id, "register", new { condition = "02" }); // auto-dispatched to the unit
        await unit.MustAsync(id, "extend", new { value = 2, reason = "需要采购配件" });
        var returnKey = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.OK, (await unit.MoveAsync(id, "return", new { reason = "非本单位职责" }, returnKey)).StatusCode);
        // Its retry under the same key is answered as the return was, though the case has left its sight.
        Assert.Equal(HttpStatusCode.NotFound, (await unit.GetAsync($"/api/cases/{id}")).StatusCode);
        var retried = await unit.MoveAsync(id, "return", new { reason = "非本单位职责" }, returnKey);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("true", retried.Headers.GetValues("Idempotent-Replayed").Single());
        // The request went with the clock it was made on: nobody can approve it now, and the unit was told.
        var file = await (await op.GetAsync($"/api/cases/{id}")).JsonAsync();
        Assert.Equal("Registered", file["state"]!.GetValue<string>());
        Assert.Equal("None", file["work"]!["pending"]!.GetValue<string>());
        Assert.Single(file["history"]!.AsArray(), e => e!["action"]!.GetValue<string>() == "return");
        Assert.Equal(HttpStatusCode.Conflict, (await lead.MoveAsync(id, "approve")).StatusCode);
        Assert.Contains((await (await unit.GetAsync("/api/inbox")).JsonAsync()).AsArray(),
            n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "withdrawn");
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_case_reopened_at_callback_goes_back_to_the_unit_in_its_inbox_and_in_the_public_record(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        await op.MustAsync(id, "register", new { condition = "02" });
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        await handler.MustAsync(id, "submit", new { notes = "已更换井盖", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        await unit.MustAsync(id, "confirm");
        await op.MustAsync(id, "close", new { closingConditionMet = true });

        // Only a citizen who was reached can have rejected the result, with a rating the scale has.
        var unreached = await op.MoveAsync(id, "callback", new { reached = false, reopen = true });
        Assert.Equal(HttpStatusCode.BadRequest, unreached.StatusCode);
        Assert.Equal("reopen", (await unreached.JsonAsync())["field"]!.GetValue<string>());
        var offScale = await op.MoveAsync(id, "callback", new { reached = true, satisfaction = 99, effective = true });
        Assert.Equal(HttpStatusCode.BadRequest, offScale.StatusCode);
        Assert.Equal("satisfaction", (await offScale.JsonAsync())["field"]!.GetValue<string>());

        var reopened = await op.MustAsync(id, "callback", new { reached = true, satisfaction = "Dissatisfied", effective = false, reopen = true });
        Assert.Equal("Dispatched", reopened["state"]!.GetValue<string>());
        Assert.Contains((await (await unit.GetAsync("/api/inbox")).JsonAsync()).AsArray(),
            n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "reopened");
        var request = JsonNode.Parse(await app.CreateClient().GetStringAsync($"/open311/v2/requests/{id}.json?extensions=true"))![0]!;
        Assert.Equal("open", request["status"]!.GetValue<string>());
        var last = request["notes"]!.AsArray()[^1]!;
        Assert.Equal("callback", last["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(last["description"]!.GetValue<string>()));

        // The call was about the rejected result: the case carries no rating now, and once handled and
        // closed again its citizen is in the callback queue again, for the new result.
        Assert.Null(reopened["work"]!["callbackReached"]);
        Assert.Null(reopened["work"]!["satisfaction"]);
        Assert.Null(reopened["work"]!["effectiveFeedback"]);
        Assert.False(await InCallbackQueueAsync(op, id));
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        await handler.MustAsync(id, "submit", new { notes = "重新固定井盖", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        await unit.MustAsync(id, "confirm");
        await op.MustAsync(id, "close", new { closingConditionMet = true });
        Assert.True(await InCallbackQueueAsync(op, id));
        var second = await op.MustAsync(id, "callback", new { reached = true, satisfaction = "Satisfied", effective = true });
        Assert.Equal("Satisfied", second["work"]!["satisfaction"]!.GetValue<string>());
        Assert.False(await InCallbackQueueAsync(op, id));
        // The rating stands: no later call, reached or not, rewrites it.
        foreach (var later in new object[] { new { reached = true, satisfaction = "Dissatisfied", effective = false }, new { reached = false } })
        {
            var refused = await op.MoveAsync(id, "callback", later);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("回访已完成", (await refused.JsonAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        // Both calls stay in the record.
        var calls = (await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["history"]!.AsArray().Where(e => e!["action"]!.GetValue<string>() == "callback").ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal("Satisfied", (await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["work"]!["satisfaction"]!.GetValue<string>());
        Assert.Contains("Dissatisfied", calls[0]!["data"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>Whether the case waits in the callback queue (every page of it: the shared server holds other tests' cases).</summary>
    private static async Task<bool> InCallbackQueueAsync(HttpClient op, long id)
    {
        for (var page = 1; ; page++)
        {
            var json = await (await op.GetAsync($"/api/evaluation/callbacks?pageSize=500&page={page}")).JsonAsync();
            var items = json["items"]!.AsArray();
            if (items.Any(i => i!["caseId"]!.GetValue<long>() == id)) return true;
            if (page * 500 >= json["total"]!.GetValue<int>()) return false;
        }
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task An_edited_event_is_named_by_the_audit(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        await op.MustAsync(id, "claim");
        await op.MustAsync(id, "register", new { condition = "01" });
        var admin = await app.SignInAsync("admin");
        Assert.True((await (await admin.GetAsync($"/api/audit/verify?caseId={id}")).JsonAsync())["intact"]!.GetValue<bool>());

        using (var scope = app.Services.CreateScope())
        {
            var dbc = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
            await dbc.CaseEvents.Where(e => e.CaseId == id && e.Seq == 2).ExecuteUpdateAsync(s => s.SetProperty(e => e.ActorName, "someone else"));
        }
        var verify = await (await admin.GetAsync($"/api/audit/verify?caseId={id}")).JsonAsync();
        Assert.False(verify["intact"]!.GetValue<bool>());
        Assert.Equal(id, verify["broken"]![0]!["caseId"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync("/api/audit/verify")).StatusCode);
        // A case that does not exist has no record to call intact.
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/audit/verify?caseId=999999999")).StatusCode);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task The_centre_recalls_a_case_from_a_unit_with_a_reason_the_unit_and_handler_are_told_and_it_goes_elsewhere(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var dispatcher = await app.SignInAsync("dispatcher");
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        await op.MustAsync(id, "register", new { condition = "02" }); // auto-dispatched to the municipal roads division
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });

        // Only the centre's dispatchers recall, and only with a reason.
        Assert.Equal(HttpStatusCode.Forbidden, (await unit.MoveAsync(id, "recall", new { reason = "不是我们的" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.MoveAsync(id, "recall", new { reason = "派错了" })).StatusCode);
        var bare = await dispatcher.MoveAsync(id, "recall");
        Assert.Equal(HttpStatusCode.BadRequest, bare.StatusCode);
        Assert.Equal("reason", (await bare.JsonAsync())["field"]!.GetValue<string>());

        var recalled = await dispatcher.MustAsync(id, "recall", new { reason = "应由园林部门处置，改派" });
        Assert.Equal("Registered", recalled["state"]!.GetValue<string>());
        Assert.Equal("dispatch", recalled["deadline"]!["step"]!.GetValue<string>());
        Assert.Null(recalled["work"]!["handlerId"]);
        Assert.Contains("dispatch", recalled["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()));
        foreach (var told in new[] { unit, handler })
            Assert.Contains((await (await told.GetAsync("/api/inbox")).JsonAsync()).AsArray(),
                n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "recalled");
        // Out of the unit's hands: it no longer sees the case or moves it.
        Assert.Equal(HttpStatusCode.NotFound, (await unit.GetAsync($"/api/cases/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await handler.MoveAsync(id, "submit", new { notes = "已修复" })).StatusCode);
        var landscaping = (await (await dispatcher.GetAsync("/api/units")).JsonAsync()).AsArray().First(u => u!["code"]!.GetValue<string>() == "city-landscaping")!;
        var sent = await dispatcher.MustAsync(id, "dispatch", new { unitId = landscaping["id"]!.GetValue<int>() });
        Assert.Equal("Dispatched", sent["state"]!.GetValue<string>());
        var recall = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray().Single(e => e!["action"]!.GetValue<string>() == "recall")!;
        Assert.Equal("应由园林部门处置，改派", recall["reason"]!.GetValue<string>());
        Assert.Equal("Handling", recall["from"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_report_repeating_an_open_case_is_merged_into_it_and_its_citizen_is_pointed_there(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var original = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        await op.MustAsync(original, "register", new { condition = "02" }); // with the municipal division now
        // Filed under another category, so intake did not join them.
        var repeat = await app.CreateClient().ReportAsync("C0124", Api.PointIn(Siming));
        var gone = await app.CreateClient().ReportAsync("C0124", Api.PointIn(Siming));
        await op.MustAsync(gone, "void", new { reason = "无效上报" });
        var pooled = await app.CreateClient().ReportAsync("C0124", Api.PointIn(Siming));

        // Only into another case registered and still being handled (not one that may yet be voided itself);
        // a refused merge leaves the report as it was.
        foreach (var target in new[] { repeat, gone, pooled, 999_999_999L })
        {
            var refused = await op.MoveAsync(repeat, "void", new { reason = "重复", duplicateOf = target });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("duplicateOf", (await refused.JsonAsync())["field"]!.GetValue<string>());
        }
        Assert.Equal("Reported", (await (await op.GetAsync($"/api/cases/{repeat}")).JsonAsync())["state"]!.GetValue<string>());

        var merged = await op.MustAsync(repeat, "void", new { reason = "同一处井盖", duplicateOf = original });
        Assert.Equal("Voided", merged["state"]!.GetValue<string>());
        var request = JsonNode.Parse(await app.CreateClient().GetStringAsync($"/open311/v2/requests/{repeat}.json"))![0]!;
        Assert.Equal("closed", request["status"]!.GetValue<string>());
        Assert.Contains(original.ToString(System.Globalization.CultureInfo.InvariantCulture), request["status_notes"]!.GetValue<string>(), StringComparison.Ordinal);
        // The public record's void note points there too, in the reader's language.
        string VoidNote(string json) => JsonNode.Parse(json)![0]!["notes"]!.AsArray().Single(n => n!["type"]!.GetValue<string>() == "void")!["description"]!.GetValue<string>();
        Assert.Equal($"与案件 {original} 重复，已并入该案件办理。同一处井盖", VoidNote(await app.CreateClient().GetStringAsync($"/open311/v2/requests/{repeat}.json?extensions=true")));
        Assert.Equal($"A repeat of case {original}, which handles it. 同一处井盖", VoidNote(await app.CreateClient().GetStringAsync($"/open311/v2/requests/{repeat}.json?extensions=true&culture=en")));
        var voidEvent = (await (await op.GetAsync($"/api/cases/{repeat}/history")).JsonAsync()).AsArray().Single(e => e!["action"]!.GetValue<string>() == "void")!;
        Assert.Contains($"\"duplicateOf\":{original}", voidEvent["data"]!.GetValue<string>(), StringComparison.Ordinal);
        // Whoever answers for the original now (the division handling it) hears of the repeat.
        Assert.Contains((await (await (await app.SignInAsync("department")).GetAsync("/api/inbox")).JsonAsync()).AsArray(),
            n => n!["caseId"]?.GetValue<long>() == original && n["kind"]!.GetValue<string>() == "duplicate");
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_refusal_names_the_field_and_the_moves_still_open_in_the_readers_language_and_changes_nothing(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var lead = await app.SignInAsync("shiftlead");
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        await op.MustAsync(id, "register", new { condition = "02" }); // auto-dispatched to the unit

        // Input refused (400): the field, and what the caller may still do, the same move with a reason among it.
        var noReason = await unit.MoveAsync(id, "return", new { });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        var body = await noReason.JsonAsync();
        Assert.Equal("reason", body["field"]!.GetValue<string>());
        Assert.Contains("return", body["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("操作被拒绝", body["title"]!.GetValue<string>());

        // A JSON value of the wrong type names its field; the sentences join as Chinese does.
        var wrongType = await unit.MoveAsync(id, "extend", new { reason = "需要采购配件", value = "两天" });
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        body = await wrongType.JsonAsync();
        Assert.Equal("value", body["field"]!.GetValue<string>());
        Assert.True(body["errors"]!["value"] is JsonArray);
        Assert.DoesNotContain("。 ", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // A move refused to a role names it in words; the framework's own refusals get titles in the reader's language.
        var notYours = await unit.MoveAsync(id, "approve");
        Assert.Equal(HttpStatusCode.Forbidden, notYours.StatusCode);
        Assert.Contains("“批准”", (await notYours.JsonAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("未找到", (await (await op.GetAsync("/api/no-such-thing")).JsonAsync())["title"]!.GetValue<string>());
        using (var english = new HttpRequestMessage(HttpMethod.Get, "/api/no-such-thing"))
        {
            english.Headers.AcceptLanguage.ParseAdd("en");
            Assert.Equal("Not found", (await (await op.SendAsync(english)).JsonAsync())["title"]!.GetValue<string>());
        }

        // Too many files: the limit of a move, not of a report.
        var photos = await unit.MoveAsync(id, "assign", new { userId = await unit.MyIdAsync(), attachments = Enumerable.Range(0, 21).Select(i => i.ToString("x64")).ToArray() });
        Assert.Equal(HttpStatusCode.BadRequest, photos.StatusCode);
        Assert.Equal("照片过多（最多 20 张）。", (await photos.JsonAsync())["detail"]!.GetValue<string>());

        // A suspension has no length: a value sent with it is not kept, as an approval's is not read.
        // Asked for in English, it reaches the shift lead in the lead's own language.
        unit.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        await unit.MustAsync(id, "suspend", new { reason = "等待产权单位确认", value = -5 });
        string Notice(JsonNode inbox) => inbox.AsArray().Single(n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "request")!["text"]!.GetValue<string>();
        Assert.Equal($"案件 {id} 的处置单位申请挂账，请审批。", Notice(await (await lead.GetAsync("/api/inbox")).JsonAsync()));
        Assert.Equal($"The unit handling case {id} asks to suspend it: please decide.", Notice(await (await lead.GetAsync("/api/inbox?culture=en")).JsonAsync()));
        Assert.Null((await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["work"]!["pendingValue"]);
        var approved = await lead.MustAsync(id, "approve", new { value = -1 });
        Assert.True(approved["deadline"]!["paused"]!.GetValue<bool>());

        var history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        Assert.Equal(["report", "register", "dispatch", "suspend", "approve"], history.Select(e => e!["action"]!.GetValue<string>()).ToArray());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task At_a_change_of_shift_an_owned_case_is_handed_to_another_operator_who_is_told_and_owns_it_from_then_on(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var lead = await app.SignInAsync("shiftlead");
        var admin = await app.SignInAsync("admin");
        var email = $"op-{Guid.NewGuid():N}"[..15] + "@test.cityops";
        var centre = (await (await op.GetAsync("/api/auth/me")).JsonAsync())["unitId"]!.GetValue<int>();
        var created = await admin.PostAsJsonAsync("/api/admin/users", new { email, displayName = "夜班受理员（测试）", password = "Strong-Passw0rd", roles = new[] { "operator" }, unitId = centre });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var nightId = (await created.JsonAsync())["id"]!.GetValue<string>();
        var night = app.CreateClient();
        var login = await night.PostAsJsonAsync("/api/auth/login", new { email, password = "Strong-Passw0rd" });
        night.DefaultRequestHeaders.Authorization = new("Bearer", (await login.JsonAsync())["accessToken"]!.GetValue<string>());

        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        var unowned = await op.MoveAsync(id, "transfer", new { userId = nightId }); // nobody owns it yet: claim it
        Assert.Equal(HttpStatusCode.Conflict, unowned.StatusCode);
        Assert.Contains("尚无人领取", (await unowned.JsonAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await op.MustAsync(id, "claim");
        var claimedAgain = await night.MoveAsync(id, "claim");
        Assert.Equal(HttpStatusCode.Conflict, claimedAgain.StatusCode);
        Assert.Contains("已被领取", (await claimedAgain.JsonAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // Only the centre's operators and shift leads hand over, only to one of them, never to the owner.
        Assert.Equal(HttpStatusCode.Forbidden, (await (await app.SignInAsync("dispatcher")).MoveAsync(id, "transfer", new { userId = nightId })).StatusCode);
        foreach (object body in new object[] { new { }, new { userId = await (await app.SignInAsync("handler")).MyIdAsync() }, new { userId = await op.MyIdAsync() }, new { userId = "no-such-user" } })
        {
            var refused = await op.MoveAsync(id, "transfer", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("userId", (await refused.JsonAsync())["field"]!.GetValue<string>());
        }

        // The shift lead hands the day operator's case to the night operator.
        var handed = await lead.MustAsync(id, "transfer", new { userId = nightId, reason = "交班" });
        Assert.Equal(nightId, handed["work"]!["claimedById"]!.GetValue<string>());
        Assert.Contains((await (await night.GetAsync("/api/inbox")).JsonAsync()).AsArray(),
            n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "transferred");
        Assert.Equal(HttpStatusCode.Forbidden, (await op.MoveAsync(id, "register", new { condition = "02" })).StatusCode);
        Assert.Equal("Dispatched", (await night.MustAsync(id, "register", new { condition = "02" }))["state"]!.GetValue<string>());
        var transfer = (await (await night.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray().Single(e => e!["action"]!.GetValue<string>() == "transfer")!;
        Assert.Equal(nightId, transfer["targetUserId"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Check_tasks_in_one_area_go_to_the_inspector_with_the_fewest_open_ones(string db)
    {
        // A database of its own: a second inspector joins 思明区 here.
        await using var app = await CityOpsApp.StartAsync(db);
        var op = await app.SignInAsync("operator");
        var admin = await app.SignInAsync("admin");
        var inspector = await app.SignInAsync("inspector");
        var me = await (await inspector.GetAsync("/api/auth/me")).JsonAsync();
        var created = await admin.PostAsJsonAsync("/api/admin/users", new
        {
            email = "inspector2@test.cityops", displayName = "思明区第二监督员（测试）", password = "Strong-Passw0rd", roles = new[] { "inspector" },
            unitId = me["unitId"]!.GetValue<int>(), areaId = me["areaId"]!.GetValue<int>(),
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var (first, second) = (me["id"]!.GetValue<string>(), (await created.JsonAsync())["id"]!.GetValue<string>());

        // Four fact-checks in the district: two each, never three to one while the other has fewer.
        var cases = new List<(long Id, string Holder)>();
        for (var i = 0; i < 4; i++)
        {
            var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
            cases.Add((id, (await op.MustAsync(id, "factcheck"))["work"]!["taskAssigneeId"]!.GetValue<string>()));
            Assert.InRange(Math.Abs(cases.Count(c => c.Holder == first) - cases.Count(c => c.Holder == second)), 0, 1);
        }
        Assert.Equal(2, cases.Count(c => c.Holder == first));
        // A task reported back frees its holder: the next one goes to them.
        await inspector.MustAsync(cases.First(c => c.Holder == first).Id, "factcheck-report", new { passed = true, notes = "属实" });
        var next = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        Assert.Equal(first, (await op.MustAsync(next, "factcheck"))["work"]!["taskAssigneeId"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_check_task_can_be_given_to_someone_else_its_holder_is_told_and_a_failed_verification_needs_rework(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var inspector = await app.SignInAsync("inspector");
        var chief = await app.SignInAsync("streetchief");
        var (_, community) = await ChiefCommunityAsync(chief);
        var id = await app.CreateClient().ReportAsync(Category, Access.AccessWorld.PointIn(community));
        var (inspectorId, chiefId) = (await inspector.MyIdAsync(), await chief.MyIdAsync());

        // The fact-check goes to the inspector; sent again to the same person it is refused, to the street chief it moves.
        Assert.Equal(inspectorId, (await op.MustAsync(id, "factcheck"))["work"]!["taskAssigneeId"]!.GetValue<string>());
        var same = await op.MoveAsync(id, "factcheck", new { userId = inspectorId });
        Assert.Equal(HttpStatusCode.BadRequest, same.StatusCode);
        Assert.Equal("userId", (await same.JsonAsync())["field"]!.GetValue<string>());
        var moved = await op.MustAsync(id, "factcheck", new { userId = chiefId });
        Assert.Equal(chiefId, moved["work"]!["taskAssigneeId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await inspector.MoveAsync(id, "factcheck-report", new { passed = true })).StatusCode);
        Assert.Equal(1, await WithdrawnAsync(inspector, id));
        await chief.MustAsync(id, "factcheck-report", new { passed = true, notes = "属实" });

        // Handled, then a verification that fails: another look is refused, as is closing; rework is the way on.
        await op.MustAsync(id, "register", new { condition = "02" });
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        await handler.MustAsync(id, "submit", new { notes = "已更换井盖", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        await unit.MustAsync(id, "confirm");
        await op.MustAsync(id, "verify");
        var failed = await inspector.MustAsync(id, "verify-report", new { passed = false, notes = "井盖仍缺失" });
        Assert.DoesNotContain("verify", failed["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.DoesNotContain("close", (await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()));
        var again = await op.MoveAsync(id, "verify");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("rework", (await again.JsonAsync())["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Conflict, (await op.MoveAsync(id, "close", new { closingConditionMet = true })).StatusCode);
        await op.MustAsync(id, "rework", new { reason = "核实未通过" });

        // Handled again; the verification task is out when the centre sends the case back: its holder is told.
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        await handler.MustAsync(id, "submit", new { notes = "已重新安装", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        await unit.MustAsync(id, "confirm");
        Assert.Equal(inspectorId, (await op.MustAsync(id, "verify"))["work"]!["taskAssigneeId"]!.GetValue<string>());
        await op.MustAsync(id, "rework", new { reason = "市民再次来电" });
        Assert.Equal(2, await WithdrawnAsync(inspector, id));
        var history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        Assert.Equal(2, history.Count(e => e!["data"]?.GetValue<string>().Contains(inspectorId, StringComparison.Ordinal) == true
                                           && e!["data"]!.GetValue<string>().Contains("taskWithdrawn", StringComparison.Ordinal)));

        // A report voided while its fact-check is out: the task goes with it, and its holder is told at the void's time.
        var voided = await app.CreateClient().ReportAsync(Category, Access.AccessWorld.PointIn(community));
        await op.MustAsync(voided, "factcheck");
        var voidMove = await op.MustAsync(voided, "void", new { reason = "重复上报" });
        Assert.Null(voidMove["work"]!["taskAssigneeId"]);
        var notice = (await (await inspector.GetAsync("/api/inbox")).JsonAsync()).AsArray()
            .Single(n => n!["caseId"]?.GetValue<long>() == voided && n["kind"]!.GetValue<string>() == "task-withdrawn")!;
        // The record keeps whole milliseconds; the notice the same instant, finer.
        var voidAt = DateTimeOffset.Parse(voidMove["appended"]!.AsArray().Last()!["at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var noticeAt = DateTimeOffset.Parse(notice["createdAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(noticeAt - voidAt, TimeSpan.Zero, TimeSpan.FromMilliseconds(1));
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Supervision_reaches_whoever_answers_for_the_case_and_a_superior_unit_sees_what_it_supervises(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var lead = await app.SignInAsync("shiftlead");
        var municipal = await app.SignInAsync("department");
        var squad = await app.SignInAsync("d350203-squad");
        var bureau = await app.SignInAsync("d350203-bureau");
        var otherBureau = await app.SignInAsync("d350206-bureau");

        // Still with the centre: the operator who owns it is told, not the unit it was routed to.
        var pending = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        await op.MustAsync(pending, "claim");
        await lead.MustAsync(pending, "supervise", new { reason = "群众多次来电" });
        Assert.Equal(1, await NoticesAsync(op, pending, "supervision"));
        Assert.Equal(0, await NoticesAsync(municipal, pending, "supervision"));

        // With a squad: the squad and the district bureau above it are told, and the bureau may open the case but not work it.
        var chief = await app.SignInAsync("streetchief");
        var (_, community) = await ChiefCommunityAsync(chief);
        var (id, _) = await Access.AccessWorld.DispatchedCaseAsync(app.CreateClient(), op, "E0509", Access.AccessWorld.PointIn(Siming, not: community), "d350203-squad");
        await lead.MustAsync(id, "supervise", new { reason = "超期未处置" });
        Assert.Equal(1, await NoticesAsync(squad, id, "supervision"));
        Assert.Equal(1, await NoticesAsync(bureau, id, "supervision"));
        Assert.Equal(HttpStatusCode.OK, (await bureau.GetAsync($"/api/cases/{id}")).StatusCode);
        var listed = (await (await bureau.GetAsync("/api/cases?pageSize=500&state=Dispatched")).JsonAsync())["items"]!.AsArray();
        Assert.Contains(listed, c => c!["id"]!.GetValue<long>() == id);
        var assign = await bureau.MoveAsync(id, "assign", new { userId = await squad.MyIdAsync() });
        Assert.Equal(HttpStatusCode.Forbidden, assign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherBureau.GetAsync($"/api/cases/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await municipal.GetAsync($"/api/cases/{id}")).StatusCode);

        // The squad acknowledges the order (签收) with a reply, once; the bureau and the centre read it, the centre sees it answered.
        var order = (await (await squad.GetAsync($"/api/supervision?caseId={id}&pending=true")).JsonAsync()).AsArray().Single()!;
        var orderId = order["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.Forbidden, (await bureau.PostAsJsonAsync($"/api/supervision/{orderId}/acknowledge", new { reply = "知悉" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherBureau.PostAsJsonAsync($"/api/supervision/{orderId}/acknowledge", new { reply = "知悉" })).StatusCode);
        var tooLong = await squad.PostAsJsonAsync($"/api/supervision/{orderId}/acknowledge", new { reply = new string('长', 1001) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.NotNull((await tooLong.JsonAsync())["errors"]!["reply"]);
        Assert.Single((await (await squad.GetAsync($"/api/supervision?caseId={id}&pending=true")).JsonAsync()).AsArray());
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => squad.PostAsJsonAsync($"/api/supervision/{orderId}/acknowledge", new { reply = "已安排队员今日处置" })));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        Assert.Empty((await (await squad.GetAsync($"/api/supervision?caseId={id}&pending=true")).JsonAsync()).AsArray());
        var seen = (await (await lead.GetAsync($"/api/supervision?caseId={id}")).JsonAsync()).AsArray().Single()!;
        Assert.Equal("已安排队员今日处置", seen["reply"]!.GetValue<string>());
        Assert.Equal(await squad.MyIdAsync(), seen["acknowledgedById"]!.GetValue<string>());
        Assert.Single((await (await bureau.GetAsync($"/api/supervision?caseId={id}")).JsonAsync()).AsArray());
        Assert.Empty((await (await otherBureau.GetAsync($"/api/supervision?caseId={id}")).JsonAsync()).AsArray());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Work_signed_off_by_the_one_who_did_it_is_verified_by_someone_else_before_it_closes(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var inspector = await app.SignInAsync("inspector");
        var chief = await app.SignInAsync("streetchief");
        var (chiefUnit, community) = await ChiefCommunityAsync(chief);

        // 门前三包 in the chief's community: the community street chief, a one-person unit, does the work and signs it off.
        var id = await app.CreateClient().ReportAsync("E0116", Access.AccessWorld.PointIn(community));
        var registered = await op.MustAsync(id, "register", new { condition = "01" });
        Assert.Equal(chiefUnit, registered["routing"]!["unitId"]!.GetValue<int>());
        var chiefId = await chief.MyIdAsync();
        await chief.MustAsync(id, "assign", new { userId = chiefId });
        await chief.MustAsync(id, "submit", new { notes = "已清扫", attachments = new[] { await chief.UploadAsync(Loop.Photo()) } });
        var confirmed = await chief.MustAsync(id, "confirm");
        Assert.True(confirmed["work"]!["verifyBeforeClose"]!.GetValue<bool>());

        // The centre may not close it unverified, nor send the verification to the chief who did the work.
        var close = await op.MoveAsync(id, "close", new { closingConditionMet = true });
        Assert.Equal(HttpStatusCode.Conflict, close.StatusCode);
        var offered = (await close.JsonAsync())["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();
        Assert.Contains("verify", offered);
        Assert.DoesNotContain("close", offered);
        var held = (await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["heldActions"]!.AsArray().Single()!;
        Assert.Equal("close", held["action"]!.GetValue<string>());
        Assert.Contains("核实", held["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var own = await op.MoveAsync(id, "verify", new { userId = chiefId });
        Assert.Equal(HttpStatusCode.BadRequest, own.StatusCode);
        Assert.Equal("userId", (await own.JsonAsync())["field"]!.GetValue<string>());
        Assert.Equal(await inspector.MyIdAsync(), (await op.MustAsync(id, "verify"))["work"]!["taskAssigneeId"]!.GetValue<string>());
        await inspector.MustAsync(id, "verify-report", new { passed = true, notes = "已清扫干净" });
        Assert.Equal(1, await NoticesAsync(op, id, "verify-report"));
        Assert.Equal("Closed", (await op.MustAsync(id, "close", new { closingConditionMet = true }))["state"]!.GetValue<string>());
        var history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();

        // A lead who gives the case to a handler but submits the result themselves did the work: they may not send it back to
        // themselves, and their sign-off needs a verification.
        var lead = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var other = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        await op.MustAsync(other, "register", new { condition = "02" });
        await lead.MustAsync(other, "assign", new { userId = await handler.MyIdAsync() });
        await lead.MustAsync(other, "submit", new { notes = "我自己修好了", attachments = new[] { await lead.UploadAsync(Loop.Photo()) } });
        Assert.Equal(HttpStatusCode.Forbidden, (await lead.MoveAsync(other, "rework", new { reason = "再看看" })).StatusCode);
        Assert.True((await lead.MustAsync(other, "confirm"))["work"]!["verifyBeforeClose"]!.GetValue<bool>());
        Assert.Contains("selfConfirmed", history.Single(e => e!["action"]!.GetValue<string>() == "confirm")!["data"]!.GetValue<string>(), StringComparison.Ordinal);

        // Another lead of the unit refuses such a result: it goes back to the handler the unit chose, who is told and may submit again.
        var otherLead = await app.SignInAsync("city-municipal");
        var third = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        await op.MustAsync(third, "register", new { condition = "02" });
        var handlerId = await handler.MyIdAsync();
        await lead.MustAsync(third, "assign", new { userId = handlerId });
        Assert.Equal(await lead.MyIdAsync(), (await lead.MustAsync(third, "submit", new { notes = "替他修好了", attachments = new[] { await lead.UploadAsync(Loop.Photo()) } }))["work"]!["handlerId"]!.GetValue<string>());
        var reworked = await otherLead.MustAsync(third, "rework", new { reason = "照片看不清" });
        Assert.Equal("Handling", reworked["state"]!.GetValue<string>());
        Assert.Equal(handlerId, reworked["work"]!["handlerId"]!.GetValue<string>());
        Assert.Equal(1, await NoticesAsync(handler, third, "rework"));
        await handler.MustAsync(third, "submit", new { notes = "重新处置", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        Assert.False((await otherLead.MustAsync(third, "confirm"))["work"]!["verifyBeforeClose"]!.GetValue<bool>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_city_that_trusts_self_sign_off_closes_such_cases_without_verification(string db)
    {
        await using var app = await CityOpsApp.StartAsync(db, new() { ["CityOps:Workflow:VerifySelfSignOff"] = "false" });
        var op = await app.SignInAsync("operator");
        var lead = await app.SignInAsync("department");
        var id = await app.CreateClient().ReportAsync(Category, Api.PointIn(Siming));
        await op.MustAsync(id, "register", new { condition = "02" });
        await lead.MustAsync(id, "assign", new { userId = await lead.MyIdAsync() });
        await lead.MustAsync(id, "submit", new { notes = "已更换", attachments = new[] { await lead.UploadAsync(Loop.Photo()) } });
        Assert.False((await lead.MustAsync(id, "confirm"))["work"]!["verifyBeforeClose"]!.GetValue<bool>());
        Assert.Equal("Closed", (await op.MustAsync(id, "close", new { closingConditionMet = true }))["state"]!.GetValue<string>());
        var history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        Assert.Contains("selfConfirmed", history.Single(e => e!["action"]!.GetValue<string>() == "confirm")!["data"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>The demo street chief's unit and the code of its community.</summary>
    private static async Task<(int Unit, string Community)> ChiefCommunityAsync(HttpClient chief)
    {
        var unit = (await (await chief.GetAsync("/api/auth/me")).JsonAsync())["unitId"]!.GetValue<int>();
        var community = (await (await chief.GetAsync("/api/units")).JsonAsync()).AsArray()
            .First(u => u!["id"]!.GetValue<int>() == unit)!["areaCode"]!.GetValue<string>();
        return (unit, community);
    }

    private static async Task<int> NoticesAsync(HttpClient client, long caseId, string kind) =>
        (await (await client.GetAsync("/api/inbox")).JsonAsync()).AsArray()
            .Count(n => n!["caseId"]?.GetValue<long>() == caseId && n["kind"]!.GetValue<string>() == kind);

    private static async Task<int> WithdrawnAsync(HttpClient client, long caseId) =>
        (await (await client.GetAsync("/api/inbox")).JsonAsync()).AsArray()
            .Count(n => n!["caseId"]?.GetValue<long>() == caseId && n["kind"]!.GetValue<string>() == "task-withdrawn");
}
