using System.Globalization;
using System.Text.RegularExpressions;

namespace CityOps.Server.Features.Evaluation;

public enum Granularity
{
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// <summary>
/// A period of local calendar days, first to last inclusive, and the UTC instants that bound it
/// ([From, To)). A year is "2026", a quarter "2026-Q3", a month "2026-11", an ISO week "2026-W48",
/// a day "2026-11-25"; a custom period is two dates.
/// </summary>
public sealed partial record Period(string Label, DateOnly First, DateOnly Last, DateTimeOffset From, DateTimeOffset To)
{
    public const int MaxYears = 20;

    public static Period Of(DateOnly first, DateOnly last, TimeZoneInfo zone, string? label = null)
    {
        DateTimeOffset Start(DateOnly d)
        {
            var local = d.ToDateTime(TimeOnly.MinValue);
            return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
        }
        return new(label ?? $"{first:yyyy-MM-dd}~{last:yyyy-MM-dd}", first, last, Start(first), Start(last.AddDays(1)));
    }

    /// <summary>Reads <c>period</c>, or else <c>from</c> and <c>to</c>; on failure says why (a resource key and its field).</summary>
    public static bool TryParse(string? period, string? from, string? to, TimeZoneInfo zone, out Period result, out (string Field, string Key) error)
    {
        result = null!;
        error = default;
        if (!string.IsNullOrWhiteSpace(period))
        {
            if (from is not null || to is not null) { error = ("period", "PeriodEitherOr"); return false; }
            if (!TryNamed(period.Trim(), out var first, out var last)) { error = ("period", "PeriodInvalid"); return false; }
            result = Of(first, last, zone, period.Trim());
            return true;
        }
        if (from is null || to is null) { error = (from is null ? "from" : "to", "PeriodRequired"); return false; }
        if (!DateOnly.TryParseExact(from, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var f)) { error = ("from", "DayInvalid"); return false; }
        if (!DateOnly.TryParseExact(to, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)) { error = ("to", "DayInvalid"); return false; }
        if (t < f) { error = ("to", "PeriodReversed"); return false; }
        if (t.DayNumber - f.DayNumber > MaxYears * 366) { error = ("to", "PeriodTooLong"); return false; }
        result = Of(f, t, zone);
        return true;
    }

    /// <summary>The period of the given granularity that contains <paramref name="day"/>.</summary>
    public static Period Containing(DateOnly day, Granularity g, TimeZoneInfo zone)
    {
        var (first, label) = g switch
        {
            Granularity.Day => (day, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            Granularity.Week => (day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
                $"{ISOWeek.GetYear(day.ToDateTime(TimeOnly.MinValue))}-W{ISOWeek.GetWeekOfYear(day.ToDateTime(TimeOnly.MinValue)):00}"),
            Granularity.Month => (new DateOnly(day.Year, day.Month, 1), $"{day.Year}-{day.Month:00}"),
            Granularity.Quarter => (new DateOnly(day.Year, (day.Month - 1) / 3 * 3 + 1, 1), $"{day.Year}-Q{(day.Month - 1) / 3 + 1}"),
            _ => (new DateOnly(day.Year, 1, 1), day.Year.ToString(CultureInfo.InvariantCulture)),
        };
        var next = g switch
        {
            Granularity.Day => first.AddDays(1),
            Granularity.Week => first.AddDays(7),
            Granularity.Month => first.AddMonths(1),
            Granularity.Quarter => first.AddMonths(3),
            _ => first.AddYears(1),
        };
        return Of(first, next.AddDays(-1), zone, label);
    }

    private static bool TryNamed(string s, out DateOnly first, out DateOnly last)
    {
        (first, last) = (default, default);
        var m = Named().Match(s);
        if (!m.Success) return false;
        var year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
        if (year is < 2000 or > 2100) return false;
        if (m.Groups["q"].Success)
        {
            var q = int.Parse(m.Groups["q"].Value, CultureInfo.InvariantCulture);
            if (q is < 1 or > 4) return false;
            first = new DateOnly(year, q * 3 - 2, 1);
            last = first.AddMonths(3).AddDays(-1);
        }
        else if (m.Groups["w"].Success)
        {
            var w = int.Parse(m.Groups["w"].Value, CultureInfo.InvariantCulture);
            if (w < 1 || w > ISOWeek.GetWeeksInYear(year)) return false;
            first = DateOnly.FromDateTime(ISOWeek.ToDateTime(year, w, DayOfWeek.Monday));
            last = first.AddDays(6);
        }
        else if (m.Groups["m"].Success)
        {
            var month = int.Parse(m.Groups["m"].Value, CultureInfo.InvariantCulture);
            if (month is < 1 or > 12) return false;
            if (m.Groups["d"].Success)
            {
                var day = int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture);
                if (day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
                first = last = new DateOnly(year, month, day);
            }
            else
            {
                first = new DateOnly(year, month, 1);
                last = first.AddMonths(1).AddDays(-1);
            }
        }
        else
        {
            (first, last) = (new DateOnly(year, 1, 1), new DateOnly(year, 12, 31));
        }
        return true;
    }

    // [0-9], not \d: \d also matches other scripts' digits (２０２６), which int.Parse then refuses.
    [GeneratedRegex(@"^(?<y>[0-9]{4})(?:-Q(?<q>[0-9])|-W(?<w>[0-9]{2})|-(?<m>[0-9]{2})(?:-(?<d>[0-9]{2}))?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Named();
}
