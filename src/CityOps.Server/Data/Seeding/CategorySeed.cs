using System.Text.Json;
using CityOps.Server.Features.Categories;

namespace CityOps.Server.Data.Seeding;

/// <summary>The GB/T 30428.2 catalogue shipped in Features/Categories/Seed/categories.json.</summary>
public static class CategorySeed
{
    public sealed record File(string Source, List<MajorRow> Majors, List<MinorRow> Minors);
    public sealed record MajorRow(CategoryKind Kind, string Code, string NameZh, string NameEn);
    public sealed record MinorRow(
        CategoryKind Kind, string Major, string Code, string NameZh, string NameEn, string Keywords,
        string? SupervisingBodyZh, string? ResponsibleBodyZh, string? LegalBasisZh, string UnitType,
        bool AutoDispatch, bool StorefrontDuty, List<ConditionRow> Conditions);
    public sealed record ConditionRow(string DescriptionZh, string DescriptionEn, int Limit, TimeLimitUnit Unit, string ClosingZh, string ClosingEn);

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public static File Load()
    {
        using var s = EmbeddedData.Open("categories.json");
        return JsonSerializer.Deserialize<File>(s, Options) ?? throw new InvalidOperationException("categories.json is empty.");
    }

    public static (List<CategoryMajor> Majors, List<Category> Categories) Build(File file)
    {
        var majors = file.Majors.Select(m => new CategoryMajor { Kind = m.Kind, Code = m.Code, NameZh = m.NameZh, NameEn = m.NameEn }).ToList();
        var byKey = majors.ToDictionary(m => (m.Kind, m.Code));
        var categories = file.Minors.Select(m => new Category
        {
            Major = byKey[(m.Kind, m.Major)],
            Kind = m.Kind,
            Code = m.Code,
            ServiceCode = Category.MakeServiceCode(m.Kind, m.Major, m.Code),
            NameZh = m.NameZh,
            NameEn = m.NameEn,
            Keywords = m.Keywords,
            SupervisingBody = m.SupervisingBodyZh,
            ResponsibleBody = m.ResponsibleBodyZh,
            LegalBasis = m.LegalBasisZh,
            UnitType = m.UnitType,
            AutoDispatch = m.AutoDispatch,
            StorefrontDuty = m.StorefrontDuty,
            Conditions = m.Conditions.Select((c, i) => new RegistrationCondition
            {
                Code = (i + 1).ToString("00", System.Globalization.CultureInfo.InvariantCulture),
                DescriptionZh = c.DescriptionZh,
                DescriptionEn = c.DescriptionEn,
                TimeLimit = c.Limit,
                TimeLimitUnit = c.Unit,
                ClosingZh = c.ClosingZh,
                ClosingEn = c.ClosingEn,
            }).ToList(),
        }).ToList();
        return (majors, categories);
    }
}
