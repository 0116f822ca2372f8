using System.Text.Json;

namespace CityOps.Server.Features.Evaluation;

/// <summary>
/// An evaluation scheme version. Versions are never edited: a change is a new version that takes
/// effect from a date, so a period is always scored by the scheme that was in force at its start
/// and past results never move.
/// </summary>
public sealed class EvaluationScheme
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public DateOnly EffectiveFrom { get; set; }
    /// <summary>The <see cref="SchemeDefinition"/> as JSON.</summary>
    public required string Definition { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? CreatedBy { get; set; }

    public SchemeDefinition Parse() => JsonSerializer.Deserialize<SchemeDefinition>(Definition, SchemeRules.Json)!;
}

public sealed record WeightedIndicator(string Indicator, double Weight);

public sealed record GradeBand(string Grade, double Min);

/// <summary>Points taken off per counted item (e.g. per case without effective feedback), up to an optional cap.</summary>
public sealed record Deduction(Counter Counter, double Points, double? Cap);

public sealed record SchemeDefinition(IReadOnlyList<WeightedIndicator> Indicators, IReadOnlyList<GradeBand> Grades, IReadOnlyList<Deduction> Deductions);

public sealed record ScorePart(string Indicator, double Weight, double? Rate, double Points);

public sealed record DeductionPart(Counter Counter, long Count, double Points);

/// <summary>A subject's score; null <see cref="Final"/> when it had no case to handle in the period.</summary>
public sealed record Score(double? Base, double Deducted, double? Final, string? Grade, IReadOnlyList<ScorePart> Parts, IReadOnlyList<DeductionPart> Deductions);

/// <summary>Scoring and checking schemes: pure functions of the counts.</summary>
public static class SchemeRules
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>DOMAIN §6: one city's published weights, grades A–E, and year-end deductions.</summary>
    public static readonly SchemeDefinition Default = new(
        [new("handlingRate", 30), new("onTimeHandlingRate", 20), new("reworkRate", 20), new("overduePendingRate", 20), new("extensionRate", 10)],
        [new("A", 90), new("B", 75), new("C", 60), new("D", 40), new("E", 0)],
        [new(Counter.NoEffectiveFeedback, 0.5, 20), new(Counter.SupervisionOrders, 1, 20), new(Counter.Overdue, 0.5, 20)]);

    /// <summary>Counters a deduction may count: things that went wrong with a unit's cases.</summary>
    public static readonly IReadOnlySet<Counter> Deductible = new HashSet<Counter>
        { Counter.NoEffectiveFeedback, Counter.SupervisionOrders, Counter.Overdue, Counter.OverdueUnhandled, Counter.Reworked, Counter.Returned, Counter.Extended, Counter.Suspended };

    public static Score Score(SchemeDefinition s, long[] v)
    {
        var scored = v[(int)Counter.ShouldHandle] > 0;
        var parts = new List<ScorePart>();
        double total = 0;
        foreach (var w in s.Indicators)
        {
            var indicator = Indicators.ByKey[w.Indicator];
            var rate = indicator.Rate(v);
            // Nothing to measure: a "lower is better" rate has nothing against it, a "higher" one nothing for it.
            var value = rate is { } r ? (indicator.LowerIsBetter ? 1 - r : r) : (indicator.LowerIsBetter ? 1 : 0);
            var points = w.Weight * value;
            total += points;
            parts.Add(new(w.Indicator, w.Weight, rate, Round(points)));
        }
        var deductions = new List<DeductionPart>();
        double deducted = 0;
        foreach (var d in s.Deductions)
        {
            var count = v[(int)d.Counter];
            var points = d.Points * count;
            if (d.Cap is { } cap) points = Math.Min(points, cap);
            deducted += points;
            deductions.Add(new(d.Counter, count, Round(points)));
        }
        if (!scored) return new(null, 0, null, null, parts, deductions);
        var final = Round(Math.Max(0, total - deducted));
        return new(Round(total), Round(deducted), final, GradeOf(s, final), parts, deductions);
    }

    public static string GradeOf(SchemeDefinition s, double score) =>
        s.Grades.OrderByDescending(g => g.Min).First(g => score >= g.Min).Grade;

    /// <summary>Checks a scheme; returns (field, resource key) pairs for what is wrong.</summary>
    public static List<(string Field, string Key)> Validate(SchemeDefinition? s)
    {
        var errors = new List<(string, string)>();
        if (s?.Indicators is null || s.Grades is null || s.Deductions is null) { errors.Add(("definition", "SchemeIncomplete")); return errors; }
        if (s.Indicators.Count == 0) errors.Add(("indicators", "SchemeIncomplete"));
        foreach (var w in s.Indicators)
        {
            if (w?.Indicator is null || !Indicators.ByKey.TryGetValue(w.Indicator, out var i) || i.ForPeople) errors.Add(("indicators", "SchemeIndicatorUnknown"));
            else if (!(w.Weight > 0 && w.Weight <= 100)) errors.Add(("indicators", "SchemeWeightInvalid"));
        }
        if (s.Indicators.Where(w => w?.Indicator is not null).GroupBy(w => w.Indicator, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1))
            errors.Add(("indicators", "SchemeIndicatorTwice"));
        if (errors.Count == 0 && Math.Abs(s.Indicators.Sum(w => w.Weight) - 100) > 1e-6) errors.Add(("indicators", "SchemeWeightsNot100"));
        if (s.Grades.Count == 0 || s.Grades.Any(g => g is null || string.IsNullOrWhiteSpace(g.Grade) || g.Grade.Length > 8 || !(g.Min >= 0 && g.Min <= 100))
            || s.Grades.Select(g => g?.Grade).Distinct().Count() != s.Grades.Count || !s.Grades.Any(g => g?.Min == 0)
            || s.Grades.Select(g => g?.Min).Distinct().Count() != s.Grades.Count)
            errors.Add(("grades", "SchemeGradesInvalid"));
        if (s.Deductions.Any(d => d is null || !Deductible.Contains(d.Counter) || !(d.Points >= 0 && d.Points <= 100) || d.Cap is < 0 or > 100 || (d.Cap is { } c && !double.IsFinite(c))))
            errors.Add(("deductions", "SchemeDeductionInvalid"));
        return errors;
    }

    private static double Round(double x) => Math.Round(x, 2, MidpointRounding.AwayFromZero);
}
