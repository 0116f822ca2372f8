using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>The business calendar for administrators: what is in force, and a year's holidays stored or withdrawn.</summary>
public static class CalendarEndpoints
{
    /// <summary>Largest year's file accepted (a real one is about 3 KB).</summary>
    public const int MaxFileBytes = 64 * 1024;

    public sealed record YearRow(int Year, HolidaySource Source, int Holidays, int WorkingWeekends, DateTimeOffset? UpdatedAt, string? UpdatedBy);
    public sealed record CalendarView(IReadOnlyList<string> OfficeHours, string TimeZone, double WarningShare, string? HolidaysFolder, IReadOnlyList<YearRow> Years);
    public sealed record DayRow(DateOnly Date, bool IsOffDay, string? Name);

    public static void MapCalendar(this WebApplication app)
    {
        var g = app.MapGroup("/api/admin/calendar").WithTags("Administration").RequireAuthorization(Policies.Admin);
        g.MapGet("/", GetAsync).WithSummary("Office hours, zone, warning share and every holiday year in force with its source (built-in, folder, stored)");
        g.MapGet("/years/{year:int}", Year).WithSummary("The days of one year in force: holidays (isOffDay true) and declared working weekends (false)");
        g.MapPut("/years/{year:int}", PutAsync).WithSummary("Stores a year's holidays (holiday-cn JSON: {year, days:[{name, date, isOffDay}]}); replaces that year whole, at once here and within a minute on other instances")
            .Accepts<object>("application/json");
        g.MapDelete("/years/{year:int}", DeleteAsync).WithSummary("Withdraws a stored year; the built-in or folder file of that year applies again");
    }

    internal static async Task<Ok<CalendarView>> GetAsync(CityOpsDb db, CalendarSource source, IOptions<CalendarOptions> options, CancellationToken ct)
    {
        var stored = await db.HolidayYears.AsNoTracking().ToDictionaryAsync(y => y.Year, ct);
        var days = source.Days;
        var rows = days.Years.OrderBy(y => y.Key).Select(y =>
        {
            var inYear = days.Days.Where(d => d.Key.Year == y.Key).ToList();
            stored.TryGetValue(y.Key, out var s);
            return new YearRow(y.Key, y.Value, inYear.Count(d => d.Value), inYear.Count(d => !d.Value), s?.UpdatedAt, s?.UpdatedBy);
        }).ToList();
        var o = options.Value;
        return TypedResults.Ok(new CalendarView(o.EffectiveOfficeHours, o.TimeZone, o.WarningShare, o.HolidaysFolder, rows));
    }

    internal static Results<Ok<List<DayRow>>, NotFound> Year(int year, CalendarSource source)
    {
        var days = source.Days;
        if (!days.Years.ContainsKey(year)) return TypedResults.NotFound();
        return TypedResults.Ok(days.Days.Where(d => d.Key.Year == year).OrderBy(d => d.Key)
            .Select(d => new DayRow(d.Key, d.Value, days.Names.GetValueOrDefault(d.Key))).ToList());
    }

    private static async Task<Results<Ok<YearRow>, ValidationProblem>> PutAsync(int year, HttpRequest request, CityOpsDb db, CalendarRefresher refresher,
        CalendarSource source, TimeProvider clock, CancellationToken ct)
    {
        if (request.ContentLength > MaxFileBytes)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [Messages.Format("HolidayFileTooLarge", MaxFileBytes / 1024)] });
        using var reader = new StreamReader(request.Body, System.Text.Encoding.UTF8);
        var buffer = new char[MaxFileBytes + 1];
        var read = await reader.ReadBlockAsync(buffer, ct);
        if (read > MaxFileBytes)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [Messages.Format("HolidayFileTooLarge", MaxFileBytes / 1024)] });
        return await StoreAsync(year, new string(buffer, 0, read), CurrentUser.From(request.HttpContext.User), db, refresher, source, clock, ct);
    }

    /// <summary>Checks and stores a year's file, then rebuilds this instance's calendar. Shared by the API and the administration page.</summary>
    internal static async Task<Results<Ok<YearRow>, ValidationProblem>> StoreAsync(int year, string? json, CurrentUser who, CityOpsDb db, CalendarRefresher refresher,
        CalendarSource source, TimeProvider clock, CancellationToken ct)
    {
        var (problems, _, normalised) = HolidayData.Check(json, year);
        if (problems.Count > 0) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [.. problems] });
        var row = await db.HolidayYears.FirstOrDefaultAsync(y => y.Year == year, ct);
        if (row is null) db.HolidayYears.Add(row = new HolidayYear { Year = year, Json = normalised, UpdatedBy = "" });
        (row.Json, row.UpdatedAt, row.UpdatedBy) = (normalised, clock.GetUtcNow(), who.Name ?? who.Id ?? "");
        await db.SaveChangesAsync(ct);
        await refresher.ReloadAsync(ct);
        var inYear = source.Days.Days.Where(d => d.Key.Year == year).ToList();
        return TypedResults.Ok(new YearRow(year, HolidaySource.Stored, inYear.Count(d => d.Value), inYear.Count(d => !d.Value), row.UpdatedAt, row.UpdatedBy));
    }

    internal static async Task<Results<NoContent, NotFound>> DeleteAsync(int year, CityOpsDb db, CalendarRefresher refresher, CancellationToken ct)
    {
        var deleted = await db.HolidayYears.Where(y => y.Year == year).ExecuteDeleteAsync(ct);
        if (deleted == 0) return TypedResults.NotFound();
        await refresher.ReloadAsync(ct);
        return TypedResults.NoContent();
    }
}
