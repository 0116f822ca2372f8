using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Intake;

/// <summary>Every bad input gets a clear 4xx in its door's dialect and leaves nothing behind.</summary>
public sealed class BadInputTests
{
    public static IEnumerable<TheoryDataRow<string, string, int>> Open311Cases()
    {
        var cases = new (string Name, int Status)[]
        {
            ("missing service_code", 400), ("unknown service_code", 400), ("latitude 91", 400), ("latitude not a number", 400),
            ("lat without long", 400), ("no location at all", 400), ("description over 4000", 400), ("unknown api_key", 403),
            ("no api_key", 403), ("outside the city", 400), ("wrong content type", 400), ("NUL character", 400), ("bad media_url", 400), ("unknown coordinate system", 400), ("unknown condition", 400),
        };
        foreach (var db in Databases.All)
            foreach (var (name, status) in cases)
                yield return new TheoryDataRow<string, string, int>(db.Data, name, status) { Skip = db.Skip };
    }

    [Theory, MemberData(nameof(Open311Cases))]
    public async Task Open311_refuses_with_an_error_list_and_writes_nothing(string db, string problem, int status)
    {
        var app = await CityOpsApp.Shared(db);
        var client = app.CreateClient();
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        var form = Api.Report("E0103", Api.PointIn("350203"), marker);
        HttpContent? content = null;
        switch (problem)
        {
            case "missing service_code": form.Remove("service_code"); break;
            case "unknown service_code": form["service_code"] = "X9999"; break;
            case "latitude 91": form["lat"] = "91"; break;
            case "latitude not a number": form["lat"] = "north"; break;
            case "lat without long": form.Remove("long"); break;
            case "no location at all": form.Remove("lat"); form.Remove("long"); break;
            case "description over 4000": form["description"] = marker + new string('长', 4001); break;
            case "unknown api_key": form["api_key"] = "nope"; break;
            case "no api_key": form.Remove("api_key"); break;
            case "outside the city": form["lat"] = "31.2304"; form["long"] = "121.4737"; break;
            case "wrong content type": content = new StringContent(string.Join('&', form.Select(kv => $"{kv.Key}={kv.Value}")), Encoding.UTF8, "text/plain"); break;
            case "NUL character": form["description"] = marker + "\0"; break;
            case "bad media_url": form["media_url"] = "javascript:alert(1)"; break;
            case "unknown coordinate system": form["coordinate_system"] = "EPSG:3857"; break;
            case "unknown condition": form["attribute[condition]"] = "99"; break;
        }
        var response = await client.PostAsync("/open311/v2/requests.json", content ?? new FormUrlEncodedContent(form));
        Assert.Equal(status, (int)response.StatusCode);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        Assert.NotEmpty(errors);
        Assert.All(errors, e => { Assert.Equal(status, e!["code"]!.GetValue<int>()); Assert.False(string.IsNullOrWhiteSpace(e["description"]!.GetValue<string>())); });
        await AssertNothingStoredAsync(app, marker);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Open311_errors_come_as_xml_for_xml_and_unknown_ids_are_404(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var client = app.CreateClient();
        var response = await client.PostOpen311Async(new() { ["api_key"] = "nope" }, "xml");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("403", System.Xml.Linq.XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("error")!.Element("code")!.Value);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/open311/v2/requests/999999999.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/open311/v2/requests/abc.xml")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/open311/v2/services/Z0000.json")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/open311/v2/services.yaml")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/open311/v2/requests.json?start_date=yesterday")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/open311/v2/requests.json?page_size=100000")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/open311/v2/requests.json?page=2147483647")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/open311/v2/requests.json?page=99999999999")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/open311/v2/requests.json?start_date=2026-02-01&end_date=2026-01-01")).StatusCode);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task The_native_api_answers_problem_details_for_malformed_oversized_and_invalid_bodies(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "demo-web-key");
        var marker = "marker-" + Guid.NewGuid().ToString("N");

        async Task Expect(HttpContent content, int status)
        {
            var r = await client.PostAsync("/api/reports", content);
            Assert.Equal(status, (int)r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            Assert.Equal(status, problem["status"]!.GetValue<int>());
        }

        await Expect(new StringContent("{\"category\": \"E0103\", ", Encoding.UTF8, "application/json"), 400);
        await Expect(new StringContent("<report/>", Encoding.UTF8, "application/xml"), 415);
        var deep = new string('[', 5000) + new string(']', 5000);
        await Expect(new StringContent(deep, Encoding.UTF8, "application/json"), 400);
        await Expect(new StringContent($"{{\"description\": \"{marker}{new string('x', 2_000_000)}\"}}", Encoding.UTF8, "application/json"), 413);
        var at = Api.PointIn("350203");
        await Expect(JsonContent.Create(new { category = "E0103", description = marker, location = new { lat = at.Lat, lon = at.Lon, coordinateSystem = "MARS" } }), 400);
        await Expect(JsonContent.Create(new { category = "NOPE", description = marker, location = new { lat = at.Lat, lon = at.Lon } }), 400);
        await Expect(new StringContent($"{{\"category\":\"E0103\",\"description\":\"{marker}\",\"photos\":[null],\"location\":{{\"lat\":{at.Lat},\"lon\":{at.Lon}}}}}", Encoding.UTF8, "application/json"), 400);
        await Expect(JsonContent.Create(new { category = "E0103", description = marker, location = new { lat = 24.0, lon = 200.0 } }), 400);
        await AssertNothingStoredAsync(app, marker);
    }

    /// <summary>Over a real socket: a chunked body is capped as it streams in, and charsets are read or refused without a 500.</summary>
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Streamed_bodies_are_capped_and_charsets_are_read_or_refused_cleanly(string db)
    {
        await using var app = await CityOpsApp.StartAsync(db, kestrel: true);
        using var client = new HttpClient { BaseAddress = app.BaseUrl };
        client.DefaultRequestHeaders.Add("X-Api-Key", "demo-web-key");
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        var at = Api.PointIn("350203");

        // 2 MB with no Content-Length: refused once 1 MiB has come in.
        var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/reports")
        {
            Content = new StringContent($"{{\"category\":\"E0103\",\"description\":\"{marker}{new string('x', 2_000_000)}\"}}", Encoding.UTF8, "application/json"),
        };
        chunked.Headers.TransferEncodingChunked = true;
        var tooBig = await client.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);

        // A quoted charset is a charset.
        var quoted = new StringContent($"{{\"category\":\"E0103\",\"description\":\"引号字符集 {marker}\",\"location\":{{\"lat\":{at.Lat},\"lon\":{at.Lon}}}}}");
        quoted.Headers.Remove("Content-Type");
        quoted.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=\"utf-8\"");
        var stored = await client.PostAsync("/api/reports", quoted);
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);

        // A form in UTF-7 on the Open311 door: 415 in Open311's error list, whichever reader meets it first.
        var utf7 = new StringContent($"api_key=demo-web-key&service_code=C0106&lat={at.Lat}&long={at.Lon}&description={marker}");
        utf7.Headers.Remove("Content-Type");
        utf7.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded; charset=utf-7");
        var refused = await client.PostAsync("/open311/v2/requests.json", utf7);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(JsonNode.Parse(await refused.Content.ReadAsStringAsync())![0]!["description"]!.GetValue<string>()));

        // A body that is not a report: the answer speaks of the request, not of this server's parameters and types.
        var nothing = await client.PostAsync("/api/reports", new StringContent("null", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, nothing.StatusCode);
        var broken = await client.PostAsync("/api/reports", new StringContent("{\"category\": 12}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        var detail = (await broken.JsonAsync())["detail"]!.GetValue<string>();
        Assert.Contains("$.category", detail, StringComparison.Ordinal);
        foreach (var answer in new[] { await nothing.Content.ReadAsStringAsync(), detail })
        {
            Assert.DoesNotContain("parameter", answer, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("ReportInput", answer, StringComparison.Ordinal);
        }
        using var scope = app.Services.CreateScope();
        var data = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        Assert.Equal(1, await data.Reports.CountAsync(r => r.Description.Contains(marker)));
    }

    private static async Task AssertNothingStoredAsync(CityOpsApp app, string marker)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        Assert.False(await db.Reports.AnyAsync(r => r.Description.Contains(marker)));
        Assert.False(await db.Cases.AnyAsync(c => c.Description.Contains(marker)));
    }
}
