using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityOps.Server.Features.Cases.Calendar;
using CityOps.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CityOps.Tests.Cases;

/// <summary>An administrator enters a year's holidays; deadlines computed afterwards follow it, on both instances.</summary>
public sealed class CalendarAdministrationTests
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    // A year not shipped with the platform: Saturday 8 January declared a working day, Monday 10 January a holiday.
    private const string Year2028 = """
        {"year":2028,"days":[
          {"name":"元旦","date":"2028-01-10","isOffDay":true},
          {"name":"元旦","date":"2028-01-08","isOffDay":false}
        ]}
        """;

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_stored_year_moves_the_next_deadlines_on_both_instances_and_bad_files_change_nothing(string db)
    {
        // Friday 2028-01-07 16:00 (Beijing). Condition 02 of C0106: 4 working hours.
        var time = new FakeTimeProvider(new DateTimeOffset(2028, 1, 7, 16, 0, 0, China).ToUniversalTime());
        await using var first = await CityOpsApp.StartAsync(db, time: time);
        await using var second = await CityOpsApp.StartAsync(db, time: time, connection: first.ConnectionString);
        var admin = await first.SignInAsync("admin");
        var op = await first.SignInAsync("operator");

        // Without 2028 data: Friday 16:00–18:00, then Monday 08:30–10:30.
        var before = await RegisterAsync(first, op);
        Assert.Equal(new DateTimeOffset(2028, 1, 10, 10, 30, 0, China), before);
        Assert.DoesNotContain(await YearsAsync(admin), y => y!["year"]!.GetValue<int>() == 2028);

        // Bad files: each refused naming the file, nothing stored, the calendar unchanged.
        var bad = new Dictionary<string, string>
        {
            ["not JSON"] = "{\"year\":2028,",
            ["another year"] = Year2028.Replace("\"year\":2028", "\"year\":2029", StringComparison.Ordinal),
            ["a working Tuesday"] = Year2028.Replace("2028-01-08", "2028-01-11", StringComparison.Ordinal),
            ["a day of 2027"] = Year2028.Replace("2028-01-10", "2027-12-31", StringComparison.Ordinal),
            ["a date twice"] = Year2028.Replace("2028-01-08\",\"isOffDay\":false", "2028-01-10\",\"isOffDay\":true", StringComparison.Ordinal),
            ["no days"] = "{\"year\":2028,\"days\":[]}",
            ["a day without isOffDay"] = "{\"year\":2028,\"days\":[{\"date\":\"2028-01-10\"}]}",
            ["too large"] = "{\"year\":2028,\"days\":[],\"pad\":\"" + new string('x', CalendarEndpoints.MaxFileBytes) + "\"}",
        };
        foreach (var (name, file) in bad)
        {
            var refused = await admin.PutAsync("/api/admin/calendar/years/2028", new StringContent(file, Encoding.UTF8, "application/json"));
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)refused.StatusCode}");
            var errors = (await refused.JsonAsync())["errors"]!["file"]!.AsArray();
            Assert.True(errors.Count > 0 && errors.All(e => !string.IsNullOrWhiteSpace(e!.GetValue<string>())), name);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await op.PutAsync("/api/admin/calendar/years/2028", new StringContent(Year2028, Encoding.UTF8, "application/json"))).StatusCode);
        Assert.DoesNotContain(await YearsAsync(admin), y => y!["year"]!.GetValue<int>() == 2028);
        Assert.Equal(before, await RegisterAsync(first, op));

        // Stored: Friday 16:00–18:00, then the working Saturday 08:30–10:30.
        var stored = await admin.PutAsync("/api/admin/calendar/years/2028", new StringContent(Year2028, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        var row = await stored.JsonAsync();
        Assert.Equal(("Stored", 1, 1), (row["source"]!.GetValue<string>(), row["holidays"]!.GetValue<int>(), row["workingWeekends"]!.GetValue<int>()));
        Assert.Equal(new DateTimeOffset(2028, 1, 8, 10, 30, 0, China), await RegisterAsync(first, op));
        var days = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/calendar/years/2028"))!;
        Assert.Equal(["2028-01-08:False", "2028-01-10:True"], days.Select(d => $"{d!["date"]!.GetValue<string>()}:{d["isOffDay"]!.GetValue<bool>()}"));

        // The other instance: the same once its refresher has read the table (every minute).
        var op2 = await second.SignInAsync("operator");
        await second.Services.GetRequiredService<CalendarRefresher>().ReloadAsync(default);
        Assert.Equal(new DateTimeOffset(2028, 1, 8, 10, 30, 0, China), await RegisterAsync(second, op2));
        Assert.Contains(await YearsAsync(await second.SignInAsync("admin")), y => y!["year"]!.GetValue<int>() == 2028 && y["source"]!.GetValue<string>() == "Stored");

        // Withdrawn: back to plain weekdays; a second withdrawal finds nothing.
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/admin/calendar/years/2028")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/admin/calendar/years/2028")).StatusCode);
        Assert.Equal(before, await RegisterAsync(first, op));
        // A built-in year cannot be withdrawn, only replaced.
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/admin/calendar/years/2026")).StatusCode);
        Assert.Contains(await YearsAsync(admin), y => y!["year"]!.GetValue<int>() == 2026 && y["source"]!.GetValue<string>() == "BuiltIn");
    }

    private static async Task<DateTimeOffset> RegisterAsync(CityOpsApp app, HttpClient op)
    {
        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        var registered = await op.MustAsync(id, "register", new { condition = "02" });
        return DateTimeOffset.Parse(registered["deadline"]!["dueAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
    }

    private static async Task<JsonArray> YearsAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync<JsonObject>("/api/admin/calendar"))!["years"]!.AsArray();
}
