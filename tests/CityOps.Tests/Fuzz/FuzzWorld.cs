using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CityOps.Server.Data;
using CityOps.Server.Features.Evaluation;
using CityOps.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityOps.Tests.Fuzz;

/// <summary>Row counts the fuzzer checks against what the answers said was written.</summary>
public sealed record Counts(int Cases, int Events, int Reports, int Attachments)
{
    public override string ToString() => $"cases {Cases}, events {Events}, reports {Reports}, attachments {Attachments}";
}

/// <summary>
/// The fuzzer's own server and what it knows about it: signed-in callers of every role, cases in
/// every stage of the loop, records of its own to edit, the valid values templates draw on, the
/// rows it started with, and a ledger of every write an answer reported.
/// </summary>
public sealed class FuzzWorld : IAsyncDisposable
{
    public const string AuditorEmail = "auditor@fuzz.cityops";
    private const string AuditorPassword = "Auditor-2026-pass!";
    private static readonly string[] Roles = ["operator", "dispatcher", "shiftlead", "department", "handler", "inspector", "streetchief", "enforcement", "leader", "partner", "company", "admin"];

    private static readonly System.Resources.ResourceManager Texts = new("CityOps.Server.Resources.Messages", typeof(CityOps.Server.Infrastructure.Messages).Assembly);
    /// <summary>Open311's notice for a report that joined an open case, in every language it answers in.</summary>
    private static readonly HashSet<string> MergedNotices = new[] { "zh-CN", "en" }.Select(c => Texts.GetString("Open311Merged", new CultureInfo(c))!).ToHashSet();

    private readonly Dictionary<string, string[]> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _reportTokens = new(StringComparer.Ordinal);
    private long _appendedEvents;
    private int _uploads;

    private FuzzWorld(CityOpsApp app, HttpClient client, ErrorLog errors, string attachments)
    {
        (App, Client, Errors, AttachmentsPath) = (app, client, errors, attachments);
    }

    public CityOpsApp App { get; }
    /// <summary>No cookies, no redirects, no default headers: each input carries all it sends.</summary>
    public HttpClient Client { get; }
    public ErrorLog Errors { get; }
    public string AttachmentsPath { get; }
    public Counts Baseline { get; private set; } = new(0, 0, 0, 0);
    public string AuditorToken { get; private set; } = "";
    public ConcurrentBag<long> CreatedCases { get; } = [];

    public string? Token(string role) => _tokens.GetValueOrDefault(role);

    public string[] Values(string name) =>
        _values.TryGetValue(name, out var v) ? v : throw new InvalidOperationException($"The fuzz world has no values named '{name}'.");

    /// <summary>Valid values of a template: "{{name}}" anywhere in a value takes each of the world's values of that name.</summary>
    public string[] Resolve(string[] valid) => valid.SelectMany(Expand).ToArray();

    private IEnumerable<string> Expand(string v)
    {
        var open = v.IndexOf("{{", StringComparison.Ordinal);
        if (open < 0) return [v];
        var close = v.IndexOf("}}", open, StringComparison.Ordinal);
        var name = v[(open + 2)..close].TrimStart('#');
        var values = Values(name);
        if (values.Length > 50) values = values[..50];
        return values.SelectMany(x => Expand(v[..open] + x + v[(close + 2)..]));
    }

    /// <summary>
    /// Fills the placeholders left in a generated body: "{{name}}" anywhere in a string becomes one
    /// of the world's values, a whole "{{#name}}" the same as a JSON number. Bodies are mutated
    /// first and filled after, so a bent placeholder is bent around a real value.
    /// </summary>
    public Body? Fill(Body? body, Random random) => body switch
    {
        JsonBody j => j with { Root = Fill(j.Root, random) },
        FormBody f => f with { Fields = f.Fields.Select(x => (x.Key, Fill(x.Value, random))).ToList() },
        RawBody r => r with { Content = Fill(r.Content, random) },
        _ => body,
    };

    public J Fill(J tree, Random random) => tree switch
    {
        JObj o => new JObj(o.Props.Select(p => (p.Key, Fill(p.Value, random))).ToList()),
        JArr a => new JArr(a.Items.Select(i => Fill(i, random)).ToList()),
        JStr { Value.Text: { } t } when t.StartsWith("{{#", StringComparison.Ordinal) && t.EndsWith("}}", StringComparison.Ordinal) && _values.ContainsKey(t[3..^2]) =>
            new JLit(Pick(t[3..^2], random)),
        JStr s => new JStr(Fill(s.Value, random)),
        _ => tree,
    };

