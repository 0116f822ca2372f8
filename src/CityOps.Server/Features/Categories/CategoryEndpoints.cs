using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Categories;

/// <summary>The catalogue: read by staff, edited by administrators.</summary>
public static class CategoryEndpoints
{
    public sealed record ConditionDto(string Code, string DescriptionZh, string DescriptionEn, int TimeLimit, TimeLimitUnit TimeLimitUnit, string ClosingZh, string ClosingEn);
    public sealed record CategoryDto(int Id, string ServiceCode, CategoryKind Kind, string MajorCode, string MajorNameZh, string MajorNameEn, string Code,
        string NameZh, string NameEn, string Keywords, string? SupervisingBody, string? ResponsibleBody, string? LegalBasis, string UnitType,
        bool AutoDispatch, bool StorefrontDuty, bool Active, IReadOnlyList<ConditionDto> Conditions);
    public sealed record CategoryInput(CategoryKind Kind, string MajorCode, string Code, string NameZh, string NameEn, string? Keywords,
        string? SupervisingBody, string? ResponsibleBody, string? LegalBasis, string? UnitType, bool AutoDispatch, bool StorefrontDuty, bool Active,
        List<ConditionDto> Conditions);

    public static void MapCategories(this WebApplication app)
    {
        app.MapGet("/api/categories", ListAsync).WithTags("Reference data").RequireAuthorization(Policies.Staff);
        var admin = app.MapGroup("/api/admin/categories").WithTags("Administration").RequireAuthorization(Policies.Admin);
        admin.MapPost("/", CreateAsync);
        admin.MapPut("/{serviceCode}", UpdateAsync);
    }

    private static async Task<Ok<List<CategoryDto>>> ListAsync(ReferenceDataCache cache, string? q, CancellationToken ct)
    {
        var r = await cache.GetAsync(ct);
        var rows = r.Categories.Values.Where(c => string.IsNullOrWhiteSpace(q) || c.ServiceCode.Contains(q, StringComparison.OrdinalIgnoreCase)
                || c.NameZh.Contains(q, StringComparison.OrdinalIgnoreCase) || c.NameEn.Contains(q, StringComparison.OrdinalIgnoreCase)
                || c.Keywords.Contains(q, StringComparison.OrdinalIgnoreCase))
            .OrderBy(c => c.ServiceCode, StringComparer.Ordinal).Select(c => ToDto(c, r.Majors[c.MajorId])).ToList();
        return TypedResults.Ok(rows);
    }

    internal static async Task<Results<Created<CategoryDto>, ValidationProblem>> CreateAsync(CategoryInput input, CityOpsDb db, ReferenceDataCache cache, CancellationToken ct)
    {
        var major = await db.CategoryMajors.FirstOrDefaultAsync(m => m.Kind == input.Kind && m.Code == input.MajorCode, ct);
        var errors = Validate(input, major);
        var serviceCode = Category.MakeServiceCode(input.Kind, input.MajorCode ?? "", input.Code ?? "");
        if (await db.Categories.AnyAsync(c => c.ServiceCode == serviceCode, ct)) errors["code"] = [Messages.Get("CodeTaken")];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var c = new Category { MajorId = major!.Id, Kind = input.Kind, Code = input.Code!, ServiceCode = serviceCode, NameZh = input.NameZh, NameEn = input.NameEn };
        Apply(c, input);
        db.Categories.Add(c);
        await db.SaveChangesAsync(ct);
        cache.Invalidate();
        return TypedResults.Created($"/api/categories?q={serviceCode}", ToDto(c, major));
    }

