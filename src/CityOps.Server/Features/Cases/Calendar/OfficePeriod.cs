using System.Globalization;

namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>
/// One office period of a working day in local clock time, half-open: 08:30–12:00 counts from
/// 08:30 up to but not including 12:00. <see cref="End"/> may be 24:00.
/// </summary>
public readonly record struct OfficePeriod(TimeSpan Start, TimeSpan End)
{
    public TimeSpan Length => End - Start;

    public override string ToString() => $"{Clock(Start)}-{Clock(End)}";

    /// <summary>Parses "HH:mm-HH:mm" (e.g. "08:30-12:00").</summary>
    public static bool TryParse(string? text, out OfficePeriod period)
    {
        period = default;
        var parts = text?.Split('-', StringSplitOptions.TrimEntries);
        if (parts is not [var a, var b] || !TryClock(a, out var start) || !TryClock(b, out var end) || start >= end)
            return false;
        period = new OfficePeriod(start, end);
        return true;
    }

    /// <summary>
    /// Parses a day's periods; they must be well-formed, ascending and non-overlapping (touching is
    /// fine), and there must be at least one, or no day would ever count.
    /// </summary>
    public static IReadOnlyList<OfficePeriod> ParseAll(IEnumerable<string> texts, ICollection<string> errors)
    {
        var periods = new List<OfficePeriod>();
        foreach (var text in texts)
        {
            if (!TryParse(text, out var p))
                errors.Add($"Office period '{text}' is not HH:mm-HH:mm with start before end within one day.");
            else if (periods.Count > 0 && p.Start < periods[^1].End)
                errors.Add($"Office period '{text}' overlaps or precedes '{periods[^1]}'; list periods in order.");
            else
                periods.Add(p);
        }
        if (periods.Count == 0 && errors.Count == 0) errors.Add("At least one office period is required.");
        return periods;
    }

    /// <summary><see cref="ParseAll(IEnumerable{string}, ICollection{string})"/>, throwing on the first problem.</summary>
    public static IReadOnlyList<OfficePeriod> ParseAll(IEnumerable<string> texts)
    {
        var errors = new List<string>();
        var periods = ParseAll(texts, errors);
        return errors.Count == 0 ? periods : throw new FormatException(string.Join(" ", errors));
    }

    private static bool TryClock(string text, out TimeSpan clock)
    {
        clock = default;
        var hm = text.Split(':');
        if (hm is not [var h, var m] || h.Length is < 1 or > 2 || m.Length != 2
            || !int.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            || !int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            || minutes > 59 || hours * 60 + minutes > 24 * 60)
            return false;
        clock = new TimeSpan(hours, minutes, 0);
        return true;
    }

    private static string Clock(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}");
}
