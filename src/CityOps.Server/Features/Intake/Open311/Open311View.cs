using System.Globalization;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Cases.Workflow;
using CityOps.Server.Features.Routing;
using CityOps.Server.Infrastructure;

namespace CityOps.Server.Features.Intake.Open311;

/// <summary>A case as the public sees it through Open311: no reporter data, ever, and no mobile or identity number typed into its text.</summary>
public static class Open311View
{
    public static JsonObject Request(Case c, ReferenceData reference, TimeZoneInfo zone, bool extensions, ILookup<long, CaseEvent>? notes)
    {
        var category = reference.Categories[c.CategoryId];
        var unit = c.AssignedUnitId is { } u && reference.Units.TryGetValue(u, out var unitRow) ? Messages.Pick(unitRow.NameZh, unitRow.NameEn) : null;
        var closed = c.State is CaseState.Closed or CaseState.Voided;
        var o = new JsonObject
        {
            ["service_request_id"] = c.Id.ToString(CultureInfo.InvariantCulture),
            ["status"] = closed ? "closed" : "open",
            ["status_notes"] = PublicText.Masked(CaseViews.StatusNotesOf(c, reference)),
            ["service_name"] = Messages.Pick(category.NameZh, category.NameEn),
            ["service_code"] = category.ServiceCode,
            ["description"] = PublicText.Masked(c.Description),
            ["agency_responsible"] = unit,
            ["service_notice"] = c.RoutingReason == RoutingReason.NeedsLocation ? Messages.Get("Open311NeedsLocation") : RoutingText.Label(c.RoutingReason),
            ["requested_datetime"] = Open311Format.Time(c.ReportedAt, zone),
            ["updated_datetime"] = Open311Format.Time(c.UpdatedAt, zone),
            ["expected_datetime"] = c.Clock.Step == "handle" && c.Clock.DueAt is { } due ? Open311Format.Time(due, zone) : null,
            ["address"] = c.Address,
            ["address_id"] = null,
            ["zipcode"] = null,
            ["lat"] = c.Lat,
            ["long"] = c.Lon,
            ["media_url"] = c.Photos.OrderBy(p => p.Id).Select(p => p.Url).FirstOrDefault(),
        };
        if (!extensions) return o;

        string? Code(int? id) => id is { } v && reference.Areas.TryGetValue(v, out var a) ? a.Code : null;
        var channel = reference.Channels[c.ChannelId];
        o["extended_attributes"] = new JsonObject
        {
            ["channel"] = channel.Code,
            ["channel_name"] = Messages.Pick(channel.NameZh, channel.NameEn),
            ["grid_cell"] = c.Lat is { } lat && c.Lon is { } lon ? reference.Routing.Locate(lon, lat)?.Code : null,
            ["community"] = Code(c.CommunityId),
            ["subdistrict"] = Code(c.SubdistrictId),
            ["district"] = Code(c.DistrictId),
            ["routing_reason"] = c.RoutingReason.ToString(),
            ["routing_detail"] = c.RoutingDetail,
            ["state"] = c.State.ToString(),
            ["report_count"] = c.ReportCount,
            ["category_kind"] = category.Kind.ToString(),
        };
        o["notes"] = new JsonArray((notes?[c.Id] ?? []).Select(e => (JsonNode)new JsonObject
        {
            ["datetime"] = Open311Format.Time(e.At, zone),
            ["summary"] = Messages.Get("Event_" + e.Action),
            ["description"] = PublicDescription(e),
            ["type"] = e.Action,
        }).ToArray());
        return o;
    }

    /// <summary>
    /// What a public event says to the citizen. Staff's free text (a rework's reason, a dispatcher's
    /// note, what the citizen said at callback) is for the record, not the public: only a void's reason
    /// (the request's status notes too) and the platform's own texts are shown, among them the routing
    /// text of a report and the note of a merged one, whoever took the report.
    /// </summary>
    public static string? PublicDescription(CaseEvent e) => e.Action switch
    {
        // A report voided as a repeat points the citizen to the case that handles it, as its status notes do.
        "void" when DuplicateOf(e) is { } original => PublicText.Masked(Messages.Format("VoidedAsDuplicate", original, e.Reason?.Trim())),
        "void" or "report" or "merge" => PublicText.Masked(e.Reason),
        "rework" => Messages.Get("PublicRework"),
        "callback" => Messages.Get("CallbackReopened"),
        _ => e.ActorId == "system" ? e.Reason : null,
    };

    private static long? DuplicateOf(CaseEvent e)
    {
        if (e.Data is null || !e.Data.Contains("\"duplicateOf\"", StringComparison.Ordinal)) return null;
        using var doc = System.Text.Json.JsonDocument.Parse(e.Data);
        return doc.RootElement.TryGetProperty("duplicateOf", out var v) && v.TryGetInt64(out var id) ? id : null;
    }
}
