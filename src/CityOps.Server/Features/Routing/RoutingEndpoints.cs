using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Units;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Routing;

/// <summary>The routing table (admin) and a dry run: where would a report here go, and why?</summary>
public static class RoutingEndpoints
{
    public sealed record RuleDto(int Id, string? AreaCode, string? Category, int UnitId, string UnitCode, string? Note);
    public sealed record RuleInput(string? AreaCode, string? Category, string UnitCode, string? Note);
    public sealed record Resolution(string Cell, string? Community, string? Subdistrict, string? District, int? UnitId, string? UnitCode, string? UnitName,
        RoutingReason Reason, string ReasonLabel, string Detail, double Lat, double Lon);

    public static void MapRoutingTable(this WebApplication app)
    {
        app.MapGet("/api/routing/resolve", ResolveAsync).WithTags("Routing").RequireAuthorization(Policies.Staff)
            .WithSummary("Where a report of this category at this point would be routed, and why");
        var admin = app.MapGroup("/api/admin/routing-rules").WithTags("Administration").RequireAuthorization(Policies.Admin);
        admin.MapGet("/", ListAsync);
        admin.MapPost("/", CreateAsync);
        admin.MapDelete("/{id:int}", DeleteAsync);
    }

    private static async Task<Results<Ok<Resolution>, ValidationProblem>> ResolveAsync(double lat, double lon, string category, string? coordinateSystem, ReferenceDataCache cache, CancellationToken ct)
    {
        var r = await cache.GetAsync(ct);
        var errors = new Dictionary<string, string[]>();
        if (!Coordinates.TryParse(coordinateSystem, out var cs)) errors["coordinateSystem"] = [Messages.Get("CoordinateSystemUnknown")];
        if (!r.CategoriesByCode.TryGetValue(category, out var cat)) errors["category"] = [Messages.Format("ServiceCodeUnknown", category)];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (wLon, wLat) = Coordinates.ToWgs84(cs, lon, lat);
        var cell = r.Routing.Locate(wLon, wLat);
        if (cell is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["lat"] = [Messages.Get("OutsideCity")] });
        var o = r.Routing.Route(cell, cat!.Id);
        string? Code(int? id) => id is { } v && r.Areas.TryGetValue(v, out var a) ? a.Code : null;
        var unit = o.UnitId is { } u ? r.Units[u] : null;
        return TypedResults.Ok(new Resolution(cell.Code, Code(o.CommunityId), Code(o.SubdistrictId), Code(o.DistrictId), unit?.Id, unit?.Code,
            unit is null ? null : Messages.Pick(unit.NameZh, unit.NameEn), o.Reason, RoutingText.Label(o.Reason), RoutingText.Detail(o, r), wLat, wLon));
    }

    internal static async Task<Ok<List<RuleDto>>> ListAsync(CityOpsDb db, CancellationToken ct) =>
        TypedResults.Ok(await db.RoutingRules.AsNoTracking().OrderBy(x => x.Id)
            .Select(x => new RuleDto(x.Id,
                db.Areas.Where(a => a.Id == x.AreaId).Select(a => a.Code).FirstOrDefault(),
                db.Categories.Where(c => c.Id == x.CategoryId).Select(c => c.ServiceCode).FirstOrDefault(),
                x.UnitId, db.Units.Where(u => u.Id == x.UnitId).Select(u => u.Code).First(), x.Note))
            .ToListAsync(ct));

    internal static async Task<Results<Created<RuleDto>, ValidationProblem>> CreateAsync(RuleInput input, CityOpsDb db, ReferenceDataCache cache, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        int? areaId = null, categoryId = null;
        if (input.AreaCode is not null && (areaId = await db.Areas.Where(a => a.Code == input.AreaCode).Select(a => (int?)a.Id).FirstOrDefaultAsync(ct)) is null)
            errors["areaCode"] = [Messages.Get("UnknownArea")];
        if (input.Category is not null && (categoryId = await db.Categories.Where(c => c.ServiceCode == input.Category).Select(c => (int?)c.Id).FirstOrDefaultAsync(ct)) is null)
            errors["category"] = [Messages.Format("ServiceCodeUnknown", input.Category)];
        // Only units that handle cases can be routed to (not the centre, partner bureaus or companies).
        var unit = await db.Units.Where(u => u.Code == input.UnitCode).Where(UnitRules.HandlesCases).Select(u => new { u.Id, u.AreaId }).FirstOrDefaultAsync(ct);
        var unitId = unit?.Id;
        if (unit is null) errors["unitCode"] = [Messages.Get("UnknownUnit")];
        // A unit of a territory answers only for areas inside it (a rule without an area is city-wide).
        else if (!errors.ContainsKey("areaCode") && !await UnitRules.CoversAsync(db, unit.AreaId, areaId, ct)) errors["unitCode"] = [Messages.Get("UnitAreaOutside")];
        if (errors.Count == 0 && await db.RoutingRules.AnyAsync(x => x.AreaId == areaId && x.CategoryId == categoryId, ct))
            errors["areaCode"] = [Messages.Get("RuleExists")];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var rule = new RoutingRule { AreaId = areaId, CategoryId = categoryId, UnitId = unitId!.Value, Note = input.Note };
        db.RoutingRules.Add(rule);
        await db.SaveChangesAsync(ct);
        cache.Invalidate();
        return TypedResults.Created($"/api/admin/routing-rules/{rule.Id}", new RuleDto(rule.Id, input.AreaCode, input.Category, rule.UnitId, input.UnitCode, rule.Note));
    }

    internal static async Task<Results<NoContent, NotFound>> DeleteAsync(int id, CityOpsDb db, ReferenceDataCache cache, CancellationToken ct)
    {
        // Through SaveChanges, so the reference stamp moves with the deletion.
        var rule = await db.RoutingRules.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (rule is null) return TypedResults.NotFound();
        db.RoutingRules.Remove(rule);
        await db.SaveChangesAsync(ct);
        cache.Invalidate();
        return TypedResults.NoContent();
    }
}
