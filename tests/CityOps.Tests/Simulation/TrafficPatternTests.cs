using CityOps.Server.Features.Simulation;

namespace CityOps.Tests.Simulation;

/// <summary>The arrival generator keeps the configured volume, daily and weekly shape and channel mix (pure, fixed seed).</summary>
public sealed class TrafficPatternTests
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>A Monday, local midnight: samples of whole weeks.</summary>
    private static readonly DateTimeOffset Monday = new(2025, 3, 3, 0, 0, 0, TimeSpan.FromHours(8));

    private static List<Arrival> Sample(int weeks, int seed = 42, double perYear = TrafficFigures.PerYear)
    {
        var pattern = new TrafficPattern(perYear, TrafficFigures.Channels, Zone);
        var end = Monday.AddDays(7 * weeks);
        return pattern.Arrivals(Monday, new Random(seed)).TakeWhile(a => a.At < end).ToList();
    }

    [Fact]
    public void A_year_holds_the_configured_volume()
    {
        var year = Sample(52);
        var expected = TrafficFigures.PerYear * 364 / 365.2425;
        Assert.InRange(year.Count, expected * 0.98, expected * 1.02);
        Assert.True(year.Zip(year.Skip(1)).All(p => p.First.At <= p.Second.At), "arrivals come in time order");
    }

    [Fact]
    public void Mornings_carry_several_times_the_small_hours()
    {
        var arrivals = Sample(12);
        var byHour = new int[24];
        foreach (var a in arrivals) byHour[TimeZoneInfo.ConvertTime(a.At, Zone).Hour]++;
        var morning = byHour[9] + byHour[10];   // 09:00–11:00
        var night = byHour[2] + byHour[3];      // 02:00–04:00
        var afternoon = byHour[15] + byHour[16];
        var lunch = byHour[12] + byHour[13];
        Assert.True(morning >= 8 * night, $"09–11 {morning} against 02–04 {night}");
        Assert.True(afternoon >= 8 * night, $"15–17 {afternoon} against 02–04 {night}");
        Assert.True(morning > 1.3 * lunch && afternoon > 1.3 * lunch, $"two peaks around lunch: {morning} / {lunch} / {afternoon}");
        // The observed ratio matches what the figures say, within sampling noise.
        var pattern = new TrafficPattern(TrafficFigures.PerYear, TrafficFigures.Channels, Zone);
        double Expected(int hour) => Enumerable.Range(0, 7).Sum(d => pattern.Rate(Monday.AddDays(d).AddHours(hour).DateTime));
        var expectedRatio = (Expected(9) + Expected(10)) / (Expected(2) + Expected(3));
        Assert.InRange((double)morning / night, expectedRatio * 0.8, expectedRatio * 1.25);
    }

    [Fact]
    public void Working_days_are_busier_than_weekends()
    {
        var arrivals = Sample(26);
        var days = arrivals.GroupBy(a => TimeZoneInfo.ConvertTime(a.At, Zone).DayOfWeek).ToDictionary(g => g.Key, g => g.Count());
        var weekday = new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }.Average(d => days[d]);
        var weekend = new[] { DayOfWeek.Saturday, DayOfWeek.Sunday }.Average(d => days[d]);
        // Expected from the figures: each channel's rest-day factor against its working day, weighted by its share.
        var work = TrafficFigures.Channels.Sum(c => c.Share * 7 / (5 + 2 * c.Profile.RestDayFactor));
        var rest = TrafficFigures.Channels.Sum(c => c.Share * 7 * c.Profile.RestDayFactor / (5 + 2 * c.Profile.RestDayFactor));
        var ratio = weekday / weekend;
        Assert.True(ratio > 1.3, $"weekday {weekday:0} against weekend {weekend:0}");
        Assert.InRange(ratio, work / rest * 0.95, work / rest * 1.05);
    }

    [Fact]
    public void The_channel_mix_holds_over_a_large_sample()
    {
        var arrivals = Sample(52);
        var counts = arrivals.GroupBy(a => a.Channel).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(15, counts.Count);
        foreach (var c in TrafficFigures.Channels)
        {
            var share = (double)counts[c.Code] / arrivals.Count;
            Assert.True(Math.Abs(share - c.Share) <= Math.Max(0.1 * c.Share, 0.002), $"{c.Code}: {share:P2} against {c.Share:P2}");
        }
        var top = counts.OrderByDescending(kv => kv.Value).Take(2).Select(kv => kv.Key).Order().ToArray();
        Assert.Equal(["hotline12345", "inspector"], top);
    }

    [Fact]
    public void Staff_channels_keep_office_hours_and_devices_do_not()
    {
        var arrivals = Sample(8);
        int At(string channel, Func<int, bool> hours) => arrivals.Count(a => a.Channel == channel && hours(TimeZoneInfo.ConvertTime(a.At, Zone).Hour));
        var inspectorsOffice = At("inspector", h => h is >= 9 and < 12 or >= 15 and < 18);
        var inspectorsNight = At("inspector", h => h is >= 0 and < 6);
        Assert.True(inspectorsOffice > 50 * Math.Max(1, inspectorsNight), $"inspectors: {inspectorsOffice} in office hours, {inspectorsNight} at night");
        var camerasNight = At("camera-ai", h => h is >= 0 and < 6);
        Assert.True(camerasNight > 20, $"cameras at night: {camerasNight}");
    }

    [Fact]
    public void The_same_seed_gives_the_same_city()
    {
        var pattern = new TrafficPattern(TrafficFigures.PerYear, TrafficFigures.Channels, Zone);
        var a = pattern.Arrivals(Monday, new Random(7)).Take(500).ToList();
        var b = pattern.Arrivals(Monday, new Random(7)).Take(500).ToList();
        var c = pattern.Arrivals(Monday, new Random(8)).Take(500).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(Seeds.Mix(7, "case", 12), Seeds.Mix(7, "case", 12));
        Assert.NotEqual(Seeds.Mix(7, "case", 12), Seeds.Mix(7, "case", 13));
    }

    [Fact]
    public void Public_holidays_are_rest_days_and_declared_weekend_days_working_days()
    {
        var nationalDay = new DateOnly(2026, 10, 1);   // a Thursday off
        var workingSunday = new DateOnly(2026, 9, 27); // a Sunday declared a working day
        var pattern = new TrafficPattern(TrafficFigures.PerYear, TrafficFigures.Channels, Zone,
            new Dictionary<DateOnly, bool> { [nationalDay] = true, [workingSunday] = false });
        var tenAm = TimeSpan.FromHours(10);
        Assert.Equal(pattern.Rate(new DateTime(2026, 10, 3).Add(tenAm)), pattern.Rate(nationalDay.ToDateTime(TimeOnly.MinValue).Add(tenAm)), 9);
        Assert.Equal(pattern.Rate(new DateTime(2026, 9, 29).Add(tenAm)), pattern.Rate(workingSunday.ToDateTime(TimeOnly.MinValue).Add(tenAm)), 9);
        Assert.True(pattern.Rate(new DateTime(2026, 9, 29).Add(tenAm)) > pattern.Rate(new DateTime(2026, 10, 3).Add(tenAm)));
    }

    [Fact]
    public void A_run_without_a_start_opens_on_a_working_morning()
    {
        var pattern = new TrafficPattern(TrafficFigures.PerYear, TrafficFigures.Channels, Zone,
            new Dictionary<DateOnly, bool> { [new DateOnly(2026, 10, 1)] = true, [new DateOnly(2026, 10, 2)] = true });
        var thursdayAfternoon = new DateTimeOffset(2026, 11, 26, 15, 30, 0, TimeSpan.FromHours(8));
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.FromHours(8)), SimulationEngine.WorkingMorning(thursdayAfternoon, pattern));
        var saturdayNight = new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero); // 22:00 in Xiamen
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.FromHours(8)), SimulationEngine.WorkingMorning(saturdayNight, pattern));
        var nationalDay = new DateTimeOffset(2026, 10, 1, 9, 0, 0, TimeSpan.FromHours(8));
        Assert.Equal(new DateTimeOffset(2026, 10, 5, 8, 0, 0, TimeSpan.FromHours(8)), SimulationEngine.WorkingMorning(nationalDay, pattern));
    }

    [Fact]
    public void Nonsense_figures_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrafficPattern(0, TrafficFigures.Channels, Zone));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrafficPattern(double.NaN, TrafficFigures.Channels, Zone));
        Assert.Throws<ArgumentException>(() => new TrafficPattern(1000, [], Zone));
        Assert.Throws<ArgumentException>(() => new TrafficPattern(1000, [new ChannelShare("web", 1, new DayProfile("x", [1, 2], 1))], Zone));
        Assert.NotNull(new SimulationOptions { Speed = 0 }.Problem());
        Assert.NotNull(new SimulationOptions { Days = -1 }.Problem());
        Assert.NotNull(new SimulationOptions { Url = "ftp://x" }.Problem());
        Assert.Null(new SimulationOptions { Url = "http://localhost:5080", Days = 30, Speed = 8640 }.Problem());
    }
}
