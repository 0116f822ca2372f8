using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using CityOps.Tests.Support;

namespace CityOps.Tests.Administration;

/// <summary>Reference data edited through the admin API takes effect on routing and intake at once.</summary>
public sealed class AdministrationTests
{
    private static string Resolve((double Lon, double Lat) at, string category) =>
        string.Create(CultureInfo.InvariantCulture, $"/api/routing/resolve?lat={at.Lat}&lon={at.Lon}&category={category}");

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_cell_rule_overrides_the_city_rule_and_no_rule_falls_to_the_territory(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var admin = await app.SignInAsync("admin");
        var at = Api.PointIn("350206");
        var before = await (await admin.GetAsync(Resolve(at, "C0401"))).JsonAsync();
        Assert.Equal("RoutingTable", before["reason"]!.GetValue<string>());
        Assert.Equal("city-landscaping", before["unitCode"]!.GetValue<string>());

        var cell = before["cell"]!.GetValue<string>();
        var created = await admin.PostAsJsonAsync("/api/admin/routing-rules", new { areaCode = cell, category = "C0401", unitCode = "d350206-squad", note = "test" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var after = await (await admin.GetAsync(Resolve(at, "C0401"))).JsonAsync();
        Assert.Equal("d350206-squad", after["unitCode"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/admin/routing-rules", new { areaCode = cell, category = "C0401", unitCode = "d350206-squad" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/admin/routing-rules/{(await created.JsonAsync())["id"]}")).StatusCode);
        Assert.Equal("city-landscaping", (await (await admin.GetAsync(Resolve(at, "C0401"))).JsonAsync())["unitCode"]!.GetValue<string>());

        // 健身设施 has no row in the table: the subdistrict office of the point answers for it (属地).
        var territory = await (await admin.GetAsync(Resolve(at, "C0124"))).JsonAsync();
        Assert.Equal("Territory", territory["reason"]!.GetValue<string>());
        Assert.Equal($"s{territory["subdistrict"]!.GetValue<string>()}-office", territory["unitCode"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task One_rule_per_area_and_category_holds_where_either_is_the_whole_city_or_any_category(string db)
    {
        // A database of its own: the rules added here would change routing for the other tests.
        await using var app = await CityOpsApp.StartAsync(db);
        var admin = await app.SignInAsync("admin");
        var cell = (await (await admin.GetAsync(Resolve(Api.PointIn("350206"), "C0124"))).JsonAsync())["cell"]!.GetValue<string>();

        // The same rule sent six times at once, for each shape of rule: one is stored, the others are refused (never a 500).
        foreach (var (area, category) in new (string?, string?)[] { (null, "C0124"), (cell, null), (null, null), (cell, "C0124") })
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
                admin.PostAsJsonAsync("/api/admin/routing-rules", new { areaCode = area, category, unitCode = "city-municipal" })));
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
            Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Created or HttpStatusCode.BadRequest or HttpStatusCode.Conflict,
                $"{area}/{category}: {(int)a.StatusCode}"));
        }

