using System.IO.Compression;
using System.Net.Http.Json;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CityOps.Tests.Support;

namespace CityOps.Tests.Access;

/// <summary>
/// Reporters' names, phones and e-mails appear unmasked only to the roles that call citizens back,
/// masked to other staff, and never in Open311: a report with known personal data, then every view of
/// it by every caller, each body decoded (JSON escapes, XML, the Excel workbook) and searched.
/// </summary>
public sealed class PersonalDataTests
{
    private static readonly string[] SeePersonalData = [AccessTable.Operator, AccessTable.Dispatcher, AccessTable.ShiftLead, AccessTable.Admin];
    private static readonly JsonSerializerOptions Plain = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Reporters_are_shown_only_to_the_roles_that_call_them_back_and_never_through_Open311(string db)
    {
        var w = await AccessWorld.For(db);
        var rng = Random.Shared;
        var name = "欧阳" + string.Concat(Enumerable.Range(0, 4).Select(_ => "明华强伟芳娜敏静丽军"[rng.Next(10)]));
        var phone = "139" + rng.Next(10_000_000, 99_999_999);
        var email = $"pd{rng.Next(100_000, 999_999)}@example.com";
        var (name2, phone2) = ("司马" + name[2..], "137" + rng.Next(10_000_000, 99_999_999));
        var secrets = new[] { name, phone, email, name2, phone2 };

        // Reported through Open311 by the web channel, joined by a second caller through the native API with the app's key.
        var at = AccessWorld.PointIn(w.ChiefCommunity);
        var (id, _) = await AccessWorld.DispatchedCaseAsync(w[AccessTable.Anonymous], w[AccessTable.Operator], "C0119", at, "city-municipal",
            new() { ["first_name"] = name, ["phone"] = phone, ["email"] = email });
        using (var joined = new HttpRequestMessage(HttpMethod.Post, "/api/reports"))
        {
            joined.Headers.Add("X-Api-Key", "demo-app-key");
            joined.Content = JsonContent.Create(new { category = "C0119", description = "同一处路灯", location = new { lat = at.Lat, lon = at.Lon }, reporter = new { name = name2, phone = phone2 }, attachTo = id });
            var response = await w[AccessTable.Anonymous].SendAsync(joined);
            var body = await Text(response);
            Assert.True(response.IsSuccessStatusCode, body);
            Assert.Contains(Masked(phone), body, StringComparison.Ordinal); // the channel gets the case back, reporters masked
            AssertAbsent(secrets, body, "POST /api/reports answer to a channel key");
        }
        // Round the loop to closed, so the case waits in the 回访 queue.
        var (department, handler, op) = (w[AccessTable.Department], w[AccessTable.Handler], w[AccessTable.Operator]);
        await department.MustAsync(id, "assign", new { userId = w.Me[AccessTable.Handler]["id"]!.GetValue<string>() });
        await handler.MustAsync(id, "submit", new { notes = "已修复", attachments = new[] { await handler.UploadAsync(Loop.Photo()) } });
        await department.MustAsync(id, "confirm");
        await op.MustAsync(id, "close", new { closingConditionMet = true });

        var year = w.Year;
        var views = new[]
        {
            $"/api/cases/{id}", $"/api/cases/{id}/history", "/api/cases?pageSize=500", "/api/inbox", "/api/evaluation/callbacks?pageSize=500",
            $"/api/evaluation/cases?period={year}&subject=unit:{w.MunicipalUnit}&counter=handled",
            $"/api/evaluation/export.csv?period={year}&table=units", $"/api/evaluation/export.csv?period={year}&table=operators", $"/api/evaluation/export.xlsx?period={year}",
            $"/open311/v2/requests/{id}.json", $"/open311/v2/requests/{id}.json?extensions=true", $"/open311/v2/requests/{id}.xml?extensions=true",
            $"/open311/v2/requests.json?service_request_id={id}", $"/open311/v2/requests.json?service_request_id={id}&extensions=true",
            $"/open311/v2/requests.xml?service_request_id={id}&extensions=true", "/open311/v2/requests.json?extensions=true&page_size=1000",
        };
        var seen = new Dictionary<(string Caller, string View), string>();
        foreach (var caller in AccessTable.Callers)
            foreach (var view in views)
            {
                var response = await w[caller].GetAsync(view);
                if (response.IsSuccessStatusCode) seen[(caller, view)] = await Text(response);
                else Assert.True((int)response.StatusCode is 401 or 403 or 404, $"GET {view} as {caller}: {(int)response.StatusCode}");
            }

        foreach (var ((caller, view), body) in seen)
        {
            if (view.StartsWith("/open311/", StringComparison.Ordinal) || !SeePersonalData.Contains(caller))
                AssertAbsent(secrets, body, $"GET {view} as {caller}");
            else if (view == $"/api/cases/{id}" || view.StartsWith("/api/evaluation/callbacks", StringComparison.Ordinal))
                foreach (var s in view.Contains("callbacks", StringComparison.Ordinal) ? [name, phone] : secrets)
                    Assert.True(body.Contains(s, StringComparison.Ordinal), $"GET {view} as {caller} should show {s} unmasked");
        }
        // Masked, not merely missing: staff who see the case see that there are reporters, and how to tell them apart.
        foreach (var caller in new[] { AccessTable.Department, AccessTable.Handler, AccessTable.Inspector, AccessTable.StreetChief, AccessTable.Leader })
            Assert.True(seen[(caller, $"/api/cases/{id}")].Contains(Masked(phone), StringComparison.Ordinal), $"{caller} should see {Masked(phone)}");
        Assert.Contains(Masked(phone), seen[(AccessTable.Leader, "/api/evaluation/callbacks?pageSize=500")], StringComparison.Ordinal);
        // Every view was read by someone, and the case was in the views that list it.
        Assert.All(views, v => Assert.Contains(seen.Keys, k => k.View == v));
        Assert.Contains($"\"{id}\"", seen[(AccessTable.Anonymous, $"/open311/v2/requests.json?service_request_id={id}&extensions=true")], StringComparison.Ordinal);
    }

    private static string Masked(string phone) => phone[..3] + "****" + phone[^4..];

    private static void AssertAbsent(string[] secrets, string body, string where)
    {
        foreach (var s in secrets)
            Assert.False(body.Contains(s, StringComparison.Ordinal), $"{where} shows {s}");
    }

    /// <summary>The body as a reader sees it: JSON without \u escapes, XML with its entities resolved, a workbook's sheets unpacked.</summary>
    private static async Task<string> Text(HttpResponseMessage response)
    {
        var type = response.Content.Headers.ContentType?.MediaType ?? "";
        if (type.Contains("spreadsheetml", StringComparison.Ordinal))
        {
            using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
            var sb = new StringBuilder();
            foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".xml", StringComparison.Ordinal)))
            {
                using var stream = entry.Open();
                sb.Append(string.Concat(XDocument.Load(stream).Descendants().Where(d => !d.HasElements).Select(d => d.Value + "\n")));
            }
            return sb.ToString();
        }
        var text = await response.Content.ReadAsStringAsync();
        if (type.Contains("json", StringComparison.Ordinal)) return JsonNode.Parse(text)?.ToJsonString(Plain) ?? "";
        if (type.Contains("xml", StringComparison.Ordinal)) return string.Concat(XDocument.Parse(text).Descendants().Select(d => d.Value + "\n"));
        return text;
    }
}
