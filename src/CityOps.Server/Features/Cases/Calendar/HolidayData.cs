using System.Text.Json;
using CityOps.Server.Infrastructure;

namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>Where a year's holidays came from.</summary>
public enum HolidaySource
{
    BuiltIn = 0,
    Folder = 1,
    Stored = 2,
}

/// <summary>
/// Reads the official holiday files (holiday-cn format): the embedded holidays-cn-YYYY.json
/// resources, then an optional folder, then the years stored by administrators; a later source's
/// year replaces an earlier one wholesale, so a corrected year cannot keep stale days from the old file.
/// </summary>
public static class HolidayData
{
    private const string ResourcePrefix = "holidays-cn-";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record HolidayFile(int? Year, List<HolidayDay>? Days);

    /// <summary>One line of a year's file.</summary>
    public sealed record HolidayDay(string? Name, DateOnly? Date, bool? IsOffDay);

    /// <summary>Day overrides (true = holiday, false = weekend day declared a working day) and each year's source.</summary>
    public sealed record Loaded(IReadOnlyDictionary<DateOnly, bool> Days, IReadOnlyDictionary<int, HolidaySource> Years, IReadOnlyDictionary<DateOnly, string> Names);

    /// <summary>Day overrides: true = holiday (no work), false = weekend day declared a working day.</summary>
    public static IReadOnlyDictionary<DateOnly, bool> Load(string? folder) => LoadWithSources(folder, []).Days;

    public static Loaded LoadWithSources(string? folder, IReadOnlyList<(int Year, string Json)> stored)
    {
        var byYear = new SortedDictionary<int, (List<HolidayDay> Days, HolidaySource Source)>();
        var assembly = typeof(HolidayData).Assembly;
        // Every embedded year is picked up, so adding a seed file is enough to ship a new year.
        foreach (var name in assembly.GetManifestResourceNames()
                     .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            var (year, days) = Read(stream, name);
            byYear[year] = (days, HolidaySource.BuiltIn);
        }
        if (!string.IsNullOrWhiteSpace(folder))
        {
            foreach (var path in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
            {
                using var stream = File.OpenRead(path);
                var (year, days) = Read(stream, path);
                byYear[year] = (days, HolidaySource.Folder);
            }
        }
        foreach (var (storedYear, json) in stored)
        {
            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
            var (year, days) = Read(stream, $"stored year {storedYear}");
            byYear[year] = (days, HolidaySource.Stored);
        }

        var result = new Dictionary<DateOnly, bool>();
        var names = new Dictionary<DateOnly, string>();
        foreach (var (list, _) in byYear.Values)
            foreach (var day in list)
            {
                result[day.Date!.Value] = day.IsOffDay!.Value;
                if (!string.IsNullOrWhiteSpace(day.Name)) names[day.Date.Value] = day.Name;
            }
        return new Loaded(result, byYear.ToDictionary(y => y.Key, y => y.Value.Source), names);
    }

    /// <summary>
    /// Checks a year's file given by an administrator; returns the problems in the reader's language
    /// (none when it may be stored) and, when there are none, the file as it will be stored.
    /// </summary>
    public static (List<string> Problems, int Year, string Normalised) Check(string? json, int expectedYear)
    {
        var problems = new List<string>();
        HolidayFile? file = null;
        try
        {
            file = string.IsNullOrWhiteSpace(json) ? null : JsonSerializer.Deserialize<HolidayFile>(json, Json);
        }
        catch (JsonException)
        {
            problems.Add(Messages.Get("HolidayFileNotJson"));
            return (problems, 0, "");
        }
        if (file?.Year is not { } year || file.Days is null)
        {
            problems.Add(Messages.Get("HolidayFileShape"));
            return (problems, 0, "");
        }
        if (year != expectedYear) problems.Add(Messages.Format("HolidayFileYear", year, expectedYear));
        if (year is < 2000 or > 2100) problems.Add(Messages.Format("HolidayYearRange", year));
        if (file.Days.Count is 0 or > 366) problems.Add(Messages.Get("HolidayFileShape"));
        foreach (var d in file.Days)
        {
            if (d.Date is not { } date || d.IsOffDay is not { } off) { problems.Add(Messages.Get("HolidayFileShape")); break; }
            if (date.Year != year) problems.Add(Messages.Format("HolidayDayOutsideYear", date.ToString("yyyy-MM-dd"), year));
            // A declared working day is a Saturday or Sunday made a working day; on a weekday it would mean nothing.
            else if (!off && date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)) problems.Add(Messages.Format("HolidayWorkingWeekday", date.ToString("yyyy-MM-dd")));
            if (d.Name is { Length: > 50 }) problems.Add(Messages.Format("HolidayNameTooLong", date.ToString("yyyy-MM-dd")));
        }
        var duplicates = file.Days.Where(d => d.Date is not null).GroupBy(d => d.Date).Where(g => g.Count() > 1).Select(g => g.Key!.Value.ToString("yyyy-MM-dd")).ToList();
        if (duplicates.Count > 0) problems.Add(Messages.Format("HolidayDuplicateDays", string.Join(", ", duplicates)));
        if (problems.Count > 0) return (problems.Distinct().ToList(), year, "");
        var normalised = JsonSerializer.Serialize(new HolidayFile(year, file.Days.OrderBy(d => d.Date).Select(d => d with { Name = d.Name?.Trim() }).ToList()), Json);
        return (problems, year, normalised);
    }

    private static (int Year, List<HolidayDay> Days) Read(Stream stream, string source)
    {
        HolidayFile? file;
        try
        {
            file = JsonSerializer.Deserialize<HolidayFile>(stream, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Holiday file {source} is not valid JSON: {e.Message}", e);
        }
        // A missing isOffDay must not quietly default to "working", so every field is required.
        if (file?.Year is not { } year || file.Days is null || file.Days.Any(d => d.Date is null || d.IsOffDay is null))
            throw new InvalidDataException($"Holiday file {source} needs a year and days with date and isOffDay.");
        return (year, file.Days);
    }
}
