using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Administration;

/// <summary>
/// The reference stamp moves with every edit of the reference data and with nothing else: if a
/// report or a move moved it, every instance would rebuild the city after every case.
/// </summary>
public sealed class ReferenceStampTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task An_admin_edit_moves_the_stamp_while_reports_moves_and_refused_edits_leave_it(string db)
    {
        await using var app = await CityOpsApp.StartAsync(db);
        var start = await StampAsync(app);

        // Intake and the loop write cases, events, notices: not reference data.
        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        var op = await app.SignInAsync("operator");
        await op.MustAsync(id, "claim");
        await op.MustAsync(id, "register", new { condition = "01" });
        Assert.Equal(start, await StampAsync(app));

        // An edit refused by validation never reaches a save: the stamp stays.
        var admin = await app.SignInAsync("admin");
        var refused = await admin.PutAsJsonAsync("/api/admin/channels/weibo", new { code = "weibo", nameZh = "", nameEn = "", sourceType = "Complaint", active = true });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(start, await StampAsync(app));

        // A channel edited, a routing rule added and deleted: each moves it.
        var renamed = await admin.PutAsJsonAsync("/api/admin/channels/weibo", new { code = "weibo", nameZh = "微博（改名）", nameEn = "Weibo (renamed)", sourceType = "Complaint", active = true });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var afterChannel = await StampAsync(app);
        Assert.NotEqual(start, afterChannel);

        var rule = await admin.PostAsJsonAsync("/api/admin/routing-rules", new { areaCode = "350203", category = "C0401", unitCode = "city-landscaping", note = "stamp test" });
        Assert.Equal(HttpStatusCode.Created, rule.StatusCode);
        var afterRule = await StampAsync(app);
        Assert.NotEqual(afterChannel, afterRule);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync(rule.Headers.Location)).StatusCode);
        Assert.NotEqual(afterRule, await StampAsync(app));
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_stamp_row_deleted_by_hand_comes_back_with_the_next_edit(string db)
    {
        await using var app = await CityOpsApp.StartAsync(db);
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<CityOpsDb>().Database.ExecuteSqlRawAsync("DELETE FROM \"ReferenceStamps\"");
        Assert.Equal(0, await StampAsync(app));

        var admin = await app.SignInAsync("admin");
        var renamed = await admin.PutAsJsonAsync("/api/admin/channels/weibo", new { code = "weibo", nameZh = "微博（改名）", nameEn = "Weibo (renamed)", sourceType = "Complaint", active = true });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("微博（改名）", (await (await admin.GetAsync("/api/admin/channels")).JsonAsync()).AsArray().Single(c => c!["code"]!.GetValue<string>() == "weibo")!["nameZh"]!.GetValue<string>());
        var back = await StampAsync(app);
        Assert.NotEqual(0, back);
        // And the row, back in place, moves with the next edit as before.
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/admin/channels/weibo", new { code = "weibo", nameZh = "微博", nameEn = "Weibo", sourceType = "Complaint", active = true })).StatusCode);
        Assert.NotEqual(back, await StampAsync(app));
    }

    /// <summary>
    /// A layer is stored whole, at the end: while the job runs, none of its areas is in the grid and
    /// the stamp has not moved (other instances keep routing on the complete old grid); once it has
    /// succeeded, every area is there and the stamp has moved.
    /// </summary>
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_GeoJSON_import_is_stored_whole_and_moves_the_stamp_once_it_is_complete(string db)
    {
        await using var app = await CityOpsApp.StartAsync(db);
        var admin = await app.SignInAsync("admin");
        const int count = 2000;
        var community = await FirstCommunityAsync(app);
        string Code(int i) => community + (100 + i).ToString("000", System.Globalization.CultureInfo.InvariantCulture)[^3..];
        var features = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            // Cells of a new community of 思明区's first subdistrict, each 0.0005° square.
            var (lon, lat) = (118.08 + i % 50 * 0.0005, 24.45 + i / 50 * 0.0005);
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["properties"] = new JsonObject { ["code"] = Code(i), ["name"] = "导入网格" + i },
                ["geometry"] = new JsonObject
                {
                    ["type"] = "Polygon",
                    ["coordinates"] = new JsonArray(new JsonArray(
                        new JsonArray(lon, lat), new JsonArray(lon + 0.0005, lat), new JsonArray(lon + 0.0005, lat + 0.0005), new JsonArray(lon, lat + 0.0005), new JsonArray(lon, lat))),
                },
            });
        }
        var start = await StampAsync(app);

        var submitted = await admin.PostAsync("/api/admin/geography/imports?level=Cell&coordinateSystem=WGS84",
            new StringContent(new JsonObject { ["type"] = "FeatureCollection", ["features"] = features }.ToJsonString(), System.Text.Encoding.UTF8, "application/geo+json"));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = (await submitted.JsonAsync())["id"]!.GetValue<int>();

        var seenRunning = 0;
        JsonNode job;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            job = await (await admin.GetAsync($"/api/admin/geography/imports/{id}")).JsonAsync();
            if (job["state"]!.GetValue<string>() is not ("Queued" or "Running") || DateTime.UtcNow > deadline) break;
            if (job["state"]!.GetValue<string>() == "Running" && job["processed"]!.GetValue<int>() is >= 100 and < count)
            {
                seenRunning++;
                Assert.Equal(start, await StampAsync(app));
                Assert.Equal(0, await ImportedAsync(app, community));
            }
            await Task.Delay(10);
        }
        Assert.Equal("Succeeded", job["state"]!.GetValue<string>());
        Assert.True(seenRunning > 0, "the import finished before it could be watched running");
        Assert.NotEqual(start, await StampAsync(app));
        // Codes repeat after 1,000 features (three digits): 1,000 cells, each written once.
        Assert.Equal(1000, await ImportedAsync(app, community));
        Assert.Equal(1000, job["created"]!.GetValue<int>() + job["updated"]!.GetValue<int>());
    }

    private static async Task<string> FirstCommunityAsync(CityOpsApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        return await db.Areas.Where(a => a.Level == CityOps.Server.Features.Geography.AreaLevel.Community).OrderBy(a => a.Code).Select(a => a.Code).FirstAsync();
    }

    /// <summary>Cells of the community named "导入网格…" (the imported ones).</summary>
    private static async Task<int> ImportedAsync(CityOpsApp app, string community)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        return await db.Areas.CountAsync(a => a.Code.StartsWith(community) && a.Name.StartsWith("导入网格"));
    }

    private static async Task<long> StampAsync(CityOpsApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await ReferenceStamp.ReadAsync(scope.ServiceProvider.GetRequiredService<CityOpsDb>(), CancellationToken.None);
    }
}
