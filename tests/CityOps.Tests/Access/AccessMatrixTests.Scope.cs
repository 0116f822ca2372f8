using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Tests.Support;

namespace CityOps.Tests.Access;

public sealed partial class AccessMatrixTests
{
    /// <summary>
    /// Past the door, scope: for each kind of scoped resource a caller who may reach it and one who may
    /// not (a case, a move, evidence, a notice, an evaluation subject, a case's owner, a channel key).
    /// </summary>
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Scoped_resources_serve_the_caller_in_scope_and_no_one_else(string db)
    {
        var w = await AccessWorld.For(db);
        var (m, e, o) = (w.MunicipalCase, w.SquadCase, w.OtherDistrictCase);
        var wrong = new List<string>();
        async Task<HttpResponseMessage> Expect(string caller, HttpMethod method, string url, int status, object? body = null, string? why = null)
        {
            using var request = new HttpRequestMessage(method, url);
            if (body is not null || method == HttpMethod.Post) request.Content = JsonContent.Create(body ?? new { });
            var response = await w[caller].SendAsync(request);
            if ((int)response.StatusCode != status)
                wrong.Add($"{method} {url} as {caller}: {(int)response.StatusCode}, expected {status} ({why}): {await response.Content.ReadAsStringAsync()}");
            return response;
        }
        Task<HttpResponseMessage> Get(string caller, string url, int status, string why) => Expect(caller, HttpMethod.Get, url, status, why: why);

        // Cases: a unit sees its own; inspectors and street chiefs their area too; any other case does not exist for them.
        foreach (var (caller, inScope, outOfScope) in new[]
                 {
                     (AccessTable.Department, m, e), (AccessTable.Handler, m, e), (AccessTable.Enforcement, e, m),
                     (AccessTable.Inspector, m, o), (AccessTable.Inspector, e, o), (AccessTable.StreetChief, m, e), (AccessTable.StreetChief, m, o),
                 })
        {
            await Get(caller, $"/api/cases/{inScope}", 200, "case in scope");
            await Get(caller, $"/api/cases/{outOfScope}", 404, "case out of scope");
            await Get(caller, $"/api/cases/{inScope}/history", 200, "history in scope");
            await Get(caller, $"/api/cases/{outOfScope}/history", 404, "history out of scope");
            var listed = (await (await w[caller].GetAsync("/api/cases?pageSize=500")).JsonAsync())["items"]!.AsArray().Select(c => c!["id"]!.GetValue<long>()).ToHashSet();
            if (!listed.Contains(inScope) || listed.Contains(outOfScope))
                wrong.Add($"GET /api/cases as {caller} lists {(listed.Contains(inScope) ? "" : "not ")}{inScope} (in scope) and {(listed.Contains(outOfScope) ? "" : "not ")}{outOfScope} (out of scope)");
        }
        foreach (var caller in new[] { AccessTable.Operator, AccessTable.Dispatcher, AccessTable.ShiftLead, AccessTable.Leader, AccessTable.Admin })
            await Get(caller, $"/api/cases/{o}", 200, "the centre, leaders and administrators see every case");

        // Moves: past the role's door, a case out of scope is 404 (a stale version shows the door was passed without moving anything).
        await Expect(AccessTable.Department, HttpMethod.Post, $"/api/cases/{m}/assign", 409, new { version = -1 }, "own unit's case");
        await Expect(AccessTable.Department, HttpMethod.Post, $"/api/cases/{e}/assign", 404, new { version = -1 }, "another unit's case");
        await Expect(AccessTable.Enforcement, HttpMethod.Post, $"/api/cases/{e}/extend", 409, new { version = -1 }, "own unit's case");
        await Expect(AccessTable.Enforcement, HttpMethod.Post, $"/api/cases/{m}/extend", 404, new { version = -1 }, "another unit's case");
        await Expect(AccessTable.StreetChief, HttpMethod.Post, $"/api/cases/{m}/return", 409, new { version = -1 }, "a case in the chief's community");
        await Expect(AccessTable.StreetChief, HttpMethod.Post, $"/api/cases/{o}/return", 404, new { version = -1 }, "a case in another district");
        // The unit signs off its handler's result, not the handler: with the case's current version, the handler is still refused.
        var version = (await (await w[AccessTable.Department].GetAsync($"/api/cases/{m}")).JsonAsync())["version"]!.GetValue<int>();
        await Expect(AccessTable.Handler, HttpMethod.Post, $"/api/cases/{m}/confirm", 403, new { version }, "a handler confirming their own result");
        await Expect(AccessTable.Handler, HttpMethod.Post, $"/api/cases/{m}/assign", 403, new { version, userId = w.Me[AccessTable.Handler]["id"]!.GetValue<string>() }, "a handler handing out work");

        // A case's owner: the operator who claimed it, or a shift lead; another operator is refused.
        var probe = w.App.CreateClient();
        var login = await (await probe.PostAsJsonAsync("/api/auth/login", new { email = w.ProbeEmail, password = AccessWorld.ProbePassword })).JsonAsync();
        probe.DefaultRequestHeaders.Authorization = new("Bearer", login["accessToken"]!.GetValue<string>());
        var claimed = await w[AccessTable.Anonymous].ReportAsync("C0119", AccessWorld.PointIn(AccessWorld.Huli));
        await probe.MustAsync(claimed, "claim");
        await Expect(AccessTable.Operator, HttpMethod.Post, $"/api/cases/{claimed}/register", 403, new { condition = "01" }, "another operator's claimed case");
        await Expect(AccessTable.ShiftLead, HttpMethod.Post, $"/api/cases/{claimed}/register", 200, new { condition = "01" }, "the shift lead may take over");

        // Evidence belongs to its case: the uploader, and whoever sees a case whose move cites it.
        await Get(AccessTable.Department, $"/api/attachments/{w.CitedPhoto}", 200, "cited by a move of the unit's case");
        await Get(AccessTable.Inspector, $"/api/attachments/{w.CitedPhoto}", 200, "cited by a move of a case in the inspector's district");
        await Get(AccessTable.StreetChief, $"/api/attachments/{w.CitedPhoto}", 200, "cited by a move of a case in the chief's community");
        await Get(AccessTable.Enforcement, $"/api/attachments/{w.CitedPhoto}", 404, "cited only by another unit's case");
        await Get(AccessTable.Enforcement, $"/api/attachments/{w.UncitedPhoto}", 200, "the uploader");
        await Get(AccessTable.Department, $"/api/attachments/{w.UncitedPhoto}", 404, "another unit's upload, cited nowhere");
        await Get(AccessTable.Operator, $"/api/attachments/{w.UncitedPhoto}", 200, "the centre sees all evidence");

        // Notices: the caller's and their unit's.
        var inbox = (await (await w[AccessTable.Enforcement].GetAsync("/api/inbox")).JsonAsync()).AsArray();
        if (inbox.Any(n => n!["id"]!.GetValue<long>() == w.UnitNotice)) wrong.Add("the enforcement officer's inbox shows the municipal division's notice");
        await Expect(AccessTable.Enforcement, HttpMethod.Post, $"/api/inbox/{w.UnitNotice}/read", 404, why: "another unit's notice");
        await Expect(AccessTable.Department, HttpMethod.Post, $"/api/inbox/{w.UnitNotice}/read", 204, why: "the unit's own notice");

        // Evaluation: unit staff look into their own unit and themselves only.
        var period = $"period={w.Year}";
        await Get(AccessTable.Department, $"/api/evaluation/trend?{period}&subject=unit:{w.MunicipalUnit}", 200, "own unit's trend");
        await Get(AccessTable.Department, $"/api/evaluation/trend?{period}&subject=unit:{w.SimingSquad}", 403, "another unit's trend");
        await Get(AccessTable.Department, $"/api/evaluation/cases?{period}&subject=unit:{w.MunicipalUnit}&counter=handled", 200, "own unit's cases");
        await Get(AccessTable.Department, $"/api/evaluation/cases?{period}&subject=unit:{w.SimingSquad}&counter=handled", 403, "another unit's cases");
        await Get(AccessTable.Leader, $"/api/evaluation/cases?{period}&subject=unit:{w.SimingSquad}&counter=handled", 200, "leaders see every unit");
        var rows = (await (await w[AccessTable.Department].GetAsync($"/api/evaluation/units?{period}")).JsonAsync())["rows"]!.AsArray().Select(r => r!["subject"]!.GetValue<string>()).ToList();
        if (rows is not [var only] || only != $"unit:{w.MunicipalUnit}") wrong.Add($"GET /api/evaluation/units as department shows {string.Join(", ", rows)}, not only unit:{w.MunicipalUnit}");
        var all = (await (await w[AccessTable.Leader].GetAsync($"/api/evaluation/units?{period}")).JsonAsync())["rows"]!.AsArray().Count;
        if (all < 100) wrong.Add($"GET /api/evaluation/units as leader shows {all} units, not every unit");
        var handlerId = w.Me[AccessTable.Handler]["id"]!.GetValue<string>();
        var people = (await (await w[AccessTable.Handler].GetAsync($"/api/evaluation/people?{period}&role=handler")).JsonAsync())["rows"]!.AsArray().Select(r => r!["subject"]!.GetValue<string>()).ToList();
        if (people.Any(p => p != $"person:{handlerId}")) wrong.Add($"GET /api/evaluation/people as handler shows {string.Join(", ", people)}");

        // Channel keys: a stranger with a key may report, without one or with a wrong one not.
        var at = AccessWorld.PointIn(AccessWorld.Huli);
        var report = new { category = "C0120", description = "渠道密钥测试", location = new { lat = at.Lat, lon = at.Lon } };
        foreach (var (key, status) in new[] { ("demo-web-key", 201), ("not-a-key", 403), ("", 401) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/reports") { Content = JsonContent.Create(report) };
            if (key.Length > 0) request.Headers.Add("X-Api-Key", key);
            using var response = await w[AccessTable.Anonymous].SendAsync(request);
            if ((int)response.StatusCode != status) wrong.Add($"POST /api/reports with key '{key}': {(int)response.StatusCode}, expected {status}");
        }
        var form = Api.Report("C0120", AccessWorld.PointIn(AccessWorld.Huli));
        form.Remove("api_key");
        if ((int)(await w[AccessTable.Admin].PostOpen311Async(form)).StatusCode != 403) wrong.Add("an Open311 POST without api_key is not refused, even with an administrator's token");

        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }
}
