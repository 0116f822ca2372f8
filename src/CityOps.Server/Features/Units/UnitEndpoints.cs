using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Units;

/// <summary>Units and street chiefs: read by staff, edited by administrators.</summary>
public static class UnitEndpoints
{
    public sealed record UnitDto(int Id, string Code, string NameZh, string NameEn, UnitKind Kind, string? UnitType, StreetChiefLevel? StreetChiefLevel,
        int? ParentId, int? AreaId, string? AreaCode, IReadOnlyList<string> Streets, string? ContactPhone, bool Active);
    public sealed record UnitInput(string Code, string NameZh, string NameEn, UnitKind Kind, string? UnitType, StreetChiefLevel? StreetChiefLevel,
        int? ParentId, string? AreaCode, List<string>? Streets, string? ContactPhone, bool Active = true);

    public static void MapUnits(this WebApplication app)
    {
        app.MapGet("/api/units", ListAsync).WithTags("Reference data").RequireAuthorization(Policies.Staff);
        var admin = app.MapGroup("/api/admin/units").WithTags("Administration").RequireAuthorization(Policies.Admin);
        admin.MapPost("/", CreateAsync);
        admin.MapPut("/{code}", UpdateAsync);
    }

    private static async Task<Ok<List<UnitDto>>> ListAsync(ReferenceDataCache cache, UnitKind? kind, string? area, CancellationToken ct)
    {
        var r = await cache.GetAsync(ct);
        var rows = r.Units.Values.Where(u => kind is null || u.Kind == kind)
            .Where(u => area is null || (u.AreaId is { } a && r.Areas.TryGetValue(a, out var ar) && ar.Code.StartsWith(area, StringComparison.Ordinal)))
            .OrderBy(u => u.Id).Select(u => ToDto(u, r)).ToList();
        return TypedResults.Ok(rows);
    }

    internal static async Task<Results<Created<UnitDto>, ValidationProblem>> CreateAsync(UnitInput input, CityOpsDb db, ReferenceDataCache cache, CancellationToken ct)
    {
        var (errors, areaId) = await ValidateAsync(input, db, null, ct);
        if (await db.Units.AnyAsync(u => u.Code == input.Code, ct)) errors["code"] = [Messages.Get("CodeTaken")];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var u = new Unit { Code = input.Code, NameZh = input.NameZh, NameEn = input.NameEn };
        Apply(u, input, areaId);
        db.Units.Add(u);
        await db.SaveChangesAsync(ct);
        cache.Invalidate();
        return TypedResults.Created($"/api/units?kind={u.Kind}", ToDto(u, await cache.GetAsync(ct)));
    }

    internal static async Task<Results<Ok<UnitDto>, NotFound, ValidationProblem>> UpdateAsync(string code, UnitInput input, CityOpsDb db, ReferenceDataCache cache, CancellationToken ct)
    {
        var u = await db.Units.FirstOrDefaultAsync(x => x.Code == code, ct);
        if (u is null) return TypedResults.NotFound();
        var (errors, areaId) = await ValidateAsync(input with { Code = code }, db, u.Id, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        Apply(u, input, areaId);
        await db.SaveChangesAsync(ct);
        cache.Invalidate();
        return TypedResults.Ok(ToDto(u, await cache.GetAsync(ct)));
    }

    private static void Apply(Unit u, UnitInput i, int? areaId)
    {
        (u.NameZh, u.NameEn, u.Kind, u.UnitType, u.StreetChiefLevel, u.ParentId, u.AreaId) = (i.NameZh, i.NameEn, i.Kind, i.UnitType, i.StreetChiefLevel, i.ParentId, areaId);
        (u.Streets, u.ContactPhone, u.Active) = (i.Streets is null ? null : string.Join('\n', i.Streets), i.ContactPhone, i.Active);
    }

    private static async Task<(Dictionary<string, string[]>, int?)> ValidateAsync(UnitInput i, CityOpsDb db, int? self, CancellationToken ct)
    {
        var e = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(i.Code) || i.Code.Length > 40 || !i.Code.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch == '-'))
            e["code"] = [Messages.Get("CodeInvalid")];
        if (string.IsNullOrWhiteSpace(i.NameZh) || i.NameZh.Length > 200) e["nameZh"] = [Messages.Get("NameRequired")];
        if (string.IsNullOrWhiteSpace(i.NameEn) || i.NameEn.Length > 200) e["nameEn"] = [Messages.Get("NameRequired")];
        if (!Enum.IsDefined(i.Kind)) e["kind"] = [Messages.Get("ValueInvalid")];
        if (i.Kind == UnitKind.StreetChief && i.StreetChiefLevel is null) e["streetChiefLevel"] = [Messages.Get("StreetChiefLevelRequired")];
        if (i.ParentId is not null && (i.ParentId == self || !await db.Units.AnyAsync(u => u.Id == i.ParentId, ct))) e["parentId"] = [Messages.Get("UnknownUnit")];
        int? areaId = null;
        if (i.AreaCode is not null)
        {
            areaId = await db.Areas.Where(a => a.Code == i.AreaCode).Select(a => (int?)a.Id).FirstOrDefaultAsync(ct);
            if (areaId is null) e["areaCode"] = [Messages.Get("UnknownArea")];
        }
        return (e, areaId);
    }

    private static UnitDto ToDto(Unit u, ReferenceData r) => new(u.Id, u.Code, u.NameZh, u.NameEn, u.Kind, u.UnitType, u.StreetChiefLevel, u.ParentId, u.AreaId,
        u.AreaId is { } a && r.Areas.TryGetValue(a, out var ar) ? ar.Code : null,
        u.Streets?.Split('\n', StringSplitOptions.RemoveEmptyEntries) ?? [], u.ContactPhone, u.Active);
}
