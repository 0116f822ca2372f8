using System.Text.Json;

namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>
/// Reads the official holiday files (holiday-cn format): the embedded holidays-cn-YYYY.json
/// resources, then an optional folder whose file for a year replaces the embedded one wholesale,
/// so a corrected year cannot keep stale days from the old file.
/// </summary>
internal static class HolidayData
{
    private const string ResourcePrefix = "holidays-cn-";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record HolidayFile(int? Year, List<HolidayDay>? Days);

    private sealed record HolidayDay(string? Name, DateOnly? Date, bool? IsOffDay);

    /// <summary>Day overrides: true = holiday (no work), false = weekend day declared a working day.</summary>
    public static IReadOnlyDictionary<DateOnly, bool> Load(string? folder)
    {
        var byYear = new SortedDictionary<int, List<HolidayDay>>();
        var assembly = typeof(HolidayData).Assembly;
        // Every embedded year is picked up, so adding a seed file is enough to ship a new year.
        foreach (var name in assembly.GetManifestResourceNames()
                     .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            Add(byYear, stream, name);
        }
        if (!string.IsNullOrWhiteSpace(folder))
        {
            foreach (var path in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
            {
                using var stream = File.OpenRead(path);
                Add(byYear, stream, path);
            }
        }

        var days = new Dictionary<DateOnly, bool>();
        foreach (var list in byYear.Values)
            foreach (var day in list)
                days[day.Date!.Value] = day.IsOffDay!.Value;
        return days;
    }

    private static void Add(SortedDictionary<int, List<HolidayDay>> byYear, Stream stream, string source)
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
        byYear[year] = file.Days;
    }
}