    private Piece Fill(Piece p, Random random)
    {
        if (p.Raw is { } raw)
        {
            var latin = Encoding.Latin1.GetString(raw);
            return latin.Contains("{{", StringComparison.Ordinal) ? Piece.Bytes(Encoding.Latin1.GetBytes(FillText(latin, random, latin1: true))) : p;
        }
        return p.Text!.Contains("{{", StringComparison.Ordinal) ? Piece.Of(FillText(p.Text, random, latin1: false)) : p;
    }

    /// <summary>Replaces each "{{name}}" (or "{{#name}}") with a value; <paramref name="latin1"/>: the text is bytes read as Latin-1, so values go in as their UTF-8 bytes.</summary>
    private string FillText(string text, Random random, bool latin1)
    {
        var sb = new StringBuilder();
        var at = 0;
        while (at < text.Length)
        {
            var open = text.IndexOf("{{", at, StringComparison.Ordinal);
            if (open < 0) break;
            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0) break;
            var name = text[(open + 2)..close].TrimStart('#');
            if (!_values.ContainsKey(name))
            {
                sb.Append(text, at, open + 2 - at);
                at = open + 2;
                continue;
            }
            var value = Pick(name, random);
            sb.Append(text, at, open - at).Append(latin1 ? Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(value)) : value);
            at = close + 2;
        }
        return sb.Append(text, at, text.Length - at).ToString();
    }

    private string Pick(string name, Random random)
    {
        var values = Values(name);
        return values[random.Next(values.Length)];
    }

    public static async Task<FuzzWorld> CreateAsync(string db, ulong seed, bool kestrel = false)
    {
        var attachments = Path.Combine(Path.GetTempPath(), "cityops-fuzz", Guid.NewGuid().ToString("N"));
        var errors = new ErrorLog();
        var settings = new Dictionary<string, string?>
        {
            // Nothing but the inputs may write: no deadline sweeps during the run.
            ["CityOps:Supervision:SweepInterval"] = "1.00:00:00",
            ["CityOps:Attachments:Path"] = attachments,
            // Refusals are the point here; the console keeps only errors (which also fail the run).
            ["Logging:LogLevel:Default"] = "Error",
        };
        var app = await CityOpsApp.StartAsync(db, settings, kestrel: kestrel, services: s => s.AddSingleton<ILoggerProvider>(errors));
        var client = kestrel
            ? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { BaseAddress = app.BaseUrl }
            : app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.Timeout = TimeSpan.FromMinutes(2);
        var world = new FuzzWorld(app, client, errors, attachments);
        await world.SetUpAsync(seed);
        return world;
    }

    private async Task SetUpAsync(ulong seed)
    {
        var random = new Random((int)(seed % int.MaxValue));
        foreach (var role in Roles)
        {
            var login = await Must(Client.PostAsJsonAsync("/api/auth/login", new { email = $"{role}@demo.cityops", password = "Demo-2026!" }));
            _tokens[role] = login["accessToken"]!.GetValue<string>();
            if (role == "operator") _values["refreshToken"] = [login["refreshToken"]!.GetValue<string>(), "CfDJ8garbage"];
        }
        async Task<JsonNode> As(string role, HttpMethod method, string path, object? body = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = JsonContent.Create(body);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _tokens[role]);
            return await Must(Client.SendAsync(request));
        }

        // An administrator of its own for the final checks, which no input can sign out or lock.
        await As("admin", HttpMethod.Post, "/api/admin/users", new { email = AuditorEmail, displayName = "Auditor", password = AuditorPassword, roles = new[] { "admin" } });
        AuditorToken = (await Must(Client.PostAsJsonAsync("/api/auth/login", new { email = AuditorEmail, password = AuditorPassword })))["accessToken"]!.GetValue<string>();

        // Records of the fuzzer's own for the editing endpoints.
        var unit = await As("admin", HttpMethod.Post, "/api/admin/units", new { code = "fuzz-unit", nameZh = "模糊单位", nameEn = "Fuzz unit", kind = "Department" });
        await As("admin", HttpMethod.Post, "/api/admin/channels", new { code = "fuzz", nameZh = "模糊渠道", nameEn = "Fuzz channel", sourceType = "Complaint" });
        var categories = (await As("admin", HttpMethod.Get, "/api/categories")).AsArray();
        var major = categories.First(c => c!["kind"]!.GetValue<string>() == "Event")!["majorCode"]!.GetValue<string>();
        var category = await As("admin", HttpMethod.Post, "/api/admin/categories", new
        {
            kind = "Event", majorCode = major, code = "99", nameZh = "模糊类别", nameEn = "Fuzz category",
            conditions = new[] { new { code = "01", descriptionZh = "条件", descriptionEn = "condition", timeLimit = 2, timeLimitUnit = "WorkingDays", closingZh = "已处理", closingEn = "done" } },
        });
        var fuzzUser = await As("admin", HttpMethod.Post, "/api/admin/users", new
        {
            email = "fuzz@fuzz.cityops", displayName = "模糊用户", password = "Fuzz-2026-pass!", roles = new[] { "handler" }, unitId = unit["id"]!.GetValue<int>(),
        });
        var handlerId = (await As("handler", HttpMethod.Get, "/api/auth/me"))["id"]!.GetValue<string>();
        var inspectorId = (await As("inspector", HttpMethod.Get, "/api/auth/me"))["id"]!.GetValue<string>();
        var units = (await As("admin", HttpMethod.Get, "/api/units")).AsArray().Take(6).Select(u => (Id: u!["id"]!.GetValue<int>(), Code: u["code"]!.GetValue<string>())).ToList();
        var handlerUnit = (await As("handler", HttpMethod.Get, "/api/auth/me"))["unitId"]!.GetValue<int>();
        var districts = (await As("admin", HttpMethod.Get, "/api/areas?level=District")).AsArray().Select(a => (Id: a!["id"]!.GetValue<int>(), Code: a["code"]!.GetValue<string>())).ToList();
        var schemes = (await As("admin", HttpMethod.Get, "/api/evaluation/schemes")).AsArray().Select(s => s!["id"]!.GetValue<int>().ToString(CultureInfo.InvariantCulture)).ToList();
        var services = (await Must(Client.GetAsync("/open311/v2/services.json"))).AsArray().Select(s => s!["service_code"]!.GetValue<string>()).ToList();

        // A photo, and cases at every stage of the loop for the moves to work on.
        using var photo = new ByteArrayContent([0xFF, 0xD8, 0xFF, 0xE0, .. BitConverter.GetBytes(seed), .. new byte[60]]);
        photo.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var upload = new HttpRequestMessage(HttpMethod.Post, "/api/attachments") { Content = photo };
        upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _tokens["handler"]);
        var sha = (await Must(Client.SendAsync(upload)))["sha256"]!.GetValue<string>();

        var cells = Api.CellsOf("350203");
        (double Lon, double Lat) Point()
        {
            while (true)
            {
                var cell = cells[random.Next(cells.Count)].Geometry;
                var e = cell.EnvelopeInternal;
                var p = cell.Factory.CreatePoint(new NetTopologySuite.Geometries.Coordinate(e.MinX + random.NextDouble() * e.Width, e.MinY + random.NextDouble() * e.Height));
                if (cell.Contains(p)) return (p.X, p.Y);
            }
        }
        var points = Enumerable.Range(0, 8).Select(_ => Point()).ToList();
        var cases = new List<string>();
        var tokens = new List<string>();
        async Task<long> Report(string code, (double Lon, double Lat)? at, string? address = null)
        {
            var form = new Dictionary<string, string> { ["api_key"] = Api.WebKey, ["service_code"] = code, ["description"] = "模糊测试的起点 " + cases.Count };
            if (at is { } p) (form["lat"], form["long"]) = (Num.S(p.Lat), Num.S(p.Lon));
            if (address is not null) form["address_string"] = address;
            var created = (await Must(Client.PostAsync("/open311/v2/requests.json", new FormUrlEncodedContent(form))))[0]!;
            tokens.Add(created["token"]!.GetValue<string>());
            var id = long.Parse(created["service_request_id"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            cases.Add(Num.S(id));
            return id;
        }
        await Report("E0103", points[0]);
        await Report("C0106", points[1]);
        await Report("E0103", null, "厦门市思明区中山路1号");
        var stages = new[] { "register", "assign", "submit", "confirm", "close" };
        for (var n = 1; n <= stages.Length; n++)
        {
            var id = await Report("C0106", points[1 + n]);
            for (var s = 0; s < n; s++)
            {
                var (role, body) = stages[s] switch
                {
                    "register" => ("operator", (object)new { condition = "02" }),
                    "assign" => ("department", new { userId = handlerId }),
                    "submit" => ("handler", new { notes = "已处理", attachments = new[] { sha } }),
                    "confirm" => ("department", new { }),
                    _ => ("operator", new { closingConditionMet = true }),
                };
                await As(role, HttpMethod.Post, $"/api/cases/{id}/{stages[s]}", body);
            }
        }

        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"));
        var fuzzCell = Api.CellsOf("350205")[0].Code;
        _values["format"] = ["json", "xml"];
        _values["serviceCode"] = [.. services.Take(6), "E0103", "C0106", category["serviceCode"]!.GetValue<string>()];
        _values["caseId"] = [.. cases, "0", "999999999"];
        _values["token"] = [.. tokens, Guid.NewGuid().ToString(), Guid.Empty.ToString()];
        _values["email"] = [.. Roles.Select(r => $"{r}@demo.cityops"), "nobody@demo.cityops", "fuzz@fuzz.cityops"];
        _values["password"] = ["Demo-2026!", "Wrong-2026!"];
        _values["userId"] = [handlerId, inspectorId, fuzzUser["id"]!.GetValue<string>()];
        _values["handlerId"] = [handlerId];
        _values["inspectorId"] = [inspectorId];
        _values["fuzzUserId"] = [fuzzUser["id"]!.GetValue<string>()];
        _values["unitId"] = [.. units.Select(u => Num.S(u.Id)), Num.S(handlerUnit), Num.S(unit["id"]!.GetValue<int>())];
        _values["unitCode"] = [.. units.Select(u => u.Code), "fuzz-unit"];
        _values["areaId"] = districts.Select(d => Num.S(d.Id)).ToArray();
        _values["areaCode"] = [.. districts.Select(d => d.Code), "350203001", fuzzCell];
        _values["fuzzArea"] = [fuzzCell];
        _values["fuzzUnit"] = ["fuzz-unit"];
        _values["fuzzChannel"] = ["fuzz"];
        _values["fuzzCategory"] = [category["serviceCode"]!.GetValue<string>()];
        _values["channel"] = ["web", "hotline12345", "fuzz"];
        _values["sha"] = [sha];
        _values["lat"] = points.Select(p => Num.S(p.Lat)).ToArray();
        _values["lon"] = points.Select(p => Num.S(p.Lon)).ToArray();
        _values["version"] = ["1", "2", "3", "7"];
        _values["ruleId"] = ["999999", "0"];
        _values["schemeId"] = [.. schemes, "999999"];
        _values["subject"] = [$"unit:{handlerUnit}", $"area:{districts[0].Id}", $"person:{handlerId}"];
        _values["counter"] = Enum.GetNames<Counter>();
        _values["year"] = [Num.S(now.Year)];
        _values["nextYear"] = [Num.S(now.Year + 1)];
        _values["today"] = [now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)];
        _values["n"] = Enumerable.Range(0, 10_000).Select(i => Num.S(i)).ToArray();

        Baseline = await CountAsync();
    }

    public async Task<Counts> CountAsync()
    {
        using var scope = App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        return new Counts(await db.Cases.CountAsync(), await db.CaseEvents.CountAsync(), await db.Reports.CountAsync(), await db.Attachments.CountAsync());
    }

    /// <summary>What the 2xx answers said was written since the baseline.</summary>
    public Counts Expected()
    {
        var reports = _reportTokens.Count;
        var created = _reportTokens.Count(t => !t.Value);
        return new Counts(Baseline.Cases + created, Baseline.Events + reports + (int)Interlocked.Read(ref _appendedEvents), Baseline.Reports + reports, Baseline.Attachments + _uploads);
    }

    /// <summary>Books the writes a successful answer reports. A repeated token is a replay (nothing new); a merge joins a case.</summary>
    public void Record(Effect effect, int status, byte[] body)
    {
        if (status is < 200 or > 299) return;
        switch (effect)
        {
            case Effect.Open311Report:
            {
                var (token, id, notice) = Open311Created(Encoding.UTF8.GetString(body));
                Book(token, MergedNotices.Contains(notice), long.Parse(id, CultureInfo.InvariantCulture));
                break;
            }
            case Effect.NativeReport:
            {
                var r = JsonNode.Parse(body)!;
                var outcome = r["outcome"]!.GetValue<string>();
                if (outcome != "Replayed") Book(r["token"]!.GetValue<string>(), outcome == "Merged", r["caseId"]!.GetValue<long>());
                break;
            }
            case Effect.Move:
                Interlocked.Add(ref _appendedEvents, JsonNode.Parse(body)!["appended"]!.AsArray().Count);
                break;
            case Effect.Upload when status == 201:
                Interlocked.Increment(ref _uploads);
                break;
        }
    }

    /// <summary>Token, case id and notice of an Open311 201, in either format.</summary>
    private static (string Token, string Id, string Notice) Open311Created(string text)
    {
        if (text.TrimStart().StartsWith('<'))
        {
            var r = XDocument.Parse(text).Root!.Element("request")!;
            return (r.Element("token")!.Value, r.Element("service_request_id")!.Value, r.Element("service_notice")!.Value);
        }
        var j = JsonNode.Parse(text)![0]!;
        return (j["token"]!.GetValue<string>(), j["service_request_id"]!.GetValue<string>(), j["service_notice"]!.GetValue<string>());
    }

    private void Book(string token, bool merged, long caseId)
    {
        // The first answer for a report says whether it merged; replays of it say "received" and change nothing.
        if (_reportTokens.TryAdd(token, merged) && !merged) CreatedCases.Add(caseId);
        else if (merged) _reportTokens[token] = true;
    }

    /// <summary>The oracle for one answer: null when acceptable, else what is wrong with it.</summary>
    public static string? Judge(Door door, int status, string? contentType, byte[] body)
    {
        if (status >= 500) return $"HTTP {status}";
        if (status < 400) return null;
        // A byte range a stored file does not have: answered as HTTP ranges are (Content-Range, no body), not as an API refusal.
        if (status == 416) return null;
        var text = Encoding.UTF8.GetString(body);
        try
        {
            if (door == Door.Open311)
            {
                if (contentType?.Contains("xml", StringComparison.OrdinalIgnoreCase) == true)
                {
                    var errors = XDocument.Parse(text).Root!;
                    if (errors.Name != "errors" || !errors.Elements("error").Any()) return $"HTTP {status} without an Open311 error list: {Wire.Show(body, 300)}";
                    foreach (var e in errors.Elements("error"))
                        if (e.Element("code")?.Value != Num.S(status) || string.IsNullOrWhiteSpace(e.Element("description")?.Value))
                            return $"HTTP {status} with an Open311 error of another code or no description: {Wire.Show(body, 300)}";
                    return null;
                }
                if (JsonNode.Parse(text) is not JsonArray list || list.Count == 0) return $"HTTP {status} without an Open311 error list: {Wire.Show(body, 300)}";
                foreach (var e in list)
                    if (e?["code"]?.GetValue<int>() != status || string.IsNullOrWhiteSpace(e["description"]?.GetValue<string>()))
                        return $"HTTP {status} with an Open311 error of another code or no description: {Wire.Show(body, 300)}";
                return null;
            }
            if (contentType?.StartsWith("application/problem+json", StringComparison.OrdinalIgnoreCase) != true)
                return $"HTTP {status} as {contentType ?? "no content type"}, not ProblemDetails: {Wire.Show(body, 300)}";
            if (JsonNode.Parse(text)?["status"]?.GetValue<int>() != status) return $"HTTP {status} with ProblemDetails of another status: {Wire.Show(body, 300)}";
            return null;
        }
        catch (Exception e) when (e is JsonException or System.Xml.XmlException or InvalidOperationException or FormatException)
        {
            return $"HTTP {status} with an unreadable error body ({e.GetType().Name}): {Wire.Show(body, 300)}";
        }
    }

    private static async Task<JsonNode> Must(Task<HttpResponseMessage> send)
    {
        using var response = await send;
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Fuzz set-up failed: {(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {text}");
        return JsonNode.Parse(text)!;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        try { Directory.Delete(AttachmentsPath, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Collects every error the server logs (an exception a handler let through, a failed background job).</summary>
public sealed class ErrorLog : ILoggerProvider
{
    public ConcurrentQueue<string> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(ErrorLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error) log.Entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");
        }
    }
}
