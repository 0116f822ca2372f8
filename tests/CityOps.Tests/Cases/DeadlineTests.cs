using System.Globalization;
using System.Net;
using CityOps.Server.Data;
using CityOps.Server.Features.Supervision;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CityOps.Tests.Cases;

/// <summary>Deadlines on the working calendar, warnings and overdue supervision, once, with two server instances.</summary>
public sealed class DeadlineTests
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_case_dispatched_before_Spring_Festival_is_due_on_the_working_Saturday_and_swept_once_by_two_instances(string db)
    {
        // Friday 2026-02-13 16:00 (Beijing). Condition 02 of 路灯井盖: 4 working hours.
        // 16:00–18:00 Friday (2 h), then the declared working Saturday 2026-02-14 08:30–10:30 (2 h).
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 2, 13, 16, 0, 0, China).ToUniversalTime());
        var first = await CityOpsApp.StartAsync(db, time: time, settings: new() { ["CityOps:Supervision:SweepInterval"] = "01:00:00" });
        var second = await CityOpsApp.StartAsync(db, time: time, connection: first.ConnectionString, settings: new() { ["CityOps:Supervision:SweepInterval"] = "01:00:00" });
        try
        {
            var op = await first.SignInAsync("operator");
            var id = await first.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
            var registered = await op.MustAsync(id, "register", new { condition = "02" });
            var due = DateTimeOffset.Parse(registered["deadline"]!["dueAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            Assert.Equal(new DateTimeOffset(2026, 2, 14, 10, 30, 0, China), due);
            Assert.Equal("Green", registered["deadline"]!["status"]!.GetValue<string>());

            // 80 % used (3.2 h): Saturday 09:42 → yellow, one warning.
            time.SetUtcNow(new DateTimeOffset(2026, 2, 14, 9, 45, 0, China).ToUniversalTime());
            op = await first.SignInAsync("operator"); // bearer tokens live an hour of (fake) time
            var seen = await (await op.GetAsync($"/api/cases/{id}")).JsonAsync();
            Assert.Equal("Yellow", seen["deadline"]!["status"]!.GetValue<string>());
            await SweepBothAsync(first, second);
            // Past the deadline: red, one overdue event, one supervision order to the unit and its superior.
            time.SetUtcNow(new DateTimeOffset(2026, 2, 14, 11, 0, 0, China).ToUniversalTime());
            op = await first.SignInAsync("operator");
            await SweepBothAsync(first, second);
            await SweepBothAsync(first, second);

            var detail = await (await op.GetAsync($"/api/cases/{id}")).JsonAsync();
            var actions = detail["history"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()).ToList();
            Assert.Equal(1, actions.Count(a => a == "warning"));
            Assert.Equal(1, actions.Count(a => a == "overdue"));
            Assert.Equal("Red", detail["deadline"]!["status"]!.GetValue<string>());
            using var scope = first.Services.CreateScope();
            var dbc = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
            Assert.Equal(1, await dbc.SupervisionOrders.CountAsync(o => o.CaseId == id && o.Automatic));
            Assert.Equal(1, await dbc.Outbox.CountAsync(m => m.CaseId == id && m.Kind == "case.supervision"));
            var unit = await first.SignInAsync("department");
            Assert.Contains((await (await unit.GetAsync("/api/inbox")).JsonAsync()).AsArray(), n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "supervision");
            var overdueQueue = await (await op.GetAsync("/api/cases?overdue=true&pageSize=500")).JsonAsync();
            Assert.Contains(overdueQueue["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
            // The unit's own lateness and 督办: in its overdue and supervised lists.
            foreach (var list in new[] { "overdue=true", "supervised=true" })
                Assert.Contains((await (await unit.GetAsync($"/api/cases?{list}&pageSize=500")).JsonAsync())["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        }
        finally
        {
            await second.DisposeAsync();
            await first.DisposeAsync();
        }
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Suspension_pauses_the_clock_and_an_approved_extension_moves_the_deadline(string db)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, China).ToUniversalTime()); // a Monday
        await using var app = await CityOpsApp.StartAsync(db, time: time, settings: new() { ["CityOps:Supervision:SweepInterval"] = "01:00:00" });
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var lead = await app.SignInAsync("shiftlead");
        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        var dispatched = await op.MustAsync(id, "register", new { condition = "02" }); // 4 working hours
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 15, 30, 0, China), Due(dispatched)); // 9:00–12:00 (3 h) + 14:30–15:30 (1 h)

        // Nothing is waiting for a decision yet; and an extension comes in halves of the clock's unit.
        var nothing = await lead.MoveAsync(id, "approve");
        Assert.Equal(HttpStatusCode.Conflict, nothing.StatusCode);
        Assert.Contains("没有等待审批", (await nothing.JsonAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        foreach (var odd in new[] { 0.0001, 0.25, 1.3, 1000.5 })
        {
            var refused = await unit.MoveAsync(id, "extend", new { value = odd, reason = "需要采购配件" });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("value", (await refused.JsonAsync())["field"]!.GetValue<string>());
        }
        await unit.MustAsync(id, "extend", new { value = 2, reason = "需要采购配件" });
        // The shift leads, who decide it, are told by name; the rest of the centre is not.
        Assert.Single((await (await lead.GetAsync("/api/inbox?unread=true")).JsonAsync()).AsArray(),
            n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "request");
        Assert.DoesNotContain((await (await op.GetAsync("/api/inbox")).JsonAsync()).AsArray(), n => n!["kind"]!.GetValue<string>() == "request");
        // While it waits, the unit is told why it cannot ask again, on the case and when it tries.
        var held = (await (await unit.GetAsync($"/api/cases/{id}")).JsonAsync())["heldActions"]!.AsArray();
        Assert.Equal(["extend", "suspend"], held.Select(h => h!["action"]!.GetValue<string>()).ToArray());
        var again = await unit.MoveAsync(id, "suspend", new { reason = "等待产权单位确认" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(held[1]!["reason"]!.GetValue<string>(), (await again.JsonAsync())["detail"]!.GetValue<string>());
        var extended = await lead.MustAsync(id, "approve");
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 17, 30, 0, China), Due(extended)); // 6 h: 9:00–12:00 + 14:30–17:30
        // Decided, the request waits for no shift lead any more: its notice counts as read, unopened.
        Assert.DoesNotContain((await (await lead.GetAsync("/api/inbox?unread=true")).JsonAsync()).AsArray(),
            n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "request");
        Assert.True((await (await lead.GetAsync("/api/inbox")).JsonAsync()).AsArray()
            .Single(n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "request")!["read"]!.GetValue<bool>());

        time.SetUtcNow(new DateTimeOffset(2026, 3, 2, 10, 0, 0, China).ToUniversalTime()); // 1 h used
        (unit, lead) = (await app.SignInAsync("department"), await app.SignInAsync("shiftlead"));
        await unit.MustAsync(id, "assign", new { userId = await unit.MyIdAsync() }); // the lead takes it on; the clock runs on
        await unit.MustAsync(id, "suspend", new { reason = "等待产权单位确认" });
        // The new request waits for a shift lead; the one decided before stays read.
        var inbox = (await (await lead.GetAsync("/api/inbox")).JsonAsync()).AsArray();
        Assert.Equal([false, true], inbox
            .Where(n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "request").Select(n => n!["read"]!.GetValue<bool>()).ToArray());
        var paused = await lead.MustAsync(id, "approve");
        Assert.True(paused["deadline"]!["paused"]!.GetValue<bool>());
        // Suspended: neither another request nor the result until it resumes, and the case says so.
        var whilePaused = (await (await unit.GetAsync($"/api/cases/{id}")).JsonAsync())["heldActions"]!.AsArray()
            .ToDictionary(h => h!["action"]!.GetValue<string>(), h => h!["reason"]!.GetValue<string>());
        Assert.Equal(["extend", "submit", "suspend"], whilePaused.Keys.Order().ToArray());
        Assert.Contains("恢复计时后才能申请延期", whilePaused["extend"], StringComparison.Ordinal);
        Assert.Contains("恢复计时后才能提交处置结果", whilePaused["submit"], StringComparison.Ordinal);
        var submit = await unit.MoveAsync(id, "submit", new { notes = "已修复" });
        Assert.Equal(HttpStatusCode.Conflict, submit.StatusCode);
        Assert.Equal(whilePaused["submit"], (await submit.JsonAsync())["detail"]!.GetValue<string>());
        time.SetUtcNow(new DateTimeOffset(2026, 3, 4, 10, 0, 0, China).ToUniversalTime()); // two days later
        unit = await app.SignInAsync("department");
        var resumed = await unit.MustAsync(id, "resume");
        var twice = await unit.MoveAsync(id, "resume");
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Contains("无需恢复", (await twice.JsonAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        // 5 h left from Wednesday 10:00: 10:00–12:00 (2 h) + 14:30–17:30 (3 h).
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 17, 30, 0, China), Due(resumed));
        Assert.Equal(1, resumed["work"]!["extensionCount"]!.GetValue<int>());
        Assert.Equal(1, resumed["work"]!["suspensionCount"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task After_an_overdue_step_the_next_step_goes_overdue_on_its_own_clock(string db)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, China).ToUniversalTime()); // a Monday
        await using var app = await CityOpsApp.StartAsync(db, time: time, settings: new() { ["CityOps:Supervision:SweepInterval"] = "01:00:00" });
        var op = await app.SignInAsync("operator");
        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        await op.MustAsync(id, "register", new { condition = "02" }); // handling: 4 working hours, due 15:30

        time.SetUtcNow(new DateTimeOffset(2026, 3, 2, 16, 0, 0, China).ToUniversalTime());
        await SweepBothAsync(app, app);
        // The unit returns it: the dispatch step starts a clock of its own, which has warned of nothing.
        var unit = await app.SignInAsync("department");
        var returned = await unit.MustAsync(id, "return", new { reason = "非本单位职责" });
        Assert.Equal("dispatch", returned["deadline"]!["step"]!.GetValue<string>());
        op = await app.SignInAsync("operator");
        Assert.DoesNotContain((await (await op.GetAsync("/api/cases?overdue=true&pageSize=500")).JsonAsync())["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);

        time.SetUtcNow(new DateTimeOffset(2026, 3, 9, 16, 0, 0, China).ToUniversalTime()); // a week later, nobody dispatched it
        await SweepBothAsync(app, app);
        op = await app.SignInAsync("operator");
        var history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        var overdue = history.Where(e => e!["action"]!.GetValue<string>() == "overdue").Select(e => e!["reason"]!.GetValue<string>()).ToArray();
        Assert.Equal(["handle", "dispatch"], overdue);
        using var scope = app.Services.CreateScope();
        var orders = await scope.ServiceProvider.GetRequiredService<CityOpsDb>().SupervisionOrders.Where(o => o.CaseId == id && o.Automatic).ToListAsync();
        // Each order names the limit that ran out.
        Assert.Equal(["超过处置时限", "超过派遣时限"], orders.OrderBy(o => o.Id).Select(o => o.Reason).ToArray());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task After_the_units_sign_off_the_centre_verifies_and_closes_on_a_clock_of_its_own(string db)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, China).ToUniversalTime()); // a Monday
        await using var app = await CityOpsApp.StartAsync(db, time: time, settings: new() { ["CityOps:Supervision:SweepInterval"] = "01:00:00" });
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var inspector = await app.SignInAsync("inspector");
        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        await op.MustAsync(id, "claim");
        await op.MustAsync(id, "register", new { condition = "02" });
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        await handler.MustAsync(id, "submit", new { notes = "已更换井盖", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });

        // Signed off at 09:30: the centre has one hour (round the clock) to verify or close.
        time.SetUtcNow(new DateTimeOffset(2026, 3, 2, 9, 30, 0, China).ToUniversalTime());
        var confirmed = await unit.MustAsync(id, "confirm");
        Assert.Equal("close", confirmed["deadline"]!["step"]!.GetValue<string>());
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 10, 30, 0, China), Due(confirmed));
        // A verification sent at 10:00 ends that step on time and runs on its own two hours; the report
        // at 11:00 starts the closing step again: due at 12:00.
        time.SetUtcNow(new DateTimeOffset(2026, 3, 2, 10, 0, 0, China).ToUniversalTime());
        op = await app.SignInAsync("operator"); // bearer tokens live an hour of (fake) time
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 12, 0, 0, China), Due(await op.MustAsync(id, "verify")));
        time.SetUtcNow(new DateTimeOffset(2026, 3, 2, 11, 0, 0, China).ToUniversalTime());
        inspector = await app.SignInAsync("inspector");
        var reported = await inspector.MustAsync(id, "verify-report", new { passed = true, notes = "现场已修复" });
        Assert.Equal(("close", new DateTimeOffset(2026, 3, 2, 12, 0, 0, China)), (reported["deadline"]!["step"]!.GetValue<string>(), Due(reported)));

        // Nobody closes it: at 12:30 it is overdue once, and the 督办 goes to the centre, whose operator owns the case, not to the unit.
        time.SetUtcNow(new DateTimeOffset(2026, 3, 2, 12, 30, 0, China).ToUniversalTime());
        await SweepBothAsync(app, app);
        await SweepBothAsync(app, app);
        (op, unit) = (await app.SignInAsync("operator"), await app.SignInAsync("department"));
        var history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        Assert.Equal(["close"], history.Where(e => e!["action"]!.GetValue<string>() == "overdue").Select(e => e!["reason"]!.GetValue<string>()).ToArray());
        Assert.Contains((await (await op.GetAsync("/api/inbox")).JsonAsync()).AsArray(), n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "supervision");
        Assert.DoesNotContain((await (await unit.GetAsync("/api/inbox")).JsonAsync()).AsArray(), n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "supervision");
        // The centre's lateness, not the unit's: in the centre's overdue list, not in the unit's, though the unit sees the case.
        Assert.Contains((await (await op.GetAsync("/api/cases?overdue=true&pageSize=500")).JsonAsync())["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        Assert.DoesNotContain((await (await unit.GetAsync("/api/cases?overdue=true&pageSize=500")).JsonAsync())["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        Assert.Contains((await (await unit.GetAsync("/api/cases?overdue=false&pageSize=500")).JsonAsync())["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        // Nor is the centre's 督办 in the unit's supervised list.
        Assert.Contains((await (await op.GetAsync("/api/cases?supervised=true&pageSize=500")).JsonAsync())["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        Assert.DoesNotContain((await (await unit.GetAsync("/api/cases?supervised=true&pageSize=500")).JsonAsync())["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        Assert.Contains((await (await unit.GetAsync("/api/cases?supervised=false&pageSize=500")).JsonAsync())["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
        using (var scope = app.Services.CreateScope())
        {
            var dbc = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
            var assigned = await dbc.Cases.Where(c => c.Id == id).Select(c => c.AssignedUnitId).SingleAsync();
            var order = await dbc.SupervisionOrders.SingleAsync(o => o.CaseId == id && o.Automatic);
            Assert.NotEqual(assigned, order.UnitId);
            Assert.Null(order.SuperiorUnitId);
        }

        // Closed late: the record says so, and the clock stops.
        var closed = await op.MustAsync(id, "close", new { closingConditionMet = true });
        Assert.Null(closed["deadline"]);
        history = (await (await op.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        Assert.Contains("\"step\":\"close\",\"onTime\":false", history.Single(e => e!["action"]!.GetValue<string>() == "close")!["data"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("\"step\":\"close\",\"onTime\":true", history.Single(e => e!["action"]!.GetValue<string>() == "verify")!["data"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_result_confirmed_while_suspended_after_its_deadline_counts_as_late(string db)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, China).ToUniversalTime()); // a Monday
        await using var app = await CityOpsApp.StartAsync(db, time: time, settings: new() { ["CityOps:Supervision:SweepInterval"] = "01:00:00" });
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        await op.MustAsync(id, "register", new { condition = "02" }); // handling: 4 working hours, due 15:30
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        await handler.MustAsync(id, "submit", new { notes = "已更换井盖", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });

        time.SetUtcNow(new DateTimeOffset(2026, 3, 3, 10, 0, 0, China).ToUniversalTime()); // Tuesday: 6 of 4 hours used
        (unit, var lead) = (await app.SignInAsync("department"), await app.SignInAsync("shiftlead"));
        await unit.MustAsync(id, "suspend", new { reason = "等待产权单位确认" });
        Assert.True((await lead.MustAsync(id, "approve"))["deadline"]!["paused"]!.GetValue<bool>());
        var confirmed = await unit.MustAsync(id, "confirm");
        Assert.False(confirmed["work"]!["handledOnTime"]!.GetValue<bool>());
        var history = (await (await unit.GetAsync($"/api/cases/{id}/history")).JsonAsync()).AsArray();
        Assert.Contains("\"onTime\":false", history.Single(e => e!["action"]!.GetValue<string>() == "confirm")!["data"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static DateTimeOffset Due(System.Text.Json.Nodes.JsonNode c) =>
        DateTimeOffset.Parse(c["deadline"]!["dueAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);

    private static async Task SweepBothAsync(CityOpsApp a, CityOpsApp b)
    {
        async Task Sweep(CityOpsApp app)
        {
            using var scope = app.Services.CreateScope();
            await DeadlineSweeper.SweepAsync(scope.ServiceProvider, CancellationToken.None);
        }
        await Task.WhenAll(Sweep(a), Sweep(b));
    }
}