        // The database itself refuses a second row for each shape, whoever writes it.
        using var scope = app.Services.CreateScope();
        var data = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        var rules = await data.RoutingRules.AsNoTracking().ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(rules.Count, rules.DistinctBy(r => (r.AreaId, r.CategoryId)).Count());
        var areaId = await data.Areas.Where(a => a.Code == cell).Select(a => a.Id).SingleAsync(TestContext.Current.CancellationToken);
        var categoryId = await data.Categories.Where(c => c.ServiceCode == "C0124").Select(c => c.Id).SingleAsync(TestContext.Current.CancellationToken);
        var unitId = rules[0].UnitId;
        foreach (var (a, c) in new (int?, int?)[] { (null, categoryId), (areaId, null), (null, null), (areaId, categoryId) })
        {
            data.RoutingRules.Add(new RoutingRule { AreaId = a, CategoryId = c, UnitId = unitId });
            await Assert.ThrowsAsync<DbUpdateException>(() => data.SaveChangesAsync(TestContext.Current.CancellationToken));
            data.ChangeTracker.Clear();
        }
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_unit_answers_only_inside_its_territory_and_a_route_left_outside_it_waits_for_the_dispatcher(string db)
    {
        // A database of its own: a rule and a unit's territory change here.
        await using var app = await CityOpsApp.StartAsync(db);
        var admin = await app.SignInAsync("admin");
        var at = Api.PointIn("350206"); // 湖里区
        var cell = (await (await admin.GetAsync(Resolve(at, "C0106"))).JsonAsync())["cell"]!.GetValue<string>();
        var squads = (await (await admin.GetAsync("/api/units?kind=EnforcementSquad")).JsonAsync()).AsArray();
        var siming = squads.First(u => u!["code"]!.GetValue<string>() == "d350203-squad")!;
        var huli = squads.First(u => u!["code"]!.GetValue<string>() == "d350206-squad")!;

        // 思明区's squad cannot be made to answer for a cell of 湖里区, by rule or as the cell's responsible party.
        var outside = await admin.PostAsJsonAsync("/api/admin/routing-rules", new { areaCode = cell, category = "C0106", unitCode = "d350203-squad" });
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
        Assert.True((await outside.JsonAsync())["errors"]!.AsObject().ContainsKey("unitCode"));
        var cityWide = await admin.PostAsJsonAsync("/api/admin/routing-rules", new { category = "C0106", unitCode = "d350206-squad" });
        Assert.Equal(HttpStatusCode.BadRequest, cityWide.StatusCode);
        var responsible = await admin.PutAsJsonAsync($"/api/admin/areas/{cell}", new { name = "测试网格", responsibleUnitId = siming["id"]!.GetValue<int>() });
        Assert.Equal(HttpStatusCode.BadRequest, responsible.StatusCode);
        Assert.True((await responsible.JsonAsync())["errors"]!.AsObject().ContainsKey("responsibleUnitId"));
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/admin/routing-rules", new { areaCode = cell, category = "C0106", unitCode = "d350206-squad" })).StatusCode);

        // The squad's territory moves afterwards; the rule stays, now pointing outside it. Registering is
        // not refused for it: the case waits for the dispatcher, who cannot send it there either.
        var moved = await admin.PutAsJsonAsync("/api/admin/units/d350206-squad", new
        {
            code = "d350206-squad", nameZh = huli["nameZh"]!.GetValue<string>(), nameEn = huli["nameEn"]!.GetValue<string>(), kind = "EnforcementSquad",
            parentId = huli["parentId"]?.GetValue<int>(), areaCode = "350203",
        });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var id = await app.CreateClient().ReportAsync("C0106", at);
        var registered = await (await app.SignInAsync("operator")).MustAsync(id, "register", new { condition = "02" });
        Assert.Equal("Registered", registered["state"]!.GetValue<string>());
        Assert.Equal("d350206-squad", registered["routing"]!["unitCode"]!.GetValue<string>());
        var dispatcher = await app.SignInAsync("dispatcher");
        var refused = await dispatcher.MoveAsync(id, "dispatch", new { unitId = huli["id"]!.GetValue<int>() });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("unitId", (await refused.JsonAsync())["field"]!.GetValue<string>());
        var municipal = (await (await admin.GetAsync("/api/units")).JsonAsync()).AsArray().First(u => u!["code"]!.GetValue<string>() == "city-municipal")!;
        Assert.Equal("Dispatched", (await dispatcher.MustAsync(id, "dispatch", new { unitId = municipal["id"]!.GetValue<int>() }))["state"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_rotated_channel_key_is_shown_once_and_replaces_the_old_one(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var admin = await app.SignInAsync("admin");
        var rotated = await (await admin.PostAsync("/api/admin/channels/weibo/key", null)).JsonAsync();
        var key = rotated["apiKey"]!.GetValue<string>();
        var channels = await admin.GetStringAsync("/api/admin/channels");
        Assert.DoesNotContain(key, channels, StringComparison.Ordinal);
        Assert.Contains(key[..8], channels, StringComparison.Ordinal);

        var client = app.CreateClient();
        var form = Api.Report("E0102", Api.PointIn("350213"));
        form["api_key"] = "demo-weibo-key";
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostOpen311Async(form)).StatusCode);
        form["api_key"] = key;
        Assert.Equal(HttpStatusCode.Created, (await client.PostOpen311Async(form)).StatusCode);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_geojson_layer_in_gcj02_is_imported_with_progress_converted_to_wgs84(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var admin = await app.SignInAsync("admin");
        var suffix = Random.Shared.Next(900, 999).ToString(CultureInfo.InvariantCulture);
        JsonObject Square(string code, double lon, double lat) => new()
        {
            ["type"] = "Feature",
            ["properties"] = new JsonObject { ["code"] = code, ["name"] = "导入街道" + code },
            ["geometry"] = new JsonObject
            {
                ["type"] = "Polygon",
                ["coordinates"] = new JsonArray(new JsonArray(
                    new JsonArray(lon, lat), new JsonArray(lon + 0.01, lat), new JsonArray(lon + 0.01, lat + 0.01), new JsonArray(lon, lat + 0.01), new JsonArray(lon, lat))),
            },
        };
        var layer = new JsonObject
        {
            ["type"] = "FeatureCollection",
            ["features"] = new JsonArray(Square("350203" + suffix, 118.09, 24.46), Square("999999" + suffix, 118.1, 24.47), Square("12", 118.1, 24.47)),
        };
        var submitted = await admin.PostAsync("/api/admin/geography/imports?level=Subdistrict&coordinateSystem=GCJ02",
            new StringContent(layer.ToJsonString(), System.Text.Encoding.UTF8, "application/geo+json"));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = (await submitted.JsonAsync())["id"]!.GetValue<int>();

        JsonNode job;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(100);
            job = await (await admin.GetAsync($"/api/admin/geography/imports/{id}")).JsonAsync();
        } while (job["state"]!.GetValue<string>() is "Queued" or "Running" && DateTime.UtcNow < deadline);
        Assert.Equal("Succeeded", job["state"]!.GetValue<string>());
        Assert.Equal(3, job["total"]!.GetValue<int>());
        Assert.Equal(3, job["processed"]!.GetValue<int>());
        Assert.Equal(1, job["created"]!.GetValue<int>() + job["updated"]!.GetValue<int>());
        Assert.Contains("9999", job["error"]!.GetValue<string>(), StringComparison.Ordinal); // parent 999999 does not exist

        var area = await (await admin.GetAsync($"/api/areas/350203{suffix}")).JsonAsync();
        var expected = Coordinates.Gcj02ToWgs84(118.09, 24.46);
        Assert.Equal(expected.Lon, area["minLon"]!.GetValue<double>(), 4);
        Assert.Equal(expected.Lat, area["minLat"]!.GetValue<double>(), 4);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Only_administrators_edit_reference_data_and_bad_edits_are_refused(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var dispatcher = await app.SignInAsync("dispatcher");
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.GetAsync("/api/admin/channels")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/admin/channels")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.GetAsync("/api/categories?q=井盖")).StatusCode);

        var admin = await app.SignInAsync("admin");
        var bad = await admin.PostAsJsonAsync("/api/admin/categories", new { kind = "Event", majorCode = "01", code = "9", nameZh = "", nameEn = "x", conditions = Array.Empty<object>() });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.JsonAsync())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("code") && errors.ContainsKey("nameZh") && errors.ContainsKey("conditions"));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/admin/units", new { code = "Bad Code!", nameZh = "x", nameEn = "x", kind = "Department" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/admin/users", new { email = "new@demo.cityops", displayName = "x", password = "Strong-Passw0rd", roles = new[] { "emperor" } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/admin/users", new { })).StatusCode);
        // A name events can record (at most 100 characters), and an edit as valid as a creation: no empty name, no account without a role.
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/admin/users", new { email = $"long-{Guid.NewGuid():N}@demo.cityops", displayName = new string('名', 101), password = "Strong-Passw0rd", roles = new[] { "handler" } })).StatusCode);
        var someone = (await (await admin.GetAsync("/api/admin/users?role=handler")).JsonAsync()).AsArray()[0]!["id"]!.GetValue<string>();
        foreach (object body in new object[] { new { roles = Array.Empty<string>() }, new { displayName = " " }, new { displayName = new string('名', 101) } })
            Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync($"/api/admin/users/{someone}", body)).StatusCode);
        Assert.NotEmpty((await (await admin.GetAsync("/api/admin/users?role=handler")).JsonAsync()).AsArray().First(u => u!["id"]!.GetValue<string>() == someone)!["roles"]!.AsArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/admin/routing-rules", new { unitCode = "centre" })).StatusCode);

        var created = await admin.PostAsJsonAsync("/api/admin/categories", new
        {
            kind = "Event", majorCode = "06", code = "9" + Random.Shared.Next(0, 9), nameZh = "测试小类", nameEn = "Test class", autoDispatch = true, active = true,
            conditions = new[] { new { code = "01", descriptionZh = "存在", descriptionEn = "Present", timeLimit = 3, timeLimitUnit = "WorkingDays", closingZh = "清除", closingEn = "Removed" } },
        });
        Assert.True(created.StatusCode is HttpStatusCode.Created or HttpStatusCode.BadRequest); // BadRequest only if an earlier run took the code
        var health = await app.CreateClient().GetStringAsync("/health");
        Assert.Equal("Healthy", health);
    }
}
