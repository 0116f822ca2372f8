using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CityOps.Tests.Support;
using Microsoft.Playwright;

namespace CityOps.Tests.Web;

/// <summary>The web app in a real browser against the real server: the loop by the demo accounts, the language switch, refusals, bad input.</summary>
[Collection("browser")]
public sealed class WebAppTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_case_goes_round_the_loop_in_the_browser_from_the_pool_to_closed(string db)
    {
        var (playwright, browser) = await Browser.LaunchAsync();
        await using var app = await CityOpsApp.StartAsync(db, kestrel: true);
        try
        {
            // A citizen reported an ownerless manhole cover (not dispatched automatically) on the website earlier.
            var cells = Api.CellsOf("350203");
            (double Lon, double Lat) at;
            do at = Api.PointIn("350203");
            while (!cells.Any(c => c.Geometry.Contains(c.Geometry.Factory.CreatePoint(new NetTopologySuite.Geometries.Coordinate(at.Lon, at.Lat + 0.00055)))));
            var earlier = await app.CreateClient().ReportAsync("C0113", at);

            // The shift lead's big screen is open; it must follow what happens without a reload.
            var screen = await browser.SignInAsync(app.BaseUrl, "shiftlead", width: 1600, height: 1000);
            await screen.GotoAsync("dashboard");
            await screen.ReadyAsync();
            await Assertions.Expect(screen.GetByTestId("kpi-reported-today")).ToHaveTextAsync("1");

            // The operator takes a phone call about the same cover, 60 m on: the earlier case is offered as a
            // possible duplicate, routing and deadline show before saving, and the call is saved as a new case.
            var op = await browser.SignInAsync(app.BaseUrl, "operator");
            await op.GotoAsync("intake");
            await op.ReadyAsync();
            await op.GetByTestId("input-channel").SelectOptionAsync("hotline12345");
            await op.GetByTestId("input-caller").FillAsync("王先生");
            await op.GetByTestId("input-phone").FillAsync("13800138000");
            await op.GetByTestId("input-category").PressSequentiallyAsync("无主井盖");
            await op.GetByTestId("category-matches").GetByRole(AriaRole.Button, new() { Name = "C0113" }).ClickAsync();
            await op.GetByTestId("input-description").FillAsync("人行道井盖松动，踩上去会响");
            await op.GetByTestId("input-lat").FillAsync((at.Lat + 0.00055).ToString("0.000000", System.Globalization.CultureInfo.InvariantCulture));
            await op.GetByTestId("input-lon").FillAsync(at.Lon.ToString("0.000000", System.Globalization.CultureInfo.InvariantCulture));
            await op.GetByTestId("input-lon").BlurAsync();
            await Assertions.Expect(op.GetByTestId("preview-unit")).Not.ToBeEmptyAsync();
            await Assertions.Expect(op.GetByTestId($"attach-{earlier}")).ToBeVisibleAsync();
            await op.ShotAsync("intake-desk");
            await op.GetByTestId("save-case").ClickAsync();
            await op.ArrivesAtAsync(new Regex(@"/cases/\d+$"), "save-case");
            var id = long.Parse(op.Url[(op.Url.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.NotEqual(earlier, id);
            await Assertions.Expect(screen.GetByTestId("kpi-reported-today")).ToHaveTextAsync("2"); // no reload
            await op.ReadyAsync();
            await op.GetByTestId("action-register").ClickAsync();
            await op.GetByTestId("confirm-move").ClickAsync(); // no condition chosen: refused next to the field
            await Assertions.Expect(op.GetByTestId("error-condition")).ToBeVisibleAsync();
            await op.GetByTestId("input-condition").SelectOptionAsync("01");
            await op.GetByTestId("confirm-move").ClickAsync();
            await Assertions.Expect(op.GetByTestId("state")).ToHaveTextAsync("待派遣");
            await Assertions.Expect(op.GetByTestId("case-map")).ToHaveAttributeAsync("data-ready", "1");
            await op.ShotAsync("case-file");

            // The dispatcher sends it to the municipal division.
            var dispatcher = await browser.SignInAsync(app.BaseUrl, "dispatcher");
            await Assertions.Expect(dispatcher.GetByTestId($"case-{id}")).ToBeVisibleAsync(); // "to dispatch" is the dispatcher's queue
            await dispatcher.GotoAsync($"cases/{id}");
            await dispatcher.ReadyAsync();
            await dispatcher.GetByTestId("action-dispatch").ClickAsync();
            var municipal = (await dispatcher.GetByTestId("input-unit").Locator("option").AllInnerTextsAsync()).First(l => l.EndsWith("(city-municipal)", StringComparison.Ordinal));
            await dispatcher.GetByTestId("input-unit").SelectOptionAsync(new SelectOptionValue { Label = municipal });
            await dispatcher.GetByTestId("confirm-move").ClickAsync();
            await Assertions.Expect(dispatcher.GetByTestId("state")).ToHaveTextAsync("已派遣");

            // The department assigns its handler.
            var unit = await browser.SignInAsync(app.BaseUrl, "department");
            await unit.GotoAsync($"cases/{id}");
            await unit.ReadyAsync();
            await unit.GetByTestId("action-assign").ClickAsync();
            await unit.GetByTestId("input-handler").SelectOptionAsync(new SelectOptionValue { Label = (await HandlerLabelAsync(unit))! });
            await unit.GetByTestId("confirm-move").ClickAsync();
            await Assertions.Expect(unit.GetByTestId("moved")).ToBeVisibleAsync();

            // The handler, on a phone-sized screen, submits with a photo from the camera.
            var handler = await browser.SignInAsync(app.BaseUrl, "handler", width: 375, height: 740);
            await handler.ReadyAsync();
            await Assertions.Expect(handler.GetByTestId($"case-{id}")).ToBeVisibleAsync(); // "my work"
            await handler.GotoAsync($"cases/{id}");
            await handler.ReadyAsync();
            await handler.GetByTestId("action-submit").ClickAsync();
            await handler.GetByTestId("input-notes").FillAsync("井盖已更换");
            await handler.GetByTestId("input-photo").SetInputFilesAsync(new FilePayload { Name = "fix.jpg", MimeType = "image/jpeg", Buffer = Loop.Photo() });
            await Assertions.Expect(handler.GetByTestId("photos-ready")).ToBeVisibleAsync();
            await handler.ShotAsync("phone-submit");
            await handler.GetByTestId("confirm-move").ClickAsync();
            await Assertions.Expect(handler.GetByTestId("state")).ToHaveTextAsync("待单位确认");

            await unit.ReloadAsync();
            await unit.ReadyAsync();
            await unit.GetByTestId("action-confirm").ClickAsync();
            await unit.GetByTestId("confirm-move").ClickAsync();
            await Assertions.Expect(unit.GetByTestId("state")).ToHaveTextAsync("已反馈");

            // The operator closes it; the record shows every step.
            await op.ReloadAsync();
            await op.ReadyAsync();
            await op.GetByTestId("action-close").ClickAsync();
            await op.GetByTestId("input-closing").CheckAsync();
            await op.GetByTestId("confirm-move").ClickAsync();
            await Assertions.Expect(op.GetByTestId("state")).ToHaveTextAsync("已结案");
            await Assertions.Expect(op.GetByTestId("history").Locator("tbody tr")).ToHaveCountAsync(7); // report, register, dispatch, assign, submit, confirm, close

            await Assertions.Expect(screen.GetByTestId("kpi-closed-today")).ToHaveTextAsync("1");
            await screen.ShotAsync("dashboard");

            await op.GotoAsync("cases?queue=all");
            await op.ReadyAsync();
            await Assertions.Expect(op.GetByTestId($"case-{id}")).ToBeVisibleAsync();
            await Assertions.Expect(op.GetByTestId($"case-{earlier}")).ToHaveClassAsync(new Regex("green|yellow|red"));
            await op.ShotAsync("queues");
            await op.GetByTestId("filter-unit").FillAsync("no-such-unit");
            await op.GetByRole(AriaRole.Button, new() { Name = "筛选" }).ClickAsync();
            await Assertions.Expect(op.Locator(".filters .field-error")).ToBeVisibleAsync();
            await op.GetByTestId("filter-unit").FillAsync("city-municipal");
            await op.GetByRole(AriaRole.Button, new() { Name = "筛选" }).ClickAsync();
            await Assertions.Expect(op.Locator(".filters .field-error")).ToHaveCountAsync(0);
            await Assertions.Expect(op.GetByTestId($"case-{id}")).ToBeVisibleAsync();

            await op.GotoAsync("map");
            await op.ReadyAsync();
            await Assertions.Expect(op.GetByTestId("map")).ToHaveAttributeAsync("data-cases", "2");
            await Assertions.Expect(op.GetByTestId("map")).ToHaveAttributeAsync("data-layers", new Regex("[23]"));
            await op.ShotAsync("map");

            var leader = await browser.SignInAsync(app.BaseUrl, "leader");
            await leader.GotoAsync("evaluation");
            await leader.ReadyAsync();
            await Assertions.Expect(leader.GetByTestId("scores")).ToBeVisibleAsync();
            // From a number to exactly its cases; from a name to its trend.
            await leader.GetByTestId("drill-city-municipal-handled").ClickAsync();
            await Assertions.Expect(leader.GetByTestId($"drill-case-{id}")).ToBeVisibleAsync();
            await Assertions.Expect(leader.GetByTestId("drill").Locator("tbody tr")).ToHaveCountAsync(1);
            await leader.GetByTestId("row-city-municipal").GetByRole(AriaRole.Button).First.ClickAsync();
            await Assertions.Expect(leader.GetByTestId("trend").Locator("canvas")).ToHaveCountAsync(1);
            await leader.ShotAsync("evaluation");

            // The closed case waits in the callback queue.
            await op.GotoAsync("callbacks");
            await op.ReadyAsync();
            await Assertions.Expect(op.GetByTestId($"callback-{id}")).ToBeVisibleAsync();
        }
        finally
        {
            await browser.CloseAsync();
            playwright.Dispose();
        }
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task English_sticks_refusals_are_clear_and_citizens_text_stays_text(string db)
    {
        var (playwright, browser) = await Browser.LaunchAsync();
        await using var app = await CityOpsApp.StartAsync(db, kestrel: true);
        try
        {
            var citizen = app.CreateClient();
            var form = Api.Report("C0106", Api.PointIn("350206"), "<script>window.pwned=1</script><b>井盖</b>");
            var response = await citizen.PostOpen311Async(form);
            response.EnsureSuccessStatusCode();
            var id = long.Parse((await response.JsonAsync())[0]!["service_request_id"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

            var op = await browser.SignInAsync(app.BaseUrl, "operator");
            await op.GotoAsync($"cases/{id}");
            await op.ReadyAsync();
            await Assertions.Expect(op.GetByTestId("description")).ToHaveTextAsync("<script>window.pwned=1</script><b>井盖</b>");
            Assert.Null(await op.EvaluateAsync<int?>("() => window.pwned"));

            await op.GetByTestId("lang").ClickAsync();
            await op.ReadyAsync();
            await Assertions.Expect(op.GetByRole(AriaRole.Heading, new() { Level = 2 }).First).ToHaveTextAsync(new Regex("Reporters|What you can do now"));
            await op.GotoAsync("cases");
            await op.ReadyAsync();
            await Assertions.Expect(op.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Case queues");
            await op.ShotAsync("queues-en");

            // A street chief of 思明区 opening a case in 湖里区: a clear refusal, nothing of the case.
            var chief = await browser.SignInAsync(app.BaseUrl, "streetchief");
            await chief.GotoAsync($"cases/{id}");
            await chief.ReadyAsync();
            await Assertions.Expect(chief.GetByRole(AriaRole.Alert)).ToContainTextAsync("无权查看");
            await Assertions.Expect(chief.GetByTestId("description")).ToHaveCountAsync(0);

            // A stranger is sent to sign in.
            var stranger = await (await browser.NewContextAsync(new() { BaseURL = app.BaseUrl.ToString() })).NewPageAsync();
            await stranger.GotoAsync($"cases/{id}");
            await Assertions.Expect(stranger).ToHaveURLAsync(new Regex("/login"));
            await stranger.GetByTestId("email").FillAsync("operator@demo.cityops");
            await stranger.GetByTestId("password").FillAsync("wrong-password");
            await stranger.GetByTestId("sign-in").ClickAsync();
            await Assertions.Expect(stranger.GetByRole(AriaRole.Alert)).ToContainTextAsync("不正确");
            await Assertions.Expect(stranger.GetByTestId("email")).ToHaveValueAsync("operator@demo.cityops");
            await stranger.ShotAsync("login");
        }
        finally
        {
            await browser.CloseAsync();
            playwright.Dispose();
        }
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_unit_acknowledges_a_supervision_order_the_shift_lead_decides_a_request_and_the_centre_reads_why_a_case_cannot_close_yet(string db)
    {
        var (playwright, browser) = await Browser.LaunchAsync();
        await using var app = await CityOpsApp.StartAsync(db, kestrel: true);
        try
        {
            // A streetlight case, dispatched to the municipal division on registration, is supervised by the shift lead.
            var op = await app.SignInAsync("operator");
            var department = await app.SignInAsync("department");
            var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
            await op.MustAsync(id, "register", new { condition = "02" });
            await (await app.SignInAsync("shiftlead")).MustAsync(id, "supervise", new { reason = "群众多次来电反映" });
            var orderId = (await (await department.GetAsync($"/api/supervision?caseId={id}")).JsonAsync()).AsArray().Single()!["id"]!.GetValue<long>();

            // The division's header counts its unread notices (the dispatch, the order); read in its inbox, the count goes.
            var unit = await browser.SignInAsync(app.BaseUrl, "department");
            await unit.ReadyAsync();
            var unread = (await (await department.GetAsync("/api/inbox?unread=true")).JsonAsync()).AsArray();
            Assert.Contains(unread, n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "supervision");
            await Assertions.Expect(unit.GetByTestId("inbox-unread")).ToHaveTextAsync(unread.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await unit.GetByTestId("nav-inbox").ClickAsync();
            await unit.ReadyAsync();
            var notice = unread.First(n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "supervision")!["id"]!.GetValue<long>();
            await Assertions.Expect(unit.GetByTestId($"notice-{notice}")).ToContainTextAsync($"{id}");
            await unit.ShotAsync("inbox");
            // "Mark all read" marks what the page shows: a notice that arrived meanwhile stays unread.
            var later = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
            await op.MustAsync(later, "register", new { condition = "02" });
            await unit.GetByTestId("mark-all-read").ClickAsync();
            await Assertions.Expect(unit.GetByTestId("inbox-unread")).ToHaveTextAsync("1");
            await Assertions.Expect(unit.GetByTestId($"read-{notice}")).ToHaveCountAsync(0);
            var left = (await (await department.GetAsync("/api/inbox?unread=true")).JsonAsync()).AsArray();
            Assert.Equal(later, left.Single()!["caseId"]!.GetValue<long>());
            Assert.Equal(1, (await (await department.PostAsync("/api/inbox/read", null)).JsonAsync())["count"]!.GetValue<int>());

            // The centre reads the order on the case file, waiting for the division; only the division may answer it.
            var centre = await browser.SignInAsync(app.BaseUrl, "operator");
            await centre.GotoAsync($"cases/{id}");
            await centre.ReadyAsync();
            await Assertions.Expect(centre.GetByTestId($"order-{orderId}")).ToContainTextAsync("待签收");
            await Assertions.Expect(centre.GetByTestId($"reply-{orderId}")).ToHaveCountAsync(0);

            // The division finds the order among those awaiting acknowledgement and acknowledges it with a reply.
            await unit.GetByTestId("nav-supervision").ClickAsync();
            await unit.ReadyAsync();
            await Assertions.Expect(unit.GetByTestId($"order-{orderId}")).ToContainTextAsync("群众多次来电反映");
            await unit.GetByTestId($"reply-{orderId}").FillAsync("已安排今日修复");
            await unit.GetByTestId($"acknowledge-{orderId}").ClickAsync();
            await Assertions.Expect(unit.GetByTestId($"acknowledged-{orderId}")).ToContainTextAsync("市政处（演示）");
            await unit.ShotAsync("supervision");
            var stored = (await (await op.GetAsync($"/api/supervision?caseId={id}")).JsonAsync()).AsArray().Single()!;
            Assert.Equal("已安排今日修复", stored["reply"]!.GetValue<string>());
            Assert.Equal(await department.MyIdAsync(), stored["acknowledgedById"]!.GetValue<string>());
            await unit.GetByTestId("orders-all").ClickAsync();
            await Assertions.Expect(unit.GetByTestId($"acknowledged-{orderId}")).ToBeVisibleAsync();
            await Assertions.Expect(unit.GetByTestId($"order-{orderId}")).ToContainTextAsync("已安排今日修复");
            await unit.GetByTestId("orders-pending").ClickAsync();
            await Assertions.Expect(unit.GetByTestId("orders-empty")).ToBeVisibleAsync();

            // The division asks for more time; the shift lead finds the request in the queue of requests and approves it.
            await department.MustAsync(id, "extend", new { value = 4, reason = "需要采购灯具" });
            var shift = await browser.SignInAsync(app.BaseUrl, "shiftlead");
            await shift.GotoAsync("cases?queue=requests");
            await shift.ReadyAsync();
            await Assertions.Expect(shift.GetByTestId("count-requests")).ToHaveTextAsync("1");
            await shift.GetByTestId($"case-{id}").GetByRole(AriaRole.Link).ClickAsync();
            await shift.ReadyAsync();
            await shift.GetByTestId("action-approve").ClickAsync();
            await shift.GetByTestId("confirm-move").ClickAsync();
            await Assertions.Expect(shift.GetByTestId("moved")).ToBeVisibleAsync();
            Assert.Equal(1, (await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["work"]!["extensionCount"]!.GetValue<int>());

            // The division's lead does the work and signs it off: the operator's case file shows the order, answered,
            // and says why "close" is not offered.
            await department.MustAsync(id, "assign", new { userId = await department.MyIdAsync() });
            await department.MustAsync(id, "submit", new { notes = "已更换灯泡", attachments = new[] { await department.UploadAsync(Loop.Photo()) } });
            await department.MustAsync(id, "confirm");
            await centre.ReloadAsync();
            await centre.ReadyAsync();
            await Assertions.Expect(centre.GetByTestId($"acknowledged-{orderId}")).ToBeVisibleAsync();
            await Assertions.Expect(centre.GetByTestId("held-close")).ToContainTextAsync("核实");
            await Assertions.Expect(centre.GetByTestId("action-close")).ToHaveCountAsync(0);
            await Assertions.Expect(centre.GetByTestId("action-verify")).ToBeVisibleAsync();
            await centre.ShotAsync("case-held-close");

            // The operator's shift ends: the shift lead takes the case over on its file.
            var leadId = await (await app.SignInAsync("shiftlead")).MyIdAsync();
            await shift.GotoAsync($"cases/{id}");
            await shift.ReadyAsync();
            await shift.GetByTestId("action-transfer").ClickAsync();
            await shift.GetByTestId("input-operator").SelectOptionAsync(leadId);
            await shift.GetByTestId("confirm-move").ClickAsync();
            await Assertions.Expect(shift.GetByTestId("moved")).ToBeVisibleAsync();
            Assert.Equal(leadId, (await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["work"]!["claimedById"]!.GetValue<string>());
        }
        finally
        {
            await browser.CloseAsync();
            playwright.Dispose();
        }
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task The_administrator_issues_a_channel_key_once_and_edits_the_routing_table(string db)
    {
        var (playwright, browser) = await Browser.LaunchAsync();
        await using var app = await CityOpsApp.StartAsync(db, kestrel: true);
        try
        {
            var op = await browser.SignInAsync(app.BaseUrl, "operator");
            await op.GotoAsync("admin");
            await op.ReadyAsync();
            await Assertions.Expect(op.GetByRole(AriaRole.Alert)).ToContainTextAsync("无权");

            var admin = await browser.SignInAsync(app.BaseUrl, "admin");
            await admin.GotoAsync("admin?tab=channels");
            await admin.ReadyAsync();
            await admin.GetByTestId("rotate-wechat").ClickAsync();
            var shown = await admin.GetByTestId("new-key").Locator("code").InnerTextAsync();
            var key = shown[(shown.IndexOf(':', StringComparison.Ordinal) + 2)..];
            await admin.ShotAsync("admin-channels");
            // The new key works at once; the demo key it replaced does not.
            var citizen = app.CreateClient();
            var at = Api.PointIn("350203");
            var form = Api.Report("C0106", at);
            form["api_key"] = key;
            Assert.Equal(System.Net.HttpStatusCode.Created, (await citizen.PostOpen311Async(form)).StatusCode);
            form["api_key"] = "demo-wechat-key";
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await citizen.PostOpen311Async(form)).StatusCode);
            await admin.ReloadAsync();
            await admin.ReadyAsync();
            await Assertions.Expect(admin.GetByTestId("new-key")).ToHaveCountAsync(0); // shown once

            await admin.GotoAsync("admin?tab=routing");
            await admin.ReadyAsync();
            // The demo city has rules: count them once the table has them, not while it loads.
            await Assertions.Expect(admin.GetByTestId("rules").Locator("tbody tr").First).ToBeVisibleAsync();
            var before = await admin.GetByTestId("rules").Locator("tbody tr").CountAsync();
            await admin.GetByTestId("rule-area").FillAsync("350203");
            await admin.GetByTestId("rule-category").FillAsync("C0106");
            await admin.GetByTestId("rule-unit").FillAsync("no-such-unit");
            await admin.GetByTestId("rule-add").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("rule-error-unitCode")).ToBeVisibleAsync();
            await Assertions.Expect(admin.GetByTestId("rule-area")).ToHaveValueAsync("350203"); // nothing typed is lost
            await admin.GetByTestId("rule-unit").FillAsync("d350203-squad");
            await admin.GetByTestId("rule-add").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("rules").Locator("tbody tr")).ToHaveCountAsync(before + 1);
            await admin.ShotAsync("admin-routing");
            // A condition's time limit and a person's roles, edited in place.
            await admin.GotoAsync("admin?tab=categories");
            await admin.ReadyAsync();
            await admin.GetByTestId("limit-edit-C0106-02").ClickAsync();
            await admin.GetByTestId("limit-value").FillAsync("6");
            await admin.GetByTestId("limit-unit").SelectOptionAsync("WorkingHours");
            await admin.GetByTestId("limit-save").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("limit-text-C0106-02")).ToContainTextAsync("6");
            await admin.GotoAsync("admin?tab=users");
            await admin.ReadyAsync();
            await admin.GetByTestId("user-filter-text").FillAsync("inspector@");
            await admin.GetByTestId("user-filter").ClickAsync();
            var row = admin.GetByTestId("user-inspector@demo.cityops");
            await row.GetByTestId("roles-edit-inspector@demo.cityops").ClickAsync();
            await admin.GetByTestId("roles-value").FillAsync("inspector, mayor");
            await admin.GetByTestId("roles-save").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("roles-error")).ToContainTextAsync("mayor");
            await admin.GetByTestId("roles-value").FillAsync("inspector, streetchief");
            await admin.GetByTestId("roles-save").ClickAsync();
            await Assertions.Expect(row.GetByTestId("roles-text")).ToContainTextAsync("streetchief");

            await admin.GotoAsync("admin?tab=calendar");
            await admin.ReadyAsync();
            await Assertions.Expect(admin.GetByRole(AriaRole.Cell, new() { Name = "2026-10-01", Exact = false }).First).ToBeVisibleAsync();
        }
        finally
        {
            await browser.CloseAsync();
            playwright.Dispose();
        }
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task The_administrator_creates_a_unit_a_user_a_minor_class_and_a_holiday_year_and_gives_a_street_chief_more_streets(string db)
    {
        var (playwright, browser) = await Browser.LaunchAsync();
        await using var app = await CityOpsApp.StartAsync(db, kestrel: true);
        try
        {
            var admin = await browser.SignInAsync(app.BaseUrl, "admin");
            var api = await app.SignInAsync("admin");

            // A new department under a superior that does not exist: refused next to the field, nothing typed lost, nothing saved.
            await admin.GotoAsync("admin?tab=units");
            await admin.ReadyAsync();
            await admin.GetByTestId("unit-new").Locator("summary").ClickAsync();
            await admin.GetByTestId("unit-code").FillAsync("city-lighting");
            await admin.GetByTestId("unit-name-zh").FillAsync("市路灯管理所");
            await admin.GetByTestId("unit-name-en").FillAsync("Street lighting office");
            await admin.GetByTestId("unit-kind").SelectOptionAsync("Department");
            await admin.GetByTestId("unit-parent").FillAsync("no-such-unit");
            await admin.GetByTestId("unit-add").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("unit-error-parentId")).ToBeVisibleAsync();
            await Assertions.Expect(admin.GetByTestId("unit-name-zh")).ToHaveValueAsync("市路灯管理所");
            Assert.DoesNotContain((await api.GetFromJsonAsync<JsonArray>("/api/units"))!, u => u!["code"]!.GetValue<string>() == "city-lighting");
            await admin.GetByTestId("unit-parent").FillAsync("city-municipal");
            await admin.GetByTestId("unit-add").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("unit-saved")).ToContainTextAsync("city-lighting");
            await Assertions.Expect(admin.GetByTestId("unit-city-lighting")).ToContainTextAsync("city-municipal");
            var units = (await api.GetFromJsonAsync<JsonArray>("/api/units"))!;
            var lighting = units.Single(u => u!["code"]!.GetValue<string>() == "city-lighting")!;
            Assert.Equal("Department", lighting["kind"]!.GetValue<string>());
            Assert.Equal(units.Single(u => u!["code"]!.GetValue<string>() == "city-municipal")!["id"]!.GetValue<int>(), lighting["parentId"]!.GetValue<int>());

            // A community street chief takes on one more street; the list of streets is what the API then gives.
            var chief = units.First(u => u!["kind"]!.GetValue<string>() == "StreetChief" && u["streetChiefLevel"]?.GetValue<string>() == "Community")!;
            var chiefCode = chief["code"]!.GetValue<string>();
            var streets = chief["streets"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();
            await admin.GetByTestId("unit-filter-text").FillAsync(chiefCode);
            await admin.GetByTestId("unit-filter").ClickAsync();
            await admin.GetByTestId($"unit-edit-{chiefCode}").ClickAsync();
            await admin.GetByTestId("edit-streets").FillAsync(string.Join("\n", streets.Append("滨海西大道")));
            await admin.GetByTestId("edit-save").ClickAsync();
            await Assertions.Expect(admin.GetByTestId($"unit-streets-{chiefCode}")).ToContainTextAsync("滨海西大道");
            var after = (await api.GetFromJsonAsync<JsonArray>("/api/units?kind=StreetChief"))!.Single(u => u!["code"]!.GetValue<string>() == chiefCode)!;
            Assert.Equal(streets.Append("滨海西大道"), after["streets"]!.AsArray().Select(s => s!.GetValue<string>()));
            await admin.ShotAsync("admin-units");

            // A new account: a taken email and a short password are refused in Chinese next to their fields; then it signs in.
            await admin.GotoAsync("admin?tab=users");
            await admin.ReadyAsync();
            await admin.GetByTestId("user-new").Locator("summary").ClickAsync();
            await admin.GetByTestId("user-email").FillAsync("handler@demo.cityops");
            await admin.GetByTestId("user-name").FillAsync("路灯维修 张师傅");
            await admin.GetByTestId("user-password").FillAsync("short");
            await admin.GetByTestId("user-roles").FillAsync("handler");
            await admin.GetByTestId("user-unit").FillAsync("city-lighting");
            await admin.GetByTestId("user-add").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("user-error-password")).ToContainTextAsync("10");
            await admin.GetByTestId("user-password").FillAsync("Lamp-post-2026");
            await admin.GetByTestId("user-add").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("user-error-email")).ToContainTextAsync("已被使用");
            await Assertions.Expect(admin.GetByTestId("user-name")).ToHaveValueAsync("路灯维修 张师傅");
            await admin.GetByTestId("user-email").FillAsync("lamp.zhang@demo.cityops");
            await admin.GetByTestId("user-add").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("user-saved")).ToContainTextAsync("lamp.zhang@demo.cityops");
            await Assertions.Expect(admin.GetByTestId("user-lamp.zhang@demo.cityops")).ToContainTextAsync("city-lighting");
            var login = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "lamp.zhang@demo.cityops", password = "Lamp-post-2026" });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);

            // A new minor class: without its closing condition it is refused; then Open311 lists it with its condition.
            await admin.GotoAsync("admin?tab=categories");
            await admin.ReadyAsync();
            await admin.GetByTestId("category-new").Locator("summary").ClickAsync();
            await admin.GetByTestId("category-kind").SelectOptionAsync("Event");
            await admin.GetByTestId("category-major").SelectOptionAsync("01");
            await admin.GetByTestId("category-code").FillAsync("88");
            await admin.GetByTestId("category-name-zh").FillAsync("路灯不亮");
            await admin.GetByTestId("category-name-en").FillAsync("Street light out");
            await admin.GetByTestId("category-keywords").FillAsync("路灯,street light");
            await admin.GetByTestId("category-condition-zh").FillAsync("路灯夜间不亮或闪烁");
            await admin.GetByTestId("category-limit").FillAsync("3");
            await admin.GetByTestId("category-limit-unit").SelectOptionAsync("WorkingDays");
            await admin.GetByTestId("category-add").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("category-error-conditions")).ToBeVisibleAsync();
            await Assertions.Expect(admin.GetByTestId("category-name-zh")).ToHaveValueAsync("路灯不亮");
            await admin.GetByTestId("category-closing-zh").FillAsync("路灯夜间正常点亮");
            await admin.GetByTestId("category-add").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("category-saved")).ToContainTextAsync("E0188");
            await Assertions.Expect(admin.GetByTestId("limit-text-E0188-01")).ToContainTextAsync("3");
            await admin.ShotAsync("admin-categories");
            var definition = await app.CreateClient().GetFromJsonAsync<JsonObject>("/open311/v2/services/E0188.json");
            Assert.Contains("路灯夜间不亮或闪烁", definition!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), StringComparison.Ordinal);

            // A year's holidays entered on the page: a weekday marked as a working day is refused with the JSON kept; then stored and withdrawn.
            await admin.GotoAsync("admin?tab=calendar");
            await admin.ReadyAsync();
            await Assertions.Expect(admin.GetByTestId("calendar-howto")).ToContainTextAsync("holidays-cn-");
            await Assertions.Expect(admin.GetByTestId("year-source-2026")).ToHaveTextAsync("内置");
            await admin.GetByTestId("year-new").Locator("summary").ClickAsync();
            await admin.GetByTestId("year-value").FillAsync("2028");
            const string wrong = """{"year":2028,"days":[{"name":"元旦","date":"2028-01-10","isOffDay":true},{"name":"元旦","date":"2028-01-11","isOffDay":false}]}""";
            await admin.GetByTestId("year-json").FillAsync(wrong);
            await admin.GetByTestId("year-save").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("year-error")).ToContainTextAsync("2028-01-11");
            await Assertions.Expect(admin.GetByTestId("year-json")).ToHaveValueAsync(wrong);
            await admin.GetByTestId("year-json").FillAsync(wrong.Replace("2028-01-11", "2028-01-08", StringComparison.Ordinal));
            await admin.GetByTestId("year-save").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("year-saved")).ToContainTextAsync("2028");
            await Assertions.Expect(admin.GetByTestId("year-source-2028")).ToHaveTextAsync("管理员录入");
            await Assertions.Expect(admin.GetByTestId("holiday-days")).ToContainTextAsync("2028-01-08");
            await admin.ShotAsync("admin-calendar");
            await admin.GetByTestId("year-withdraw-2028").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("year-2028")).ToHaveCountAsync(0);
        }
        finally
        {
            await browser.CloseAsync();
            playwright.Dispose();
        }
    }

    private static async Task<string?> HandlerLabelAsync(IPage page)
    {
        var labels = await page.GetByTestId("input-handler").Locator("option").AllInnerTextsAsync();
        return labels.FirstOrDefault(l => l.Contains("handler@demo.cityops", StringComparison.Ordinal));
    }
}
