using System.Globalization;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Routing;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Intake.Open311;

/// <summary>GeoReport v2 service requests: list, read, create, token look-up.</summary>
public static class Open311Requests
{
    public static async Task<IResult> PostAsync(string format, HttpContext http, IntakeService intake, ReferenceDataCache cache, CancellationToken ct)
    {
        if (!Open311Format.TryParse(format, out var xml)) return Open311Endpoints.BadFormat();
        if (!http.Request.HasFormContentType)
            return Open311Errors.Result(400, Messages.Get("Open311FormRequired"), xml);
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(ct);
        }
        catch (NotSupportedException)
        {
            // A part declared in UTF-7, which .NET refuses to decode (other unknown charsets fall back to UTF-8).
            return Open311Errors.Result(415, Messages.Format("CharsetUnsupported", "UTF-7"), xml);
        }
        var reference = await cache.GetAsync(ct);

        var key = form["api_key"].ToString();
        if (string.IsNullOrEmpty(key)) return Open311Errors.Result(403, Messages.Get("ApiKeyRequired"), xml);
        if (!reference.ChannelsByKeyHash.TryGetValue(ApiKeys.Hash(key), out var channel))
            return Open311Errors.Result(403, Messages.Get("ApiKeyInvalid"), xml);

        var errors = new List<IntakeError>();
        double? lat = Number(form["lat"], "lat", errors), lon = Number(form["long"], "long", errors);
        var system = Open311Endpoints.ParseSystem(form["coordinate_system"]);
        if ((int)system < 0) errors.Add(new("coordinate_system", Messages.Get("CoordinateSystemUnknown")));
        if (errors.Count > 0) return Open311Errors.Result(400, errors, xml);

