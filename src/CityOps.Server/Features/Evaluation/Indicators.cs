namespace CityOps.Server.Features.Evaluation;

/// <summary>
/// A rate: numerator over denominator of one subject's counts. <see cref="LowerIsBetter"/> rates
/// enter a score as (1 − rate), as DOMAIN §6's published formulas do.
/// </summary>
public sealed record Indicator(string Key, Counter Numerator, Func<long[], long> Denominator, string DenominatorText, bool LowerIsBetter, bool ForPeople)
{
    public double? Rate(long[] counts)
    {
        var den = Denominator(counts);
        return den == 0 ? null : (double)counts[(int)Numerator] / den;
    }
}

/// <summary>Every indicator, by key; docs/evaluation.md gives the same table in words.</summary>
public static class Indicators
{
    private static Func<long[], long> C(Counter k) => v => v[(int)k];

    public static readonly IReadOnlyList<Indicator> All =
    [
        new("handlingRate", Counter.Handled, C(Counter.ShouldHandle), "shouldHandle", false, false),
        new("onTimeHandlingRate", Counter.HandledOnTime, C(Counter.ShouldHandle), "shouldHandle", false, false),
        new("reworkRate", Counter.Reworked, C(Counter.ToClose), "toClose", true, false),
        new("overduePendingRate", Counter.OverdueUnhandled, C(Counter.ShouldHandle), "shouldHandle", true, false),
        new("extensionRate", Counter.Extended, C(Counter.ShouldHandle), "shouldHandle", true, false),
        new("suspensionRate", Counter.Suspended, C(Counter.ShouldHandle), "shouldHandle", true, false),
        new("returnRate", Counter.Returned, C(Counter.Dispatched), "dispatched", true, false),
        new("supervisionRate", Counter.Supervised, C(Counter.ShouldHandle), "shouldHandle", true, false),
        new("closingRate", Counter.Closed, C(Counter.ToClose), "toClose", false, false),
        new("onTimeClosingRate", Counter.ClosedOnTime, C(Counter.ToClose), "toClose", false, false),
        new("callbackRate", Counter.CalledBack, C(Counter.Closed), "closed", false, false),
        new("effectiveFeedbackRate", Counter.EffectiveFeedback, C(Counter.CalledBack), "calledBack", false, false),
        new("satisfactionRate", Counter.Satisfied, C(Counter.Rated), "rated", false, false),
        new("registrationOnTimeRate", Counter.RegisteredOnTime, C(Counter.RegisteredBy), "registeredBy", false, true),
        new("registrationAccuracy", Counter.RegisteredAccurate, C(Counter.RegisteredBy), "registeredBy", false, true),
        new("dispatchOnTimeRate", Counter.DispatchedOnTime, C(Counter.DispatchedBy), "dispatchedBy", false, true),
        new("dispatchAccuracy", Counter.DispatchedAccurate, C(Counter.DispatchedBy), "dispatchedBy", false, true),
        new("factCheckOnTimeRate", Counter.FactChecksOnTime, C(Counter.FactChecks), "factChecks", false, true),
        new("verificationOnTimeRate", Counter.VerificationsOnTime, C(Counter.Verifications), "verifications", false, true),
        new("closingStepOnTimeRate", Counter.ClosingStepsOnTime, C(Counter.ClosingSteps), "closingSteps", false, true),
        new("validReportRate", Counter.ValidReports, C(Counter.ReportsFiled), "reportsFiled", false, true),
        new("missedReportRate", Counter.MissedReports, v => v[(int)Counter.ValidReports] + v[(int)Counter.MissedReports], "validReports + missedReports", true, true),
    ];

    public static readonly IReadOnlyDictionary<string, Indicator> ByKey = All.ToDictionary(i => i.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>Mean hours from dispatch to the unit's confirmation, over handled episodes.</summary>
    public static double? AverageHandlingHours(long[] v) =>
        v[(int)Counter.Handled] == 0 ? null : v[(int)Counter.HandlingMinutes] / 60.0 / v[(int)Counter.Handled];
}
