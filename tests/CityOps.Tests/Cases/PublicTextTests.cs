using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Features.Cases.Workflow;
using CityOps.Tests.Support;

namespace CityOps.Tests.Cases;

/// <summary>What staff write for the public (a void's reason, the closing statement) carries no one's mobile or identity number.</summary>
public sealed class PublicTextTests
{
    [Theory]
    [InlineData("已联系当事人13800138000", true)]
    [InlineData("当事人电话 138 0013 8000", true)]
    [InlineData("当事人电话 138-0013-8000", true)]
    [InlineData("当事人 +86 138 0013 8000", true)]
    [InlineData("当事人 8613800138000", true)]
    [InlineData("当事人 １３８００１３８０００", true)]
    [InlineData("身份证 350203199001011002 的业主已确认", true)]
    [InlineData("身份证35020319900101123x", true)]
    [InlineData("身份证 350203 19900101 1002", true)]
    [InlineData("联系 138.0013.8000", true)]
    [InlineData("当事人电话 138\u30000013\u30008000", true)] // ideographic spaces
    [InlineData("当事人电话 (138)0013-8000", true)]
    [InlineData("当事人电话 138–0013–8000", true)] // en dashes
    [InlineData("电话 1 3 8 0 0 1 3 8 0 0 0", true)]
    [InlineData("编号 350203199001011003", false)] // wrong check character: not an identity number
    [InlineData("2026.11.27 13:00 验收，第 1 至 13 号路灯", false)]
    [InlineData("当事人电话 138 - 0013 - 8000", true)]
    [InlineData("当事人电话 138/0013/8000", true)]
    [InlineData("当事人电话 138\u200B0013\u200B8000", true)] // zero-width spaces
    [InlineData("身份证 350203 1990 0101 1002", true)]
    [InlineData("监控主机 192.168.10.100、172.16.100.200 离线", false)]
    [InlineData("1998.10.1-1999.3 建成，1995.10-2003.6 改造", false)]
    [InlineData("湖滨南路138-12-23-1501 门口", false)]
    [InlineData("第1 3 5 7 9 11 13 15 17 19号井盖已修复", false)]
    [InlineData("系统版本 1.3.0.2024.11.27", false)]
    [InlineData("工单号 202611271234567890", false)] // 18 digits without a birth date
    [InlineData("请拨打 12345 或 0592-5555555 咨询", false)]
    [InlineData("工单号 202611271234567 已归档", false)]
    [InlineData("流水号 20261127123456789012", false)]
    [InlineData("井盖已更换，2026-11-27 验收", false)]
    [InlineData("", false)]
    public void Mobile_and_identity_numbers_are_found_and_service_numbers_are_not(string text, bool found) =>
        Assert.Equal(found, PublicText.HasPersonalData(text));

