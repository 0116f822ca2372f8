using System.Globalization;
using System.Text.Json;
using CityOps.Server.Features.Cases.Calendar;
using CityOps.Server.Features.Categories;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityOps.Tests.Cases;

/// <summary>
/// The business calendar against the official holiday data. Expected deadlines are worked out by
/// hand in the comments (office hours 08:30–12:00 and 14:30–18:00, 7 h a day), then the fast
/// implementation is checked against a minute-stepping reference on random inputs.
/// </summary>
public sealed class WorkCalendarTests
{
    private const TimeLimitUnit Emergency = TimeLimitUnit.EmergencyHours;
    private const TimeLimitUnit Hours = TimeLimitUnit.WorkingHours;
    private const TimeLimitUnit Days = TimeLimitUnit.WorkingDays;
    private static readonly TimeSpan Cst = TimeSpan.FromHours(8);
    private static readonly WorkCalendar Calendar = WorkCalendar.Load(new CalendarOptions());
    private static readonly Naive Reference = new();

    private static DateTimeOffset At(string local) =>
        DateTimeOffset.ParseExact(local + " +08:00", "yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);

    private static DateOnly Day(string date) => DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Theory]
    // 2026 Spring Festival: Sat 14 Feb worked, 15–23 Feb off, Sat 28 Feb worked.
    [InlineData("2026-02-13", true), InlineData("2026-02-14", true), InlineData("2026-02-15", false), InlineData("2026-02-16", false)]
    [InlineData("2026-02-23", false), InlineData("2026-02-24", true), InlineData("2026-02-21", false), InlineData("2026-02-28", true), InlineData("2026-03-01", false)]
    // 2026 National Day: Sun 20 Sep worked, Fri 25 Sep (Mid-Autumn) off, 1–7 Oct off, Sat 10 Oct worked.
    [InlineData("2026-09-20", true), InlineData("2026-09-25", false), InlineData("2026-10-01", false), InlineData("2026-10-07", false)]
    [InlineData("2026-10-08", true), InlineData("2026-10-10", true), InlineData("2026-10-11", false)]
    // 2025: Sun 26 Jan worked, 28 Jan–4 Feb off, Sat 8 Feb worked; Sun 28 Sep worked, 1–8 Oct off, Sat 11 Oct worked.
    [InlineData("2025-01-26", true), InlineData("2025-01-27", true), InlineData("2025-01-28", false), InlineData("2025-02-04", false)]
    [InlineData("2025-02-05", true), InlineData("2025-02-08", true), InlineData("2025-09-28", true), InlineData("2025-10-08", false)]
    [InlineData("2025-10-09", true), InlineData("2025-10-11", true), InlineData("2025-10-12", false)]
    // 2027 is not published yet, and 2030 lies beyond the precomputed table: weekends only.
    [InlineData("2027-01-04", true), InlineData("2027-01-02", false), InlineData("2030-01-05", false), InlineData("2030-01-07", true)]
    public void Working_days_follow_the_official_notices(string date, bool working) =>
        Assert.Equal(working, Calendar.IsWorkingDay(Day(date)));

