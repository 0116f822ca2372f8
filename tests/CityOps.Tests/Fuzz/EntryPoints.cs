using System.Globalization;
using FsCheck;
using FsCheck.Fluent;

namespace CityOps.Tests.Fuzz;

/// <summary>What a 2xx answer of an entry point may have written, so the fuzzer can account for every row.</summary>
public enum Effect
{
    /// <summary>Writes no case, report or event.</summary>
    None,
    /// <summary>An Open311 POST: 201 opens or joins a case (one report, one event) or replays one.</summary>
    Open311Report,
    /// <summary>A native report: 201 Created, 200 Merged or a replay.</summary>
    NativeReport,
    /// <summary>A case move: 200 appends the events it lists.</summary>
    Move,
    /// <summary>An upload: 201 stores one attachment.</summary>
    Upload,
}

/// <summary>
/// One entry point: a row of <see cref="EntryPoints.All"/>. Its path names placeholders
/// (<c>{caseId}</c>) filled from the world's valid values; its query, form or JSON template holds
/// valid values (or <c>{{name}}</c> for a world value, <c>{{#name}}</c> for a number) that the
/// generators keep, drop, bend or replace. A new entry point is one row.
/// </summary>
public sealed partial record Target(string Family, HttpMethod Method, string Path, Door Door, string[] Callers)
{
    public IReadOnlyList<(string Name, string[] Valid)> Query { get; init; } = [];
    public double QueryPresence { get; init; } = 0.6;
    /// <summary>A JSON body template (an anonymous object).</summary>
    public object? Json { get; init; }
    /// <summary>A form body template (application/x-www-form-urlencoded, sometimes multipart).</summary>
    public IReadOnlyList<(string Name, string[] Valid)>? Form { get; init; }
    /// <summary>A body of its own kind (uploads, GeoJSON).</summary>
    public Func<FuzzWorld, Gen<Body>>? RawBody { get; init; }
    public int Weight { get; init; } = 1;
    public Effect Effect { get; init; }

    public string Name => $"{Method} {Path}";

    /// <summary>The generator of this row's inputs, with the world's valid values filled in.</summary>
    public Gen<FuzzRequest> Generator(FuzzWorld world)
    {
        var segments = Path.Split('/');
        var path = Gen.CollectToArray(segments.Select(s => Segment(s, world)))
            .Select(parts => InMemory(string.Join('/', parts)));
        var query = Query.Count == 0
            ? Gen.Frequency((10, Gen.Constant(new List<(Piece, Piece)>())), (1, Hostile.Fields([("culture", ["en", "zh-CN"])])))
            : Hostile.Fields(Query.Select(q => (q.Name, world.Resolve(q.Valid))).ToList(), QueryPresence);
        var body = BodyGenerator(world);
        return from p in path
               from q in query
               from suffix in Hostile.Suffix
               from b in body
               from h in Hostile.Headers
               from auth in Hostile.Auth(Callers)
               select new FuzzRequest(Family, Name, Method, p, Door, q, b, h, auth, suffix);
    }

