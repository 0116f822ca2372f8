using System.Globalization;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Geography;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Intake.Open311;

/// <summary>
/// Open311 GeoReport v2 under /open311/v2, JSON or XML by suffix, with the pagination
/// (page, page_size) and extensions=true (extended_attributes, notes) extensions.
/// </summary>
public static class Open311Endpoints
{
    public const string Prefix = "/open311/v2";

    public static void MapOpen311(this WebApplication app)
    {
        var g = app.MapGroup(Prefix).WithTags("Open311").AllowAnonymous().DisableAntiforgery();
        g.MapGet("/discovery.{format}", Discovery);
        g.MapGet("/services.{format}", ServicesAsync);
        g.MapGet("/services/{code}.{format}", ServiceDefinitionAsync);
        g.MapGet("/requests.{format}", Open311Requests.ListAsync);
        g.MapPost("/requests.{format}", Open311Requests.PostAsync).RequireRateLimiting(IntakeRateLimit.Policy);
        g.MapGet("/requests/{id}.{format}", Open311Requests.GetAsync);
        g.MapGet("/tokens/{token}.{format}", Open311Requests.TokenAsync);
    }

    private static IResult Discovery(string format, HttpContext http, IOptions<CityOptions> city)
    {
        if (!Open311Format.TryParse(format, out var xml)) return BadFormat();
        var baseUrl = $"{http.Request.Scheme}://{http.Request.Host}{Prefix}/";
        var body = new JsonObject
        {
            ["changeset"] = "2026-11-25T00:00:00+08:00",
            ["contact"] = Messages.Format("Open311Contact", Messages.Pick(city.Value.NameZh, city.Value.NameEn)),
            ["key_service"] = Messages.Get("Open311KeyService"),
            ["endpoints"] = new JsonArray(new JsonObject
            {
                ["specification"] = "http://wiki.open311.org/GeoReport_v2",
                ["url"] = baseUrl,
                ["changeset"] = "2026-11-25T00:00:00+08:00",
                ["type"] = "production",
                ["formats"] = new JsonArray("application/json", "text/xml"),
            }),
        };
        return Open311Format.Result(body, "discovery", xml);
    }

    private static async Task<IResult> ServicesAsync(string format, ReferenceDataCache cache, CancellationToken ct)
    {
        if (!Open311Format.TryParse(format, out var xml)) return BadFormat();
        var reference = await cache.GetAsync(ct);
        var list = new JsonArray();
        foreach (var c in reference.Categories.Values.Where(c => c.Active).OrderBy(c => c.ServiceCode, StringComparer.Ordinal))
        {
            var major = reference.Majors[c.MajorId];
            list.Add(new JsonObject
            {
                ["service_code"] = c.ServiceCode,
                ["service_name"] = Messages.Pick(c.NameZh, c.NameEn),
                ["description"] = Messages.Pick(major.NameZh, major.NameEn) + " / " + Messages.Pick(c.NameZh, c.NameEn),
                ["metadata"] = c.Conditions.Count > 0,
                ["type"] = "realtime",
                ["keywords"] = c.Keywords,
                ["group"] = (c.Kind == Categories.CategoryKind.Component ? Messages.Get("KindComponent") : Messages.Get("KindEvent")) + " · " + Messages.Pick(major.NameZh, major.NameEn),
            });
        }
        return Open311Format.Result(list, "services", xml);
    }

    private static async Task<IResult> ServiceDefinitionAsync(string code, string format, ReferenceDataCache cache, CancellationToken ct)
    {
        if (!Open311Format.TryParse(format, out var xml)) return BadFormat();
        var reference = await cache.GetAsync(ct);
        if (!reference.CategoriesByCode.TryGetValue(code, out var c) || !c.Active)
            return Open311Errors.Result(404, Messages.Format("ServiceCodeUnknown", code), xml);
        var values = new JsonArray(c.Conditions.Select(k => (JsonNode)new JsonObject
        {
            ["key"] = k.Code,
            ["name"] = $"{Messages.Pick(k.DescriptionZh, k.DescriptionEn)} ({Deadlines.Describe(k.TimeLimit, k.TimeLimitUnit)})",
        }).ToArray());
        var body = new JsonObject
        {
            ["service_code"] = c.ServiceCode,
            ["attributes"] = new JsonArray(new JsonObject
            {
                ["variable"] = true,
                ["code"] = "condition",
                ["datatype"] = "singlevaluelist",
                ["required"] = false,
                ["datatype_description"] = Messages.Get("Open311ConditionHelp"),
                ["order"] = 1,
                ["description"] = Messages.Get("Open311ConditionDescription"),
                ["values"] = values,
            }),
        };
        return Open311Format.Result(body, "service_definition", xml);
    }

    internal static IResult BadFormat() => Open311Errors.Result(400, Messages.Get("Open311BadFormat"), xml: false);

    /// <summary>Parses a GeoReport date-time (any ISO 8601 form with or without offset; without = city time).</summary>
    internal static bool TryParseTime(string? s, TimeZoneInfo zone, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(s)) return true;
        if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return false;
        if (!s.Contains('Z', StringComparison.OrdinalIgnoreCase) && !s.Contains('+', StringComparison.Ordinal) && s.LastIndexOf('-') <= 7)
            t = new DateTimeOffset(DateTime.SpecifyKind(t.DateTime, DateTimeKind.Unspecified), zone.GetUtcOffset(t.DateTime));
        value = t.ToUniversalTime();
        return true;
    }

    internal static CoordinateSystem ParseSystem(string? s) => Coordinates.TryParse(s, out var cs) ? cs : (CoordinateSystem)(-1);
}