    [Theory]
    [InlineData("2026-02-13 16:00", 4d, "2026-02-14 10:30")]  // Fri 16–18 = 2 h; working Sat 14th 08:30–10:30 = 2 h
    [InlineData("2026-02-14 17:00", 2d, "2026-02-24 09:30")]  // Sat 17–18 = 1 h; 15th–23rd off; Tue 24th 08:30–09:30
    [InlineData("2026-02-12 09:00", 21d, "2026-02-24 09:00")] // Thu 3 + 3.5 = 6.5; Fri 7 → 13.5; Sat 14th 7 → 20.5; Tue 24th 0.5
    [InlineData("2026-02-27 17:00", 1.5, "2026-02-28 09:00")] // Fri 17–18 = 1 h; working Sat 28th 08:30–09:00
    [InlineData("2026-03-02 10:00", 2d, "2026-03-02 12:00")]  // Mon 10–12 ends at the period's end and stays there
    [InlineData("2026-03-02 08:30", 3.5, "2026-03-02 12:00")] // the whole morning
    [InlineData("2026-03-02 08:30", 7d, "2026-03-02 18:00")]  // a whole day ends at 18:00, not at Tue 08:30
    [InlineData("2026-03-02 11:00", 2d, "2026-03-02 15:30")]  // 11–12 = 1 h; lunch break; 14:30–15:30
    [InlineData("2026-03-02 12:40", 1d, "2026-03-02 15:30")]  // starts in the lunch break: counting begins 14:30
    [InlineData("2026-03-02 12:00", 0.5, "2026-03-02 15:00")] // 12:00 sharp is already outside (periods are half-open)
    [InlineData("2026-03-02 07:00", 1d, "2026-03-02 09:30")]  // before office hours: from 08:30
    [InlineData("2026-03-02 20:00", 1d, "2026-03-03 09:30")]  // after office hours: from Tue 08:30
    [InlineData("2026-03-02 09:00", 0.25, "2026-03-02 09:15")]
    [InlineData("2026-03-06 17:30", 1d, "2026-03-09 09:00")]  // Fri 17:30–18 = 0.5 h; ordinary weekend; Mon 08:30–09:00
    [InlineData("2026-03-07 10:00", 1d, "2026-03-09 09:30")]  // an ordinary Saturday is off
    [InlineData("2026-03-09 10:00", -2d, "2026-03-06 17:30")] // back: Mon 08:30–10:00 = 1.5 h, Fri 17:30–18:00 = 0.5 h
    [InlineData("2026-09-18 17:00", 3d, "2026-09-20 10:30")]  // Fri 1 h; Sat 19th off; working Sun 20th 08:30–10:30
    [InlineData("2026-09-30 17:00", 2d, "2026-10-08 09:30")]  // Wed 1 h; 1–7 Oct off; Thu 8th 08:30–09:30
    [InlineData("2026-10-09 16:00", 4d, "2026-10-10 10:30")]  // Fri 2 h; working Sat 10th 08:30–10:30
    [InlineData("2025-01-27 16:00", 4d, "2025-02-05 10:30")]  // Mon 2 h; 28 Jan–4 Feb off; Wed 5th 08:30–10:30
    [InlineData("2025-01-24 17:00", 1.5, "2025-01-26 09:00")] // Fri 1 h; Sat 25th off; working Sun 26th 08:30–09:00
    [InlineData("2025-09-30 14:00", 8d, "2025-10-09 15:30")]  // Tue 14:30–18 = 3.5; 1–8 Oct off; Thu 9th morning 3.5, 14:30–15:30
    [InlineData("2025-10-10 17:00", 2d, "2025-10-11 09:30")]  // Fri 1 h; working Sat 11th 08:30–09:30
    public void Working_hours_count_only_office_hours_of_working_days(string start, double hours, string expected) =>
        Assert.Equal(At(expected), Calendar.Add(At(start), hours, Hours));

    [Theory]
    // Rule: a = the next working instant (start itself inside office hours); deadline = a's clock
    // time on the N-th working day after a's day.
    [InlineData("2026-02-13 10:00", 3d, "2026-02-25 10:00")]  // Sat 14th (1), Tue 24th (2), Wed 25th (3)
    [InlineData("2026-02-13 17:59", 1d, "2026-02-14 17:59")]  // same clock time on the working Saturday
    [InlineData("2026-02-14 18:00", 1d, "2026-02-25 08:30")]  // 18:00 is outside: a = Tue 24th 08:30, +1 = Wed 25th
    [InlineData("2026-09-30 10:00", 3d, "2026-10-10 10:00")]  // Thu 8 Oct (1), Fri 9th (2), working Sat 10th (3)
    [InlineData("2026-09-24 15:00", 1d, "2026-09-28 15:00")]  // Fri 25th Mid-Autumn and the weekend off; Mon 28th
    [InlineData("2025-01-24 10:00", 3d, "2025-02-05 10:00")]  // Sun 26th (1), Mon 27th (2), Wed 5 Feb (3)
    [InlineData("2025-02-07 10:00", 1d, "2025-02-08 10:00")]  // Fri → working Sat 8th
    [InlineData("2025-09-27 11:00", 1d, "2025-09-29 08:30")]  // ordinary Sat: a = working Sun 28th 08:30, +1 = Mon 29th
    [InlineData("2025-09-30 09:00", 2d, "2025-10-10 09:00")]  // 1–8 Oct off; Thu 9th (1), Fri 10th (2)
    [InlineData("2026-03-03 19:00", 1d, "2026-03-05 08:30")]  // after hours: a = Wed 08:30, +1 = Thu 08:30
    [InlineData("2026-03-03 12:30", 1d, "2026-03-04 14:30")]  // lunch break: a = Tue 14:30, +1 = Wed 14:30
    [InlineData("2026-03-02 12:00", 1d, "2026-03-03 14:30")]  // 12:00 sharp is outside: a = Mon 14:30
    [InlineData("2026-03-06 18:00", 1d, "2026-03-10 08:30")]  // Fri 18:00: a = Mon 08:30, +1 = Tue 08:30
    [InlineData("2026-03-02 10:00", 1.5, "2026-03-03 16:00")] // Tue 10:00, then half of 7 h: 10–12 and 14:30–16:00
    [InlineData("2026-03-07 10:00", 0d, "2026-03-07 10:00")]  // zero is the start itself
    public void Working_days_keep_the_clock_time_from_the_next_working_instant(string start, double days, string expected) =>
        Assert.Equal(At(expected), Calendar.Add(At(start), days, Days));