    private Gen<Body?> BodyGenerator(FuzzWorld world)
    {
        if (RawBody is not null) return RawBody(world).Select(b => (Body?)b);
        if (Json is not null)
        {
            // Mutate the template with its placeholders, then fill them: the generator is built once.
            var bodies = Hostile.JsonBody((JObj)J.FromObject(Json));
            return from b in bodies
                   from fill in Gen.Choose(0, int.MaxValue)
                   select world.Fill(b, new Random(fill));
        }
        if (Form is not null)
        {
            var fields = Form.Select(f => (f.Name, world.Resolve(f.Valid))).ToList();
            return Gen.Frequency(
                (80, from members in Hostile.Fields(fields, 0.8)
                     from type in Hostile.ContentTypeFor("application/x-www-form-urlencoded")
                     from suffix in Hostile.Suffix
                     select (Body?)new FormBody(members, type, suffix)),
                (10, from members in Hostile.Fields(fields, 0.8)
                     from file in Gen.Elements(Corpus.Default.FileNames.ToArray())
                     from type in Gen.Elements(Corpus.Default.ContentTypes.ToArray())
                     from content in Hostile.Text()
                     from boundary in Gen.Frequency((6, Gen.Constant("fuzz-boundary-7MA4YWxk")), (1, Gen.Elements("", "\"", "x y", new string('b', 200))))
                     select (Body?)new MultipartBody([.. members.Select(m => new Part(m.Item1, null, null, m.Item2)), new Part(Piece.Of("media"), file, type.AsText, content)], boundary)),
                (6, Gen.Elements(Corpus.Default.FormBodies.ToArray()).Select(b => (Body?)new RawBody(b, "application/x-www-form-urlencoded"))),
                (4, Gen.Elements(Corpus.Default.JsonBodies.ToArray()).SelectMany(b => Gen.Elements(Corpus.Default.ContentTypes.ToArray()).Select(t => (Body?)new RawBody(b, t.AsText)))));
        }
        return Method == HttpMethod.Get || Method == HttpMethod.Delete
            ? Gen.Frequency((20, Gen.Constant<Body?>(null)), (1, Gen.Elements(Corpus.Default.JsonBodies.ToArray()).Select(b => (Body?)new RawBody(b, "application/json"))))
            : Gen.Frequency((6, Gen.Constant<Body?>(null)), (1, Gen.Elements(Corpus.Default.JsonBodies.ToArray()).Select(b => (Body?)new RawBody(b, "application/json"))));
    }

    /// <summary>Literal text stays; each "{name}" in a segment takes a world value, sometimes a hostile one ("{format}" less often).</summary>
    private static Gen<string> Segment(string s, FuzzWorld world)
    {
        var parts = Placeholder().Split(s); // literal, name, literal, name, …, literal
        var gens = parts.Select((p, i) => i % 2 == 0 ? Gen.Constant(p)
            : p == "format" ? Gen.Frequency((12, Gen.Elements(world.Values(p))), (1, Hostile.Segment(world.Values(p))))
            : Hostile.Segment(world.Values(p)));
        return Gen.CollectToArray(gens).Select(string.Concat);
    }

    /// <summary>
    /// The in-memory host cannot carry a NUL in a path (it refuses to build such a request), so
    /// "%00" travels as the text "%00"; a real NUL in a path goes over the socket (corpus "raw").
    /// </summary>
    public static string InMemory(string path) => path.Replace("%00", "%2500", StringComparison.Ordinal);

    /// <summary>Fills a path with the first valid value of each placeholder.</summary>
    public static string ValidPath(string path, FuzzWorld world) =>
        Placeholder().Replace(path, m => Wire.Percent(Wire.Utf8(world.Values(m.Groups[1].Value)[0])));

    [System.Text.RegularExpressions.GeneratedRegex(@"\{(\w+)\}")]
    private static partial System.Text.RegularExpressions.Regex Placeholder();
}

/// <summary>
/// The table of entry points, grouped into families. The sensor and bike ingest doors, when they
/// come, are one row each here (for example
/// <c>Post("ingest", "/api/ingest/sensors", Door.Api, ["key:sensors"]) with { Effect = …, Json = new { … } }</c>; docs/fuzzing.md).
/// </summary>
public static class EntryPoints
{
    private static readonly string[] Public = ["none"];
    private static readonly string[] Staff = ["bearer:operator", "bearer:dispatcher", "bearer:shiftlead", "bearer:department", "bearer:handler", "bearer:inspector", "bearer:streetchief", "bearer:enforcement", "bearer:leader", "bearer:admin"];
    private static readonly string[] Admin = ["bearer:admin"];
    private static readonly string[] Evaluators = ["bearer:leader", "bearer:admin", "bearer:operator", "bearer:department", "bearer:handler"];

    private static Target Get(string family, string path, Door door, string[] callers) => new(family, HttpMethod.Get, path, door, callers);
    private static Target Post(string family, string path, Door door, string[] callers) => new(family, HttpMethod.Post, path, door, callers);
    private static Target Put(string family, string path, string[] callers) => new(family, HttpMethod.Put, path, Door.Api, callers);

