namespace CityOps.Server.Features.Categories;

/// <summary>Components (部件) are fixed facilities; events (事件) are behaviours and situations.</summary>
public enum CategoryKind
{
    Component = 0,
    Event = 1,
}

public enum TimeLimitUnit
{
    /// <summary>紧急工时: counted round the clock.</summary>
    EmergencyHours = 0,
    /// <summary>工作时: only inside office hours on working days.</summary>
    WorkingHours = 1,
    /// <summary>工作日: whole working days (weekends and holidays excluded, 调休 days included).</summary>
    WorkingDays = 2,
}

/// <summary>A GB/T 30428.2 major class (大类).</summary>
public sealed class CategoryMajor
{
    public int Id { get; set; }
    public CategoryKind Kind { get; set; }
    public required string Code { get; set; }
    public required string NameZh { get; set; }
    public required string NameEn { get; set; }
}

/// <summary>
/// A minor class (小类): what a citizen reports. Its <see cref="ServiceCode"/> is the Open311
/// service_code: C or E, then major and minor codes (e.g. C0114 landscaping manhole cover).
/// </summary>
public sealed class Category
{
    public int Id { get; set; }
    public int MajorId { get; set; }
    public CategoryMajor? Major { get; set; }
    public CategoryKind Kind { get; set; }
    public required string Code { get; set; }
    public required string ServiceCode { get; set; }
    public required string NameZh { get; set; }
    public required string NameEn { get; set; }
    public string Keywords { get; set; } = "";
    public string? SupervisingBody { get; set; }
    public string? ResponsibleBody { get; set; }
    public string? LegalBasis { get; set; }
    /// <summary>Kind of unit that normally handles it (Municipal, Sanitation …); used to seed routing.</summary>
    public string UnitType { get; set; } = "Territory";
    public bool AutoDispatch { get; set; } = true;
    /// <summary>门前三包: routed first to the community street chief.</summary>
    public bool StorefrontDuty { get; set; }
    public bool Active { get; set; } = true;
    public List<RegistrationCondition> Conditions { get; set; } = [];

    public static string MakeServiceCode(CategoryKind kind, string major, string minor) =>
        (kind == CategoryKind.Component ? "C" : "E") + major + minor;
}

/// <summary>立案条件: when a report becomes a case, how long handling may take, and when it may close.</summary>
public sealed class RegistrationCondition
{
    public int Id { get; set; }
    public int CategoryId { get; set; }
    /// <summary>Serial within the category, "01", "02" …</summary>
    public required string Code { get; set; }
    public required string DescriptionZh { get; set; }
    public required string DescriptionEn { get; set; }
    public int TimeLimit { get; set; }
    public TimeLimitUnit TimeLimitUnit { get; set; }
    public required string ClosingZh { get; set; }
    public required string ClosingEn { get; set; }
}