    [Theory]
    [InlineData("井盖松动，来电人电话13912345679", "井盖松动，来电人电话139****5679")]
    [InlineData("联系 139.1234.5679 或 +86 139 1234 5679", "联系 139****5679 或 +86 139****5679")]
    [InlineData("业主身份证 350203199001011002 已确认", "业主身份证 350***********1002 已确认")]
    [InlineData("请拨打 12345 或 0592-5555555 咨询", "请拨打 12345 或 0592-5555555 咨询")]
    [InlineData("当事人 (138)0013-8000 已到场", "当事人 138****8000 已到场")]
    [InlineData("电话 １３８００１３８０００", "电话 138****8000")]
    [InlineData("1 3 8 0 0 350203 19900101 1002", "1 3 8 0 0 350***********1002")]
    [InlineData("主机 192.168.10.100 离线", "主机 192.168.10.100 离线")]
    public void Numbers_in_a_text_are_masked_and_the_rest_kept(string text, string masked) =>
        Assert.Equal(masked, PublicText.Masked(text));

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_phone_number_typed_into_a_description_is_masked_for_the_public_and_for_staff_who_see_no_personal_data(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var leader = await app.SignInAsync("leader");
        var at = Api.PointIn("350203");
        var created = await op.PostAsJsonAsync("/api/reports", new
        {
            channel = "hotline12345", category = "C0106", description = "井盖松动，来电人电话13912345679",
            location = new { lat = at.Lat, lon = at.Lon, coordinateSystem = "WGS84" },
            reporter = new { name = "赵六", phone = "13912345679" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.JsonAsync())["caseId"]!.GetValue<long>();

        var request = JsonNode.Parse(await app.CreateClient().GetStringAsync($"/open311/v2/requests/{id}.json"))![0]!;
        Assert.Equal("井盖松动，来电人电话139****5679", request["description"]!.GetValue<string>());
        Assert.DoesNotContain("13912345679", await app.CreateClient().GetStringAsync($"/open311/v2/requests/{id}.xml"), StringComparison.Ordinal);
        var seen = await (await leader.GetAsync($"/api/cases/{id}")).JsonAsync();
        Assert.Equal("井盖松动，来电人电话139****5679", seen["description"]!.GetValue<string>());
        Assert.DoesNotContain("13912345679", (await leader.GetStringAsync($"/api/cases?pageSize=500")), StringComparison.Ordinal);
        // Those who call citizens back see it as it was said.
        Assert.Equal("井盖松动，来电人电话13912345679", (await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["description"]!.GetValue<string>());

        // What staff write in the record (a request's reason, a result's notes) is masked the same way, and the Open311 list too.
        await op.MustAsync(id, "register", new { condition = "02" }); // auto-dispatched to the unit
        var unit = await app.SignInAsync("department");
        await unit.MustAsync(id, "extend", new { value = 2, reason = "业主电话 139-1234-5679，需协调" });
        foreach (var reader in new[] { unit, leader })
        {
            var file = await (await reader.GetAsync($"/api/cases/{id}")).JsonAsync();
            Assert.Equal("业主电话 139****5679，需协调", file["work"]!["pendingReason"]!.GetValue<string>());
            Assert.Equal("业主电话 139****5679，需协调", file["history"]!.AsArray().Single(e => e!["action"]!.GetValue<string>() == "extend")!["reason"]!.GetValue<string>());
            Assert.DoesNotContain("1234-5679", await reader.GetStringAsync($"/api/cases/{id}/history"), StringComparison.Ordinal);
        }
        Assert.Contains("139-1234-5679", await op.GetStringAsync($"/api/cases/{id}/history"), StringComparison.Ordinal);
        var list = await app.CreateClient().GetStringAsync("/open311/v2/requests.json?service_code=C0106&page_size=1000");
        Assert.Contains("来电人电话139****5679", list, StringComparison.Ordinal);
        Assert.DoesNotContain("13912345679", list, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_void_reason_or_closing_statement_with_a_phone_number_is_refused_and_nothing_changes(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");

        var voided = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        var refused = await op.MoveAsync(voided, "void", new { reason = "重复上报，已电话告知13800138000" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("reason", (await refused.JsonAsync())["field"]!.GetValue<string>());
        var file = await (await op.GetAsync($"/api/cases/{voided}")).JsonAsync();
        Assert.Equal("Reported", file["state"]!.GetValue<string>());
        Assert.Single(file["history"]!.AsArray());
        await op.MustAsync(voided, "void", new { reason = "重复上报，详询12345" });

        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        await op.MustAsync(id, "register", new { condition = "02" });
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        await handler.MustAsync(id, "submit", new { notes = "已更换", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        await unit.MustAsync(id, "confirm");
        var close = await op.MoveAsync(id, "close", new { closingConditionMet = true, notes = "已修复，业主（身份证35020319900101123X）确认" });
        Assert.Equal(HttpStatusCode.BadRequest, close.StatusCode);
        Assert.Equal("notes", (await close.JsonAsync())["field"]!.GetValue<string>());
        Assert.Equal("Feedback", (await (await op.GetAsync($"/api/cases/{id}")).JsonAsync())["state"]!.GetValue<string>());
        await op.MustAsync(id, "close", new { closingConditionMet = true, notes = "路灯已修复" });
        var request = JsonNode.Parse(await app.CreateClient().GetStringAsync($"/open311/v2/requests/{id}.json"))![0]!;
        Assert.Equal("closed", request["status"]!.GetValue<string>());
        Assert.Equal("路灯已修复", request["status_notes"]!.GetValue<string>());
    }
}