    private static readonly (string, string[])[] Period =
    [
        ("period", ["{{year}}", "{{year}}-Q4", "{{year}}-11", "{{year}}-W48", "{{today}}"]),
        ("from", ["{{year}}-01-01", "{{today}}"]),
        ("to", ["{{year}}-12-31", "{{today}}"]),
    ];

    private static readonly object ConditionTemplate = new
    {
        code = "01", descriptionZh = "模糊测试条件", descriptionEn = "fuzz condition", timeLimit = 2, timeLimitUnit = "WorkingDays", closingZh = "已处理", closingEn = "done",
    };

    public static readonly IReadOnlyList<Target> All =
    [
        // Open311 GeoReport v2: reads.
        Get("open311-read", "/open311/v2/discovery.{format}", Door.Open311, Public),
        Get("open311-read", "/open311/v2/services.{format}", Door.Open311, Public),
        Get("open311-read", "/open311/v2/services/{serviceCode}.{format}", Door.Open311, Public) with { Weight = 2 },
        Get("open311-read", "/open311/v2/requests/{caseId}.{format}", Door.Open311, Public) with { Weight = 3, Query = [("extensions", ["true", "false", "1", "TRUE"])] },
        Get("open311-read", "/open311/v2/tokens/{token}.{format}", Door.Open311, Public) with { Weight = 2 },

        // Open311: the request list with every filter, paging and extensions.
        Get("open311-list", "/open311/v2/requests.{format}", Door.Open311, Public) with
        {
            QueryPresence = 0.45,
            Query =
            [
                ("service_request_id", ["{{caseId}}", "1,2,3", "{{caseId}},{{caseId}}"]), ("service_code", ["{{serviceCode}}", "E0103,C0106"]),
                ("status", ["open", "closed", "open,closed"]), ("start_date", ["{{year}}-01-01T00:00:00+08:00", "{{today}}", "{{year}}-01-01T00:00:00Z"]),
                ("end_date", ["{{year}}-12-31T23:59:59+08:00", "{{today}}T23:59:59"]), ("page", ["1", "2", "100000"]), ("page_size", ["1", "10", "100", "1000"]),
                ("extensions", ["true", "1", "false"]), ("jurisdiction_id", ["xiamen"]),
            ],
        },

        // Open311: new service requests.
        Post("open311-post", "/open311/v2/requests.{format}", Door.Open311, Public) with
        {
            Effect = Effect.Open311Report,
            Form =
            [
                ("api_key", ["demo-web-key", "demo-hotline12345-key", "demo-app-key"]), ("service_code", ["{{serviceCode}}"]), ("lat", ["{{lat}}"]), ("long", ["{{lon}}"]),
                ("coordinate_system", ["WGS84", "GCJ02", "BD09", "CGCS2000"]), ("address_string", ["厦门市思明区中山路1号"]), ("address_id", ["A-1"]),
                ("description", ["井盖松动", "fuzz report"]), ("first_name", ["三"]), ("last_name", ["张"]), ("phone", ["13800001234"]), ("email", ["zhang@example.cn"]),
                ("media_url", ["https://example.org/p.jpg"]), ("device_id", ["dev-1"]), ("account_id", ["acc-1"]), ("external_id", ["ext-{{n}}"]),
                ("attribute[condition]", ["01", "02"]), ("jurisdiction_id", ["xiamen"]),
            ],
        },

        // Sign-in and the rest of the account endpoints a stranger can reach.
        Post("sign-in", "/api/auth/login", Door.Api, Public) with
        {
            Weight = 4, Json = new { email = "{{email}}", password = "{{password}}", twoFactorCode = (string?)null, twoFactorRecoveryCode = (string?)null },
            Query = [("useCookies", ["true", "false"]), ("useSessionCookies", ["true", "false"])], QueryPresence = 0.2,
        },
        Post("sign-in", "/api/auth/refresh", Door.Api, Public) with { Weight = 2, Json = new { refreshToken = "{{refreshToken}}" } },
        Post("sign-in", "/api/auth/register", Door.Api, Public) with { Json = new { email = "{{email}}", password = "{{password}}" } },
        Post("sign-in", "/api/auth/forgotPassword", Door.Api, Public) with { Json = new { email = "{{email}}" } },
        Post("sign-in", "/api/auth/resetPassword", Door.Api, Public) with { Json = new { email = "{{email}}", resetCode = "Q2ZESjhB", newPassword = "New-Pass-2026!" } },
        Post("sign-in", "/api/auth/resendConfirmationEmail", Door.Api, Public) with { Json = new { email = "{{email}}" } },
        Get("sign-in", "/api/auth/confirmEmail", Door.Api, Public) with { Query = [("userId", ["{{userId}}"]), ("code", ["Q2ZESjhB"]), ("changedEmail", ["{{email}}"])] },
        Get("sign-in", "/api/auth/me", Door.Api, ["bearer:operator", "none", "bearer:partner"]),
        Get("sign-in", "/api/auth/manage/info", Door.Api, ["bearer:partner", "none"]),

        // The native intake door.
        Post("reports", "/api/reports", Door.Api, ["key:web", "key:hotline12345", "bearer:operator", "bearer:inspector", "bearer:streetchief"]) with
        {
            Effect = Effect.NativeReport,
            Json = new
            {
                channel = "{{channel}}", externalId = "ext-{{n}}", category = "{{serviceCode}}", condition = "01", description = "人行道暴露垃圾",
                address = "厦门市思明区中山路1号", location = new { lat = "{{#lat}}", lon = "{{#lon}}", coordinateSystem = "WGS84" },
                reporter = new { name = "张三", phone = "13800001234", email = "zhang@example.cn" }, photos = new[] { "https://example.org/a.jpg" },
                deviceId = "dev-1", attachTo = (long?)null,
            },
        },

        // Case queues, one case, its history, and the chain check of one case.
        Get("case-list", "/api/cases", Door.Api, Staff) with
        {
            Weight = 4, QueryPresence = 0.4,
            Query =
            [
                ("state", ["Reported", "Closed", "Dispatched", "reported", "1"]), ("unit", ["{{unitId}}"]), ("area", ["{{areaCode}}"]), ("category", ["{{serviceCode}}"]),
                ("channel", ["{{channel}}"]), ("from", ["{{year}}-01-01", "{{today}}T00:00:00+08:00"]), ("to", ["{{year}}-12-31", "{{today}}T23:59:59Z"]),
                ("overdue", ["true", "false"]), ("supervised", ["true", "false"]), ("page", ["1", "2"]), ("pageSize", ["1", "50", "500"]), ("sort", ["new", "due"]),
            ],
        },
        Get("case-list", "/api/cases/{caseId}", Door.Api, Staff) with { Weight = 2 },
        Get("case-list", "/api/cases/{caseId}/history", Door.Api, Staff),
        Get("case-list", "/api/audit/verify", Door.Api, ["bearer:admin", "bearer:leader", "bearer:shiftlead", "bearer:operator"]) with { Query = [("caseId", ["{{caseId}}"])], QueryPresence = 0.95 },

        // Moves of the closed loop, each with the body it takes (and any other: the template carries every field some move reads).
        .. new (string Action, object Body)[]
        {
            ("locate", new { lat = "{{#lat}}", lon = "{{#lon}}", coordinateSystem = "WGS84" }),
            ("claim", new { }),
            ("transfer", new { userId = "{{userId}}" }),
            ("factcheck", new { userId = "{{inspectorId}}", reason = "请核实" }),
            ("factcheck-report", new { passed = true, notes = "属实" }),
            ("register", new { condition = "02", category = "{{serviceCode}}" }),
            ("void", new { reason = "重复上报" }),
            ("void", new { reason = "重复上报", duplicateOf = "{{#caseId}}" }),
            ("dispatch", new { unitId = "{{#unitId}}" }),
            ("return", new { reason = "非本单位职责" }),
            ("recall", new { reason = "派错单位，改派" }),
            ("assign", new { userId = "{{handlerId}}" }),
            ("submit", new { notes = "已处理", attachments = new[] { "{{sha}}" } }),
            ("confirm", new { }),
            ("rework", new { reason = "未处理好" }),
            ("verify", new { userId = "{{inspectorId}}" }),
            ("verify-report", new { passed = true, notes = "已核查" }),
            ("close", new { closingConditionMet = true, notes = "结案" }),
            ("callback", new { reached = true, satisfaction = "Satisfied", effective = true, reopen = false }),
            ("extend", new { reason = "需要更多时间", value = 2 }),
            ("suspend", new { reason = "等待审批" }),
            ("approve", new { }),
            ("reject", new { reason = "不同意" }),
            ("resume", new { }),
            ("supervise", new { reason = "督办" }),
            ("teleport", new { reason = "no such move", version = "{{#version}}" }),
        }.Select(m => Post("case-moves", "/api/cases/{caseId}/" + m.Action, Door.Api, Staff) with { Effect = Effect.Move, Json = m.Body }),

        // Evidence uploads: raw bodies with hostile names and types, and multipart where a raw body is expected.
        Post("attachments", "/api/attachments", Door.Api, ["bearer:handler", "bearer:department", "bearer:inspector", "bearer:operator"]) with
        {
            Weight = 5, Effect = Effect.Upload, Query = [("fileName", ["photo.jpg", "现场照片.jpg"])], QueryPresence = 0.7, RawBody = Uploads.Body,
        },
        Get("attachments", "/api/attachments/{sha}", Door.Api, Staff),

        // Administration (JSON bodies); mutations go to the fuzzer's own records, never to the demo accounts and channels the checks rely on.
        Post("admin", "/api/admin/users", Door.Api, Admin) with
        {
            Weight = 2, Json = new { email = "new-{{n}}@fuzz.cityops", displayName = "模糊用户", password = "Fuzz-2026-pass!", unitId = "{{#unitId}}", areaId = "{{#areaId}}", roles = new[] { "handler" } },
        },
        Put("admin", "/api/admin/users/{fuzzUserId}", Admin) with { Weight = 2, Json = new { displayName = "模糊用户", unitId = "{{#unitId}}", areaId = "{{#areaId}}", roles = new[] { "handler", "inspector" } } },
        Get("admin", "/api/admin/users", Door.Api, Admin) with { Query = [("unitId", ["{{unitId}}"]), ("role", ["handler", "admin"]), ("page", ["1"]), ("pageSize", ["1", "500"])] },
        Post("admin", "/api/admin/units", Door.Api, Admin) with
        {
            Weight = 2, Json = new
            {
                code = "fuzz-u{{n}}", nameZh = "模糊单位", nameEn = "Fuzz unit", kind = "Department", unitType = "Territory", streetChiefLevel = (string?)null,
                parentId = "{{#unitId}}", areaCode = "{{areaCode}}", streets = new[] { "中山路" }, contactPhone = "0592-1234567", active = true,
            },
        },
        Put("admin", "/api/admin/units/{fuzzUnit}", Admin) with
        {
            Weight = 2, Json = new
            {
                code = "{{fuzzUnit}}", nameZh = "模糊单位", nameEn = "Fuzz unit", kind = "StreetChief", unitType = "Territory", streetChiefLevel = "Community",
                parentId = "{{#unitId}}", areaCode = "{{areaCode}}", streets = new[] { "中山路", "思明南路" }, contactPhone = "0592-1234567", active = true,
            },
        },
        Post("admin", "/api/admin/categories", Door.Api, Admin) with
        {
            Weight = 2, Json = new
            {
                kind = "Event", majorCode = "01", code = "97", nameZh = "模糊类别", nameEn = "Fuzz category", keywords = "模糊", supervisingBody = "城管局",
                responsibleBody = "市政", legalBasis = "条例", unitType = "Territory", autoDispatch = false, storefrontDuty = false, active = true, conditions = new[] { ConditionTemplate },
            },
        },
        Put("admin", "/api/admin/categories/{fuzzCategory}", Admin) with
        {
            Weight = 2, Json = new
            {
                kind = "Event", majorCode = "01", code = "98", nameZh = "模糊类别", nameEn = "Fuzz category", keywords = "模糊", supervisingBody = "城管局",
                responsibleBody = "市政", legalBasis = "条例", unitType = "Territory", autoDispatch = true, storefrontDuty = false, active = true, conditions = new[] { ConditionTemplate },
            },
        },
        Get("admin", "/api/admin/channels", Door.Api, Admin),
        Post("admin", "/api/admin/channels", Door.Api, Admin) with { Json = new { code = "fuzz-c{{n}}", nameZh = "模糊渠道", nameEn = "Fuzz channel", sourceType = "Complaint", active = true } },
        Put("admin", "/api/admin/channels/{fuzzChannel}", Admin) with { Json = new { code = "{{fuzzChannel}}", nameZh = "模糊渠道", nameEn = "Fuzz channel", sourceType = "AssignedFromAbove", active = false } },
        Post("admin", "/api/admin/channels/{fuzzChannel}/key", Door.Api, Admin),
        Get("admin", "/api/admin/routing-rules", Door.Api, Admin),
        Post("admin", "/api/admin/routing-rules", Door.Api, Admin) with { Json = new { areaCode = "{{fuzzArea}}", category = "{{fuzzCategory}}", unitCode = "{{unitCode}}", note = "模糊" } },
        new("admin", HttpMethod.Delete, "/api/admin/routing-rules/{ruleId}", Door.Api, Admin),
        Put("admin", "/api/admin/areas/{fuzzArea}", Admin) with { Json = new { name = "模糊网格", nameEn = "Fuzz cell", responsibleUnitId = "{{#unitId}}" } },
        Post("admin", "/api/evaluation/schemes", Door.Api, ["bearer:admin", "bearer:leader"]) with
        {
            Weight = 2, Json = new
            {
                name = "模糊方案", effectiveFrom = "{{nextYear}}-01-01",
                indicators = new object[] { new { indicator = "handlingRate", weight = 60 }, new { indicator = "onTimeHandlingRate", weight = 40 } },
                grades = new object[] { new { grade = "A", min = 90 }, new { grade = "B", min = 60 }, new { grade = "C", min = 0 } },
                deductions = new object[] { new { counter = "Overdue", points = 0.5, cap = 20 } },
            },
        },
        Post("admin", "/api/admin/geography/imports", Door.Api, Admin) with
        {
            Query = [("level", ["Cell", "Community"]), ("coordinateSystem", ["WGS84", "GCJ02"]), ("codeProperty", ["code"]), ("nameProperty", ["name"])], QueryPresence = 0.8,
            Json = new
            {
                type = "FeatureCollection",
                features = new[]
                {
                    new
                    {
                        type = "Feature", properties = new { code = "999999999999999", name = "模糊" },
                        geometry = new { type = "Polygon", coordinates = new[] { new[] { new[] { 118.08, 24.45 }, new[] { 118.081, 24.45 }, new[] { 118.081, 24.451 }, new[] { 118.08, 24.45 } } } },
                    },
                },
            },
        },

        // Evaluation: every report's query parameters.
        Get("evaluation", "/api/evaluation/units", Door.Api, Evaluators) with { Query = Period },
        Get("evaluation", "/api/evaluation/areas", Door.Api, Evaluators) with { Query = [.. Period, ("level", ["District", "Subdistrict", "Community", "Cell"])] },
        Get("evaluation", "/api/evaluation/people", Door.Api, Evaluators) with { Query = [.. Period, ("role", ["operator", "dispatcher", "inspector", "streetchief", "handler"])] },
        Get("evaluation", "/api/evaluation/rankings", Door.Api, Evaluators) with { Query = [.. Period, ("level", ["District", "Community"]), ("top", ["1", "5", "100"])] },
        Get("evaluation", "/api/evaluation/trend", Door.Api, Evaluators) with { Query = [.. Period, ("subject", ["{{subject}}"]), ("granularity", ["Month", "Quarter", "Year", "Week"])] },
        Get("evaluation", "/api/evaluation/cases", Door.Api, Evaluators) with { Query = [.. Period, ("subject", ["{{subject}}"]), ("counter", ["{{counter}}"])] },
        Get("evaluation", "/api/evaluation/callbacks", Door.Api, Evaluators) with { Query = [("page", ["1", "2"]), ("pageSize", ["1", "50", "500"])] },
        Get("evaluation", "/api/evaluation/export.csv", Door.Api, Evaluators) with { Query = [.. Period, ("table", ["units", "districts", "subdistricts", "communities", "cells", "operators", "dispatchers", "inspectors"])] },
        Get("evaluation", "/api/evaluation/export.xlsx", Door.Api, Evaluators) with { Query = Period },
        Get("evaluation", "/api/evaluation/schemes", Door.Api, Evaluators),
        Get("evaluation", "/api/evaluation/schemes/{schemeId}", Door.Api, Evaluators),
    ];

