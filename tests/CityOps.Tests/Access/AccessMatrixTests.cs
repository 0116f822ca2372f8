using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CityOps.Server.Features.Cases.Workflow;
using CityOps.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Access;

/// <summary>
/// "Will it let the wrong person in?" Every endpoint of the real server under /api and /open311, with
/// every role's bearer token and anonymously, against <see cref="AccessTable"/>; then, where access
/// depends on scope, one caller in scope and out of it for each kind of scoped resource.
/// </summary>
public sealed partial class AccessMatrixTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Every_endpoint_answers_every_caller_as_the_access_table_says(string db)
    {
        var started = Stopwatch.GetTimestamp();
        var world = await AccessWorld.For(db);
        var setup = Stopwatch.GetElapsedTime(started);

        // 1. The table and the server's endpoints name the same doors.
        var endpoints = Endpoints(world.App);
        var problems = new List<string>();
        foreach (var (method, pattern) in endpoints)
            if (!AccessTable.Rules.Any(r => Covers(method, pattern, r)))
                problems.Add($"{method} {pattern} is an endpoint with no row in AccessTable: say who may call it.");
        foreach (var r in AccessTable.Rules.Where(r => !endpoints.Any(e => Covers(e.Method, e.Pattern, r))))
            problems.Add($"{r.Method} {r.Path} is in AccessTable but the server has no such endpoint.");
        var moveRows = AccessTable.Rules.Where(r => r.Method == "POST" && MoveRow().IsMatch(r.Path)).Select(r => r.Path.Split('/')[^1]).ToHashSet();
        foreach (var action in Workflow.Rules.Select(r => r.Action).Where(a => !moveRows.Contains(a)))
            problems.Add($"POST /api/cases/{{id}}/{action} is a move with no row in AccessTable.");
        Assert.True(problems.Count == 0, string.Join('\n', problems));

        // 2. Every row with every caller. Callers of one row go one after another (some rows touch one account); rows run side by side.
        var walked = Stopwatch.GetTimestamp();
        var wrong = new ConcurrentBag<string>();
        var requests = 0;
        using var gate = new SemaphoreSlim(6);
        await Task.WhenAll(AccessTable.Rules.Select(async row =>
        {
            await gate.WaitAsync();
            try
            {
                foreach (var caller in AccessTable.Callers)
                {
                    using var request = Probe(world, row, caller);
                    using var response = await world[caller].SendAsync(request);
                    Interlocked.Increment(ref requests);
                    var status = (int)response.StatusCode;
                    var allowed = row.Allowed.Contains(caller);
                    var expected = allowed ? "allowed (neither 401 nor 403)" : caller == AccessTable.Anonymous && !row.Closed ? "401" : "403";
                    var ok = allowed ? status is not (401 or 403) && status < 500 : status == (caller == AccessTable.Anonymous && !row.Closed ? 401 : 403);
                    if (!ok)
                        wrong.Add($"{row.Method} {row.Path} as {caller}: {status}, the table says {expected} — {request.RequestUri}: {Cut(await response.Content.ReadAsStringAsync())}");
                    else if (status == 401 && response.Headers.WwwAuthenticate.Count == 0)
                        wrong.Add($"{row.Method} {row.Path} as {caller}: 401 without WWW-Authenticate (RFC 9110 §15.5.2): the client is not told how to sign in");
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        var walk = Stopwatch.GetElapsedTime(walked);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{db}: {endpoints.Count} endpoints, {AccessTable.Rules.Count} rows × {AccessTable.Callers.Length} callers = {requests} requests in {walk.TotalSeconds:0.0} s (server and demo cases: {setup.TotalSeconds:0.0} s)");
        Assert.True(wrong.IsEmpty, $"{wrong.Count} of {requests} answers differ from the access table:\n" + string.Join('\n', wrong.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void The_access_document_shows_the_declared_table()
    {
        var path = Path.Combine(Repository.Root, "docs", "access.md");
        var text = File.ReadAllText(path).ReplaceLineEndings("\n");
        var (begin, end) = (text.IndexOf(AccessDoc.Begin, StringComparison.Ordinal), text.IndexOf(AccessDoc.End, StringComparison.Ordinal));
        Assert.True(begin >= 0 && end > begin, $"{path} has no {AccessDoc.Begin} … {AccessDoc.End} block");
        var shown = text[(begin + AccessDoc.Begin.Length)..end].Trim('\n');
        var declared = AccessDoc.Render(AccessTable.Rules);
        if (shown != declared && Environment.GetEnvironmentVariable("CITYOPS_WRITE_ACCESS_DOC") == "1")
        {
            File.WriteAllText(path, text[..(begin + AccessDoc.Begin.Length)] + "\n" + declared + "\n" + text[end..]);
            return;
        }
        Assert.True(shown == declared,
            $"docs/access.md does not show AccessTable; rerun this test with CITYOPS_WRITE_ACCESS_DOC=1 to rewrite its block, which should read:\n{declared}");
    }

    /// <summary>Route endpoints under /api and /open311, one per method, route constraints dropped: ("GET", "/api/cases/{id}").</summary>
    private static List<(string Method, string Pattern)> Endpoints(CityOpsApp app) =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [], Pattern: Normalise(e.RoutePattern.RawText ?? "")))
            .Where(e => e.Pattern.StartsWith("/api/", StringComparison.Ordinal) || e.Pattern.StartsWith("/open311/", StringComparison.Ordinal))
            .SelectMany(e => (e.Methods.Count == 0 ? ["*"] : e.Methods).Select(m => (m, e.Pattern)))
            .Distinct().ToList();

    private static string Normalise(string raw)
    {
        var p = Constraint().Replace(raw.StartsWith('/') ? raw : "/" + raw, "{$1}");
        return p.Length > 1 ? p.TrimEnd('/') : p;
    }

    /// <summary>The row is this endpoint, or one value of a parameter of it (a move under /api/cases/{id}/{action}).</summary>
    private static bool Covers(string method, string pattern, AccessRule row)
    {
        if (row.Method != method && method != "*") return false;
        if (row.Path == pattern) return true;
        var regex = "^" + string.Join("[^/]+", Parameter().Split(pattern).Select(Regex.Escape)) + "$";
        return !pattern.Contains("{format}", StringComparison.Ordinal) && Regex.IsMatch(row.Path, regex) && Parameter().Count(row.Path) < Parameter().Count(pattern);
    }

    private static string Cut(string s) => s.Length <= 300 ? s : s[..300] + " …";

    /// <summary>A request that a caller with the right gets past the door with, and that changes nothing it should not (invalid bodies, stale versions).</summary>
    private static HttpRequestMessage Probe(AccessWorld w, AccessRule row, string caller)
    {
        var year = w.Year.ToString(CultureInfo.InvariantCulture);
        var unit = w.UnitOf(caller);
        var id = w.CaseInReach(caller);
        var (lon, lat) = w.MunicipalCasePoint;
        var point = $"lat={lat.ToString("R", CultureInfo.InvariantCulture)}&lon={lon.ToString("R", CultureInfo.InvariantCulture)}";
        object? json = null;
        HttpContent? content = null;
        string url;
        var move = MoveRow().Match(row.Path);
        if (move.Success)
        {
            url = $"/api/cases/{id}/{move.Groups[1].Value}";
            json = new { version = -1 }; // past the door it is refused as stale: nothing moves
        }
        else
        {
            url = (row.Method, row.Path) switch
            {
                ("POST", "/api/auth/login") => "/api/auth/login",
                ("GET", "/api/auth/confirmEmail") => $"/api/auth/confirmEmail?userId={w.ProbeUserId}&code={w.ProbeConfirmCode}",
                ("POST", "/open311/v2/requests.{format}") => "/open311/v2/requests.json",
                ("GET", "/open311/v2/services/{code}.{format}") => "/open311/v2/services/C0106.json",
                ("GET", "/open311/v2/requests.{format}") => $"/open311/v2/requests.json?service_request_id={id}",
                ("GET", "/open311/v2/requests/{id}.{format}") => $"/open311/v2/requests/{id}.json?extensions=true",
                ("GET", "/open311/v2/tokens/{token}.{format}") => $"/open311/v2/tokens/{w.MunicipalCaseToken}.json",
                (_, var p) when p.StartsWith("/open311/", StringComparison.Ordinal) => p.Replace("{format}", "json", StringComparison.Ordinal),
                ("GET", "/api/cases") => "/api/cases?pageSize=5",
                ("GET", "/api/cases/{id}") => $"/api/cases/{id}",
                ("GET", "/api/cases/{id}/history") => $"/api/cases/{id}/history",
                ("GET", "/api/audit/verify") => $"/api/audit/verify?caseId={id}",
                ("GET", "/api/attachments/{sha256}") => $"/api/attachments/{w.PhotoInReach(caller)}",
                ("POST", "/api/inbox/{id}/read") => $"/api/inbox/{w.UnitNotice}/read",
                ("POST", "/api/supervision/{id}/acknowledge") => $"/api/supervision/{w.SupervisionOrder}/acknowledge",
                ("GET", "/api/evaluation/units") => $"/api/evaluation/units?period={year}",
                ("GET", "/api/evaluation/areas") => $"/api/evaluation/areas?period={year}&level=district",
                ("GET", "/api/evaluation/people") => $"/api/evaluation/people?period={year}&role=operator",
                ("GET", "/api/evaluation/rankings") => $"/api/evaluation/rankings?period={year}",
                ("GET", "/api/evaluation/trend") => $"/api/evaluation/trend?period={year}&subject=unit:{unit}&granularity=Quarter",
                ("GET", "/api/evaluation/cases") => $"/api/evaluation/cases?period={year}&subject=unit:{unit}&counter=handled",
                ("GET", "/api/evaluation/export.xlsx") => $"/api/evaluation/export.xlsx?period={year}",
                ("GET", "/api/evaluation/export.csv") => $"/api/evaluation/export.csv?period={year}&table=units",
                ("GET", "/api/evaluation/schemes/{id}") => $"/api/evaluation/schemes/{w.Scheme}",
                ("GET", "/api/areas") => "/api/areas?level=District",
                ("GET", "/api/areas/{code}") => $"/api/areas/{AccessWorld.Siming}",
                ("GET", "/api/areas/layers/{level}") => "/api/areas/layers/District",
                ("GET", "/api/areas/{code}/geojson") => $"/api/areas/{w.ChiefCommunity}/geojson",
                ("GET", "/api/categories") => "/api/categories?q=C01",
                ("GET", "/api/units") => "/api/units?kind=Department",
                ("GET", "/api/routing/resolve") => $"/api/routing/resolve?{point}&category=C0106",
                ("PUT", "/api/admin/areas/{code}") => $"/api/admin/areas/{w.ChiefCommunity}",
                ("POST", "/api/admin/geography/imports") => "/api/admin/geography/imports?level=Nowhere",
                ("GET", "/api/admin/geography/imports/{id}") => $"/api/admin/geography/imports/{w.ImportJob}",
                ("PUT", "/api/admin/categories/{serviceCode}") => "/api/admin/categories/C0106",
                ("PUT", "/api/admin/units/{code}") => "/api/admin/units/city-municipal",
                ("DELETE", "/api/admin/routing-rules/{id}") => $"/api/admin/routing-rules/{w.RoutingRule}",
                ("PUT", "/api/admin/channels/{code}") => "/api/admin/channels/media",
                ("POST", "/api/admin/channels/{code}/key") => "/api/admin/channels/media/key",
                ("PUT", "/api/admin/users/{id}") => $"/api/admin/users/{w.ProbeUserId}",
                ("GET", "/api/admin/calendar/years/{year}") => "/api/admin/calendar/years/2026",
                ("PUT" or "DELETE", "/api/admin/calendar/years/{year}") => "/api/admin/calendar/years/2030", // an empty body is refused; nothing stored to withdraw
                (_, var p) when !p.Contains('{', StringComparison.Ordinal) => p,
                _ => throw new InvalidOperationException($"no probe for {row.Method} {row.Path}: add one to AccessMatrixTests.Probe"),
            };
            json = (row.Method, row.Path) switch
            {
                ("POST", "/api/auth/login") => new { email = w.ProbeEmail, password = AccessWorld.ProbePassword },
                ("POST", "/api/auth/refresh") => new { refreshToken = w.RefreshToken },
                ("POST", "/api/auth/register") => new { email = "stranger@access.test", password = AccessWorld.ProbePassword },
                ("POST", "/api/auth/resendConfirmationEmail" or "/api/auth/forgotPassword") => new { email = w.ProbeEmail },
                ("POST", "/api/auth/resetPassword") => new { email = w.ProbeEmail, resetCode = "not-a-code", newPassword = AccessWorld.ProbePassword + "2" },
                ("POST", "/api/auth/manage/2fa" or "/api/auth/manage/info") => new { },
                ("POST", "/api/supervision/{id}/acknowledge") => new { reply = new string('长', 1001) }, // too long: refused, nothing stored
                ("POST", "/api/reports") => new { channel = "hotline12345", category = "X9999", description = "权限测试", location = new { lat, lon } },
                ("POST", "/api/evaluation/schemes") => new { name = "" },
                ("PUT", "/api/admin/areas/{code}") => new { name = "" },
                ("POST", "/api/admin/categories") or ("PUT", "/api/admin/categories/{serviceCode}") => new { nameZh = "" },
                ("POST", "/api/admin/units") or ("PUT", "/api/admin/units/{code}") => new { code = "NOT A CODE" },
                ("POST", "/api/admin/routing-rules") => new { unitCode = "no-such-unit" },
                ("POST", "/api/admin/channels") or ("PUT", "/api/admin/channels/{code}") => new { code = "not a code", nameZh = "" },
                ("POST", "/api/admin/users") => new { email = "" },
                ("PUT", "/api/admin/users/{id}") => new { roles = new[] { "no-such-role" } },
                _ => null,
            };
            if ((row.Method, row.Path) == ("POST", "/open311/v2/requests.{format}"))
                content = new FormUrlEncodedContent(new Dictionary<string, string>(Api.Report("X9999", (lon, lat))));
            else if ((row.Method, row.Path) == ("POST", "/api/attachments"))
                content = new ByteArrayContent(Loop.Photo()) { Headers = { ContentType = new("image/jpeg") } };
            else if ((row.Method, row.Path) == ("POST", "/api/admin/geography/imports"))
                content = new StringContent("""{"type":"FeatureCollection","features":[]}""", Encoding.UTF8, "application/geo+json");
        }
        var request = new HttpRequestMessage(new HttpMethod(row.Method), url);
        if (content is not null) request.Content = content;
        else if (json is not null) request.Content = JsonContent.Create(json);
        else if (row.Method is "POST" or "PUT") request.Content = JsonContent.Create(new { });
        return request;
    }

    [GeneratedRegex(@"\{([^{}:]+):[^{}]+\}")]
    private static partial Regex Constraint();

    [GeneratedRegex(@"\{[^{}]+\}")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"^/api/cases/\{id\}/([a-z-]+)$")]
    private static partial Regex MoveRow();
}

/// <summary>The repository's root (where CityOps.slnx is), found from the test assembly's folder.</summary>
internal static class Repository
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "CityOps.slnx"))) return dir.FullName;
            throw new InvalidOperationException("CityOps.slnx not found above " + AppContext.BaseDirectory);
        }
    }
}

/// <summary>docs/access.md's table, rendered from <see cref="AccessTable"/>.</summary>
internal static class AccessDoc
{
    public const string Begin = "<!-- access-table:begin (rendered from tests/CityOps.Tests/Access/AccessTable.cs; the test fails when they differ) -->";
    public const string End = "<!-- access-table:end -->";

    public static string Render(IReadOnlyList<AccessRule> rules)
    {
        var sb = new StringBuilder();
        sb.Append("| method | endpoint | ").AppendJoin(" | ", AccessTable.Callers).Append(" | within that |\n");
        sb.Append("|---|---|").Append(string.Concat(AccessTable.Callers.Select(_ => ":-:|"))).Append("---|\n");
        foreach (var r in rules)
        {
            sb.Append("| ").Append(r.Method).Append(" | `").Append(r.Path).Append("` | ")
                .AppendJoin(" | ", AccessTable.Callers.Select(c => r.Allowed.Contains(c) ? "✓" : r.Closed ? "403" : "·"))
                .Append(" | ").Append(r.Scope ?? "").Append(" |\n");
        }
        return sb.ToString().TrimEnd('\n');
    }
}