        var attributes = new Dictionary<string, string>();
        foreach (var (k, v) in form)
            if (k.StartsWith("attribute[", StringComparison.Ordinal) && k.EndsWith(']')) attributes[k[10..^1]] = v.ToString();
        var name = string.Join(' ', new[] { form["first_name"].ToString(), form["last_name"].ToString() }.Where(s => s.Length > 0));
        var request = new IntakeRequest
        {
            ServiceCode = form["service_code"], ConditionCode = attributes.GetValueOrDefault("condition"),
            Lat = lat, Lon = lon, CoordinateSystem = system,
            Address = Join(form["address_string"], form["address_id"]), Description = form["description"],
            ReporterName = name.Length > 0 ? name : null, ReporterPhone = form["phone"], ReporterEmail = form["email"],
            DeviceId = form["device_id"], AccountId = form["account_id"], ExternalId = form["external_id"],
            MediaUrls = form["media_url"].Where(u => !string.IsNullOrEmpty(u)).Select(u => u!).ToList(), Attributes = attributes,
        };
        try
        {
            var result = await intake.SubmitAsync(request, new IntakeActor(channel, null, null, null), http.Request.Headers["Idempotency-Key"], ct);
            var body = new JsonArray(new JsonObject
            {
                ["service_request_id"] = result.Case.Id.ToString(CultureInfo.InvariantCulture),
                ["token"] = result.Report.Token.ToString(),
                ["service_notice"] = Messages.Get(result.JoinedOpenCase ? "Open311Merged" : result.Case.State == CaseState.NeedsLocation ? "Open311NeedsLocation" : "Open311Received"),
                ["account_id"] = result.Report.AccountId,
            });
            http.Response.Headers.Location = $"{Open311Endpoints.Prefix}/requests/{result.Case.Id}.{(xml ? "xml" : "json")}";
            return Open311Format.Result(body, "service_requests", xml, 201);
        }
        catch (IntakeRejected rejected)
        {
            return Open311Errors.Result(rejected.Status, rejected.Errors, xml);
        }
    }

    public static async Task<IResult> GetAsync(string id, string format, HttpContext http, CityOpsDb db, ReferenceDataCache cache, IOptions<CityOptions> city, CancellationToken ct)
    {
        if (!Open311Format.TryParse(format, out var xml)) return Open311Endpoints.BadFormat();
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var caseId))
            return Open311Errors.Result(404, Messages.Get("RequestNotFound"), xml);
        var c = await db.Cases.AsNoTracking().Include(x => x.Photos).FirstOrDefaultAsync(x => x.Id == caseId, ct);
        if (c is null) return Open311Errors.Result(404, Messages.Get("RequestNotFound"), xml);
        var extensions = IsTrue(http.Request.Query["extensions"]);
        var notes = extensions ? await NotesAsync(db, [c.Id], ct) : null;
        var body = new JsonArray(Open311View.Request(c, await cache.GetAsync(ct), city.Value.Zone, extensions, notes));
        return Open311Format.Result(body, "service_requests", xml);
    }

    public static async Task<IResult> TokenAsync(string token, string format, CityOpsDb db, CancellationToken ct)
    {
        if (!Open311Format.TryParse(format, out var xml)) return Open311Endpoints.BadFormat();
        if (!Guid.TryParse(token, out var t)) return Open311Errors.Result(404, Messages.Get("TokenNotFound"), xml);
        var caseId = await db.Reports.Where(r => r.Token == t).Select(r => (long?)r.CaseId).FirstOrDefaultAsync(ct);
        if (caseId is null) return Open311Errors.Result(404, Messages.Get("TokenNotFound"), xml);
        var body = new JsonArray(new JsonObject { ["service_request_id"] = caseId.Value.ToString(CultureInfo.InvariantCulture), ["token"] = token });
        return Open311Format.Result(body, "service_requests", xml);
    }

    public static async Task<IResult> ListAsync(string format, HttpContext http, CityOpsDb db, ReferenceDataCache cache,
        IOptions<CityOptions> city, IOptions<IntakeOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (!Open311Format.TryParse(format, out var xml)) return Open311Endpoints.BadFormat();
        var q = http.Request.Query;
        var zone = city.Value.Zone;
        var errors = new List<IntakeError>();
        if (!Open311Endpoints.TryParseTime(q["start_date"], zone, out var start)) errors.Add(new("start_date", Messages.Get("DateInvalid")));
        if (!Open311Endpoints.TryParseTime(q["end_date"], zone, out var end)) errors.Add(new("end_date", Messages.Get("DateInvalid")));
        if (start > end) errors.Add(new("end_date", Messages.Get("PeriodReversed")));
        var page = Int(q["page"], 1, "page", errors);
        var pageSize = Int(q["page_size"], options.Value.Open311PageSizeDefault, "page_size", errors);
        if (page is < 1 or > 100_000) errors.Add(new("page", Messages.Get("PageInvalid")));
        if (pageSize < 1 || pageSize > options.Value.Open311PageSizeMax) errors.Add(new("page_size", Messages.Format("PageSizeInvalid", options.Value.Open311PageSizeMax)));
        var statuses = Split(q["status"]);
        if (statuses.Any(s => s is not ("open" or "closed"))) errors.Add(new("status", Messages.Get("StatusInvalid")));
        var ids = new List<long>();
        foreach (var s in Split(q["service_request_id"]))
            if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) ids.Add(v);
            else errors.Add(new("service_request_id", Messages.Get("RequestIdInvalid")));
        if (errors.Count > 0) return Open311Errors.Result(400, errors, xml);

        var reference = await cache.GetAsync(ct);
        var cases = db.Cases.AsNoTracking();
        if (ids.Count > 0)
        {
            // GeoReport v2: service_request_id overrides every other filter.
            cases = cases.Where(c => ids.Contains(c.Id));
        }
        else
        {
            // GeoReport v2: without dates, the last 90 days.
            var to = end ?? clock.GetUtcNow();
            var from = start ?? (to > DateTimeOffset.MinValue.AddDays(90) ? to.AddDays(-90) : DateTimeOffset.MinValue);
            cases = cases.Where(c => c.ReportedAt >= from && c.ReportedAt <= to);
            var codes = Split(q["service_code"]);
            if (codes.Count > 0)
            {
                var categoryIds = codes.Select(code => reference.CategoriesByCode.TryGetValue(code, out var cat) ? cat.Id : -1).ToList();
                cases = cases.Where(c => categoryIds.Contains(c.CategoryId));
            }
            if (statuses.Count == 1)
                cases = statuses[0] == "closed"
                    ? cases.Where(c => c.State == CaseState.Closed || c.State == CaseState.Voided)
                    : cases.Where(c => c.State != CaseState.Closed && c.State != CaseState.Voided);
        }

        var rows = await cases.OrderByDescending(c => c.Id).Skip((page - 1) * pageSize).Take(pageSize).Include(c => c.Photos).ToListAsync(ct);
        var extensions = IsTrue(q["extensions"]);
        var notes = extensions ? await NotesAsync(db, rows.Select(r => r.Id).ToList(), ct) : null;
        var body = new JsonArray(rows.Select(c => (JsonNode)Open311View.Request(c, reference, zone, extensions, notes)).ToArray());
        return Open311Format.Result(body, "service_requests", xml);
    }

    private static async Task<ILookup<long, CaseEvent>> NotesAsync(CityOpsDb db, List<long> caseIds, CancellationToken ct) =>
        (await db.CaseEvents.AsNoTracking().Where(e => caseIds.Contains(e.CaseId) && e.Public).OrderBy(e => e.CaseId).ThenBy(e => e.Seq).ToListAsync(ct))
        .ToLookup(e => e.CaseId);

    private static double? Number(string? s, string field, List<IntakeError> errors)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) return v;
        errors.Add(new(field, Messages.Get("CoordinatesInvalid")));
        return null;
    }

    private static int Int(string? s, int fallback, string field, List<IntakeError> errors)
    {
        if (string.IsNullOrWhiteSpace(s)) return fallback;
        if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return v;
        errors.Add(new(field, Messages.Get("NumberInvalid")));
        return fallback;
    }

    private static List<string> Split(string? s) =>
        string.IsNullOrWhiteSpace(s) ? [] : s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(200).ToList();

    private static bool IsTrue(string? s) => string.Equals(s, "true", StringComparison.OrdinalIgnoreCase) || s == "1";

    private static string? Join(string? address, string? addressId) =>
        string.IsNullOrWhiteSpace(addressId) ? address : string.IsNullOrWhiteSpace(address) ? addressId : $"{address} ({addressId})";
}