    public static IReadOnlyList<string> Families => All.Select(t => t.Family).Distinct().ToList();
}

/// <summary>Upload bodies: real magic bytes or none, right or wrong types, raw or (wrongly) multipart.</summary>
public static class Uploads
{
    private static readonly (string Type, byte[] Magic)[] Kinds =
    [
        ("image/jpeg", [0xFF, 0xD8, 0xFF, 0xE0]),
        ("image/png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
        ("image/webp", "RIFF\0\0\0\0WEBP"u8.ToArray()),
        ("image/heic", "\0\0\0\u0018ftypheic"u8.ToArray()),
        ("video/mp4", "\0\0\0\u0018ftypisom"u8.ToArray()),
        ("video/quicktime", "\0\0\0\u0014ftypqt  "u8.ToArray()),
        ("image/svg+xml", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"u8.ToArray()),
        ("text/html", "<html><script>alert(1)</script>"u8.ToArray()),
        ("application/x-msdownload", "MZ\u0090\0"u8.ToArray()),
    ];

    public static Gen<Body> Body(FuzzWorld world) =>
        from kind in Gen.Elements(Kinds)
        from declared in Gen.Frequency(
            (10, Gen.Constant<string?>(kind.Type)),
            (3, Gen.Elements(Kinds).Select(k => (string?)k.Type)),
            (3, Gen.Elements(Corpus.Default.ContentTypes.ToArray()).Select(c => (string?)c.AsText)),
            (1, Gen.Constant<string?>(null)))
        from magic in Gen.Frequency((10, Gen.Constant(kind.Magic)), (1, Gen.Constant(Array.Empty<byte>())), (1, Gen.Constant(kind.Magic[..Math.Min(2, kind.Magic.Length)])))
        from tail in Gen.Frequency(
            (8, Gen.Choose(0, 2048).Select(n => Enumerable.Range(0, n).Select(i => (byte)(i * 31 + n)).ToArray())),
            (2, Hostile.RawBytes.Select(p => p.Utf8)),
            (1, Gen.Choose(60_000, 300_000).Select(n => new byte[n])))
        from unique in Gen.Choose(0, int.MaxValue)
        from file in Gen.Elements(Corpus.Default.FileNames.ToArray())
        from form in Gen.Frequency((8, Gen.Constant(false)), (1, Gen.Constant(true)))
        let content = Piece.Bytes([.. magic, .. BitConverter.GetBytes(unique), .. tail])
        select form
            ? (Body)new MultipartBody([new Part(Piece.Of("file"), file, declared, content), new Part(Piece.Of("fileName"), null, null, file)])
            : new RawBody(content, declared);
}

/// <summary>Numbers as the fuzzer formats them.</summary>
internal static class Num
{
    public static string S(long v) => v.ToString(CultureInfo.InvariantCulture);
    public static string S(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