    [Fact]
    public void Emergency_hours_ignore_the_calendar_and_elapsed_time_matches_limits()
    {
        Assert.Equal(At("2026-02-14 22:00"), Calendar.Add(At("2026-02-13 16:00"), 30, Emergency));
        Assert.Equal(At("2026-10-05 00:00"), Calendar.Add(At("2026-09-30 20:00"), 100, Emergency)); // 4 h to midnight + 96 h
        Assert.Equal(TimeSpan.FromHours(30), Calendar.Elapsed(At("2026-02-13 16:00"), At("2026-02-14 22:00"), Emergency));
        // Fri 16–18 = 2 h, working Sat 14th 7 h, Tue 24th 08:30–09:30 = 1 h.
        Assert.Equal(TimeSpan.FromHours(10), Calendar.Elapsed(At("2026-02-13 16:00"), At("2026-02-24 09:30"), Hours));
        Assert.Equal(TimeSpan.FromHours(-10), Calendar.Elapsed(At("2026-02-24 09:30"), At("2026-02-13 16:00"), Days));
        Assert.Equal(TimeSpan.Zero, Calendar.Elapsed(At("2026-02-21 10:00"), At("2026-02-22 17:00"), Hours));
        // Fri 13th 10:00 → Wed 25th 10:00: 5.5 + 7 + 7 + 1.5 = 21 h = three days of 7 h.
        Assert.Equal(TimeSpan.FromHours(21), Calendar.Elapsed(At("2026-02-13 10:00"), At("2026-02-25 10:00"), Days));
        Assert.Equal(TimeSpan.FromHours(21), Calendar.LimitDuration(3, Days));
        Assert.Equal(TimeSpan.FromHours(2.5), Calendar.LimitDuration(2.5, Hours));
        Assert.Equal(TimeSpan.FromHours(2.5), Calendar.LimitDuration(2.5, Emergency));
        Assert.Equal(TimeSpan.FromHours(7), Calendar.DailyOfficeTime);
        Assert.Equal(At("2026-02-24 08:30"), Calendar.NextWorkingInstant(At("2026-02-14 18:00")));
        Assert.Equal(At("2026-02-14 11:59"), Calendar.NextWorkingInstant(At("2026-02-14 11:59")));
        Assert.Throws<ArgumentOutOfRangeException>(() => Calendar.Add(At("2026-03-02 10:00"), -1, Days));
        Assert.Throws<ArgumentOutOfRangeException>(() => Calendar.Add(At("2026-03-02 10:00"), double.NaN, Hours));
    }

