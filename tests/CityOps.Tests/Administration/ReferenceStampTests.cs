using System.Net;
using System.Net.Http.Json;
using CityOps.Server.Data;
using CityOps.Tests.Support;
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

    private static async Task<long> StampAsync(CityOpsApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await ReferenceStamp.ReadAsync(scope.ServiceProvider.GetRequiredService<CityOpsDb>(), CancellationToken.None);
    }
}