    internal static async Task<Results<Ok<CategoryDto>, NotFound, ValidationProblem>> UpdateAsync(string serviceCode, CategoryInput input, CityOpsDb db, ReferenceDataCache cache, CancellationToken ct)
    {
        var c = await db.Categories.Include(x => x.Conditions).Include(x => x.Major).FirstOrDefaultAsync(x => x.ServiceCode == serviceCode, ct);
        if (c is null) return TypedResults.NotFound();
        var errors = Validate(input with { Kind = c.Kind, MajorCode = c.Major!.Code, Code = c.Code }, c.Major);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        // Conditions already used by cases keep their rows (cases point at them); others are replaced.
        var used = await db.Cases.Where(x => x.CategoryId == c.Id && x.ConditionId != null).Select(x => x.ConditionId!.Value).Distinct().ToListAsync(ct);
        var removed = c.Conditions.Where(k => input.Conditions.All(n => n.Code != k.Code)).ToList();
        if (removed.Any(k => used.Contains(k.Id)))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["conditions"] = [Messages.Get("ConditionInUse")] });
        foreach (var k in removed) c.Conditions.Remove(k);
        Apply(c, input);
        await db.SaveChangesAsync(ct);
        cache.Invalidate();
        return TypedResults.Ok(ToDto(c, c.Major));
    }

    private static void Apply(Category c, CategoryInput i)
    {
        (c.NameZh, c.NameEn, c.Keywords, c.SupervisingBody, c.ResponsibleBody, c.LegalBasis) = (i.NameZh, i.NameEn, i.Keywords ?? "", i.SupervisingBody, i.ResponsibleBody, i.LegalBasis);
        (c.UnitType, c.AutoDispatch, c.StorefrontDuty, c.Active) = (i.UnitType ?? "Territory", i.AutoDispatch, i.StorefrontDuty, i.Active);
        foreach (var d in i.Conditions)
        {
            var k = c.Conditions.FirstOrDefault(x => x.Code == d.Code);
            if (k is null) c.Conditions.Add(k = new RegistrationCondition { Code = d.Code, DescriptionZh = "", DescriptionEn = "", ClosingZh = "", ClosingEn = "" });
            // The English texts are optional (the Chinese ones are shown instead); their columns are not.
            (k.DescriptionZh, k.DescriptionEn, k.TimeLimit, k.TimeLimitUnit, k.ClosingZh, k.ClosingEn) = (d.DescriptionZh, d.DescriptionEn ?? "", d.TimeLimit, d.TimeLimitUnit, d.ClosingZh, d.ClosingEn ?? "");
        }
    }

    private static Dictionary<string, string[]> Validate(CategoryInput i, CategoryMajor? major)
    {
        var e = new Dictionary<string, string[]>();
        if (major is null) e["majorCode"] = [Messages.Get("MajorUnknown")];
        if (i.Code is null || i.Code.Length != 2 || !i.Code.All(char.IsAsciiDigit)) e["code"] = [Messages.Get("CodeTwoDigits")];
        if (string.IsNullOrWhiteSpace(i.NameZh) || i.NameZh.Length > 100) e["nameZh"] = [Messages.Get("NameRequired")];
        if (string.IsNullOrWhiteSpace(i.NameEn) || i.NameEn.Length > 200) e["nameEn"] = [Messages.Get("NameRequired")];
        if (i.Keywords is { Length: > 500 }) e["keywords"] = [Messages.Format("TextTooLong", 500)];
        if (i.UnitType is { Length: > 32 }) e["unitType"] = [Messages.Format("TextTooLong", 32)];
        if (i.Conditions is null || i.Conditions.Count == 0) e["conditions"] = [Messages.Get("ConditionRequired")];
        else if (i.Conditions.Any(k => k is null || k.Code is null || k.Code.Length != 2 || k.TimeLimit <= 0 || k.TimeLimit > 1000 || !Enum.IsDefined(k.TimeLimitUnit)
                     || string.IsNullOrWhiteSpace(k.DescriptionZh) || string.IsNullOrWhiteSpace(k.ClosingZh)))
            e["conditions"] = [Messages.Get("ConditionInvalid")];
        else if (i.Conditions.Select(k => k.Code).Distinct().Count() != i.Conditions.Count) e["conditions"] = [Messages.Get("ConditionDuplicate")];
        return e;
    }

    private static CategoryDto ToDto(Category c, CategoryMajor m) => new(c.Id, c.ServiceCode, c.Kind, m.Code, m.NameZh, m.NameEn, c.Code, c.NameZh, c.NameEn,
        c.Keywords, c.SupervisingBody, c.ResponsibleBody, c.LegalBasis, c.UnitType, c.AutoDispatch, c.StorefrontDuty, c.Active,
        c.Conditions.OrderBy(k => k.Code, StringComparer.Ordinal).Select(k => new ConditionDto(k.Code, k.DescriptionZh, k.DescriptionEn, k.TimeLimit, k.TimeLimitUnit, k.ClosingZh, k.ClosingEn)).ToList());
}