    [Fact]
    public void Instants_in_any_offset_are_read_in_the_calendar_zone_and_keep_their_offset()
    {
        var utcStart = new DateTimeOffset(2026, 2, 13, 8, 0, 0, TimeSpan.Zero); // Fri 16:00 in Shanghai
        var due = Calendar.Add(utcStart, 4, Hours);
        Assert.Equal(At("2026-02-14 10:30"), due);
        Assert.Equal(TimeSpan.Zero, due.Offset);

        // Berlin moves to summer time on Sun 29 Mar 2026, outside office hours: Fri 17–18 = 1 h, Mon 08:30–09:30.
        var berlin = new WorkCalendar(OfficePeriod.ParseAll(CalendarOptions.DefaultOfficeHours),
            TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), new Dictionary<DateOnly, bool>());
        var friday = new DateTimeOffset(2026, 3, 27, 17, 0, 0, TimeSpan.FromHours(1));
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 9, 30, 0, TimeSpan.FromHours(2)), berlin.Add(friday, 2, Hours));
        Assert.Equal(TimeSpan.FromHours(63.5), berlin.Add(friday, 2, Hours) - friday); // the night lost an hour
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 17, 0, 0, TimeSpan.FromHours(2)), berlin.Add(friday, 2, Days));
    }

    [Fact]
    public void Elapsed_round_trips_with_add_and_add_is_monotonic()
    {
        var random = new Random(20250101);
        var from = At("2025-01-01 00:00");
        for (var i = 0; i < 5000; i++)
        {
            var start = from.AddTicks(random.NextInt64(0, 730 * TimeSpan.TicksPerDay));
            var hours = random.NextDouble() * 100;
            Assert.Equal((long)Math.Round(hours * TimeSpan.TicksPerHour), Calendar.Elapsed(start, Calendar.Add(start, hours, Hours), Hours).Ticks);

            var days = random.Next(1, 15);
            var due = Calendar.Add(start, days, Days);
            Assert.Equal(Calendar.LimitDuration(days, Days), Calendar.Elapsed(start, due, Days));
            Assert.True(Calendar.IsWorkingDay(DateOnly.FromDateTime(due.ToOffset(Cst).DateTime)));
            Assert.Equal(Calendar.NextWorkingInstant(start).ToOffset(Cst).TimeOfDay, due.ToOffset(Cst).TimeOfDay);

            var values = Enumerable.Range(0, 8).Select(_ => random.NextDouble() * 50).Order().ToArray();
            var deadlines = values.Select(v => Calendar.Add(start, v, Hours)).ToArray();
            Assert.Equal(deadlines.Order(), deadlines);
            Assert.True(deadlines[0] >= start);
            Assert.True(Calendar.Add(start.AddMinutes(random.Next(1, 600)), values[0], Hours) >= deadlines[0]);
        }
    }

    [Theory]
    [InlineData("2025-01-01 00:00", 730, 1)] // the official data
    [InlineData("2021-06-01 00:00", 730, 2)] // before the precomputed table (2023–2028) and into it
    [InlineData("2028-06-01 00:00", 730, 3)] // out of the table's end
    public void Add_and_elapsed_agree_with_minute_stepping(string from, int spanDays, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 2500; i++)
        {
            var start = At(from).AddMinutes(random.Next(0, spanDays * 1440));
            var minutes = random.Next(1, 40 * 60);
            Assert.Equal(Reference.Add(start, minutes), Calendar.Add(start, minutes / 60.0, Hours));
            var end = start.AddMinutes(random.Next(-3 * 1440, 12 * 1440));
            Assert.Equal(TimeSpan.FromMinutes(Reference.Elapsed(start, end)), Calendar.Elapsed(start, end, Hours));
        }
    }

    [Fact]
    public void A_holidays_folder_adds_years_and_replaces_embedded_ones()
    {
        var folder = Directory.CreateTempSubdirectory("holidays-").FullName;
        try
        {
            // 2028-03-15 is a Wednesday, 2028-03-18 a Saturday; any *.json name in the format is read.
            File.WriteAllText(Path.Combine(folder, "2028.json"), """
                {"year":2028,"papers":[],"days":[{"name":"测试","date":"2028-03-15","isOffDay":true},
                                                 {"name":"测试","date":"2028-03-18","isOffDay":false}]}
                """);
            // An empty 2026 replaces the embedded 2026: its Spring Festival is gone.
            File.WriteAllText(Path.Combine(folder, "holidays-cn-2026.json"), """{"year":2026,"papers":[],"days":[]}""");
            var calendar = WorkCalendar.Load(new CalendarOptions { HolidaysFolder = folder });

            Assert.False(calendar.IsWorkingDay(Day("2028-03-15")));
            Assert.True(calendar.IsWorkingDay(Day("2028-03-18")));
            Assert.True(Calendar.IsWorkingDay(Day("2028-03-15")));
            // Tue 17–18 = 1 h; Wed off; Thu 08:30–09:30.
            Assert.Equal(At("2028-03-16 09:30"), calendar.Add(At("2028-03-14 17:00"), 2, Hours));
            Assert.True(calendar.IsWorkingDay(Day("2026-02-16")));
            Assert.False(calendar.IsWorkingDay(Day("2026-02-14")));
            Assert.False(calendar.IsWorkingDay(Day("2025-01-28"))); // embedded 2025 untouched

            File.WriteAllText(Path.Combine(folder, "broken.json"), """{"year":2029,"days":[{"date":"2029-01-01"}]}""");
            Assert.Throws<InvalidDataException>(() => WorkCalendar.Load(new CalendarOptions { HolidaysFolder = folder }));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "08:30-12:00", "11:00-13:00" }, 0.8, "Asia/Shanghai")] // overlapping
    [InlineData(new[] { "14:30-18:00", "08:30-12:00" }, 0.8, "Asia/Shanghai")] // not ascending
    [InlineData(new[] { "08:30-08:00" }, 0.8, "Asia/Shanghai")]
    [InlineData(new[] { "23:00-25:00" }, 0.8, "Asia/Shanghai")]
    [InlineData(new[] { "8.30-12" }, 0.8, "Asia/Shanghai")]
    [InlineData(new[] { "08:30-12:00" }, 0, "Asia/Shanghai")]
    [InlineData(new[] { "08:30-12:00" }, 1, "Asia/Shanghai")]
    [InlineData(new[] { "08:30-12:00" }, double.NaN, "Asia/Shanghai")]
    [InlineData(new[] { "08:30-12:00" }, 0.8, "Mars/Olympus_Mons")]
    public void Bad_options_are_refused(string[] officeHours, double warningShare, string zone)
    {
        var options = new CalendarOptions { OfficeHours = [.. officeHours], WarningShare = warningShare, TimeZone = zone };
        Assert.True(new CalendarOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void Configured_office_hours_replace_the_default_and_bad_configuration_fails()
    {
        Assert.True(new CalendarOptionsValidator().Validate(null, new CalendarOptions()).Succeeded);
        Assert.True(new CalendarOptionsValidator().Validate(null, new CalendarOptions { OfficeHours = ["00:00-24:00"] }).Succeeded);
        using var app = Build(new() { ["CityOps:Calendar:OfficeHours:0"] = "09:00-17:00" });
        Assert.Equal(TimeSpan.FromHours(8), app.Services.GetRequiredService<CalendarSource>().Current.DailyOfficeTime);
        using var bad = Build(new() { ["CityOps:Calendar:WarningShare"] = "1.5", ["CityOps:Calendar:HolidaysFolder"] = "no-such-folder" });
        var error = Assert.Throws<OptionsValidationException>(() => bad.Services.GetRequiredService<IOptions<CalendarOptions>>().Value);
        Assert.Equal(2, error.Failures.Count());

        static WebApplication Build(Dictionary<string, string?> settings)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Configuration.AddInMemoryCollection(settings);
            builder.AddWorkCalendar();
            return builder.Build();
        }
    }

    /// <summary>Steps minute by minute through local Shanghai time with its own reading of the data.</summary>
    private sealed class Naive
    {
        private readonly Dictionary<DateOnly, bool> _declared = [];

        public Naive()
        {
            foreach (var year in new[] { 2024, 2025, 2026, 2027 })
            {
                using var stream = typeof(WorkCalendar).Assembly.GetManifestResourceStream($"holidays-cn-{year}.json")!;
                using var json = JsonDocument.Parse(stream);
                foreach (var day in json.RootElement.GetProperty("days").EnumerateArray())
                    _declared[Day(day.GetProperty("date").GetString()!)] = !day.GetProperty("isOffDay").GetBoolean();
            }
        }

        public DateTimeOffset Add(DateTimeOffset start, int minutes)
        {
            for (var m = Minute(start); ; m++)
                if (Worked(m) && --minutes == 0) return new DateTimeOffset((m + 1) * TimeSpan.TicksPerMinute, Cst);
        }

        public int Elapsed(DateTimeOffset from, DateTimeOffset to)
        {
            var (a, b, sign) = from <= to ? (Minute(from), Minute(to), 1) : (Minute(to), Minute(from), -1);
            var count = 0;
            for (var m = a; m < b; m++) count += Worked(m) ? 1 : 0;
            return sign * count;
        }

        private static long Minute(DateTimeOffset t) => t.ToOffset(Cst).Ticks / TimeSpan.TicksPerMinute;

        // Minute m of local time is worked when it lies in 08:30–12:00 or 14:30–18:00 of a working day.
        private bool Worked(long m)
        {
            var minute = m % 1440;
            if (minute is not (>= 510 and < 720 or >= 870 and < 1080)) return false;
            var day = DateOnly.FromDayNumber((int)(m / 1440));
            return _declared.TryGetValue(day, out var working) ? working : day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);
        }
    }
}
