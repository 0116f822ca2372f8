using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CityOps.Server.Features.Cases.Calendar;
using CityOps.Server.Features.Categories;

namespace CityOps.Bench;

/// <summary>One input on which the calendar and the naive reference disagreed.</summary>
public sealed record CalendarMismatch(string Operation, DateTimeOffset Start, double Value, DateTimeOffset? Expected, DateTimeOffset? Actual, string? Note = null);

public sealed record CalendarResult(
    int Inputs, int Checked, int BoundaryChecked, int ElapsedChecked, IReadOnlyList<CalendarMismatch> Mismatches, int MismatchCount,
    int HolidayOverrides, string OfficeHours, string Zone, TimeSpan LoadTime, double MeanCalendarDaysStepped,
    double MachineBusy, double OtherCores, string OtherTop, long AllocatedBytes,
    RateStats AddWorkingHours, RateStats Naive, RateStats AddWorkingDays, RateStats Elapsed);

/// <summary>
/// <see cref="WorkCalendar.Add"/> in working hours on one thread, against a naive reference written
/// here that walks the office periods day by day (holidays and 调休 read from the same holiday files).
/// </summary>
public static class CalendarBench
{
    private static readonly DateTimeOffset From = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] EdgeTimes = ["00:00", "08:29:59", "08:30", "10:00", "11:59:59", "12:00", "13:00", "14:30", "17:00", "17:59:59", "18:00", "23:59:59"];

    public static CalendarResult Run(BenchOptions options)
    {
        var sw = Stopwatch.StartNew();
        var calendar = WorkCalendar.Load(new CalendarOptions());
        var loadTime = sw.Elapsed;
        var naive = NaiveCalendar.FromEmbeddedHolidays(new CalendarOptions());
        Log.Info($"calendar: WorkCalendar.Load in {loadTime.TotalMilliseconds:0} ms; office hours {string.Join(", ", calendar.OfficeHours)}, zone {calendar.Zone.Id}, {naive.Overrides} holiday/调休 days");

        // Inputs: UTC instants uniform over 2025–2026 (whole milliseconds), hours uniform in [0.5, 40].
        var n = options.Inputs;
        var rng = new Random(20261125);
        var starts = new DateTimeOffset[n];
        var hours = new double[n];
        var days = new double[n];
        var ends = new DateTimeOffset[n];
        var spanMs = (long)(To - From).TotalMilliseconds;
        for (var i = 0; i < n; i++)
        {
            starts[i] = From.AddMilliseconds(rng.NextInt64(spanMs));
            hours[i] = 0.5 + rng.NextDouble() * 39.5;
            days[i] = 0.5 + rng.NextDouble() * 9.5;
            ends[i] = starts[i].AddMinutes(rng.Next(30 * 24 * 60));
        }

        // Agreement before timing: the first 10,000 inputs, and inputs on the edges (starts on period
        // boundaries, counts in half hours so many end exactly at 12:00 or 18:00).
        var mismatches = new List<CalendarMismatch>();
        var mismatchCount = 0;
        void Mismatch(CalendarMismatch m)
        {
            mismatchCount++;
            if (mismatches.Count < 10) mismatches.Add(m);
        }
        var check = Math.Min(n, 10_000);
        long stepped = 0;
        for (var i = 0; i < check; i++)
        {
            var expected = naive.AddWorkingHours(starts[i], hours[i], out var walked);
            stepped += walked;
            Compare("Add(WorkingHours)", starts[i], hours[i], expected, calendar.Add(starts[i], hours[i], TimeLimitUnit.WorkingHours));
        }
        var boundary = 0;
        var local = EdgeTimes.Select(t => TimeSpan.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var brng = new Random(7);
        for (var i = 0; i < 2_000; i++)
        {
            var day = DateOnly.FromDateTime(From.UtcDateTime).AddDays(brng.Next(730));
            var at = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue) + local[brng.Next(local.Length)], TimeSpan.FromHours(8)).ToUniversalTime();
            var h = brng.Next(1, 81) / 2.0;
            Compare("Add(WorkingHours) on an edge", at, h, naive.AddWorkingHours(at, h, out _), calendar.Add(at, h, TimeLimitUnit.WorkingHours));
            boundary++;
        }
        // Elapsed in working hours, against the same walk.
        var elapsedChecked = Math.Min(n, 10_000);
        for (var i = 0; i < elapsedChecked; i++)
        {
            var expected = naive.Elapsed(starts[i], ends[i]);
            var actual = calendar.Elapsed(starts[i], ends[i], TimeLimitUnit.WorkingHours);
            if (expected != actual)
                Mismatch(new CalendarMismatch("Elapsed(WorkingHours)", starts[i], (ends[i] - starts[i]).TotalHours, null, null,
                    $"to {ends[i]:yyyy-MM-dd HH:mm:ss}Z: expected {expected.TotalHours:0.######} h, got {actual.TotalHours:0.######} h"));
        }
        Log.Info($"calendar: checked {check:N0} random + {boundary:N0} edge inputs of Add(WorkingHours) and {elapsedChecked:N0} of Elapsed against the naive walk: {mismatchCount} disagreements");
        foreach (var m in mismatches.Take(5)) Log.Info($"calendar: DISAGREE {m}");

        void Compare(string op, DateTimeOffset start, double value, DateTimeOffset expected, DateTimeOffset actual)
        {
            if (expected != actual || expected.Offset != actual.Offset) Mismatch(new CalendarMismatch(op, start, value, expected, actual));
        }

        long sink = 0;
        double TimeAdd()
        {
            var t = Stopwatch.GetTimestamp();
            long s = 0;
            for (var i = 0; i < n; i++) s += calendar.Add(starts[i], hours[i], TimeLimitUnit.WorkingHours).UtcTicks;
            var el = Stopwatch.GetElapsedTime(t).TotalSeconds;
            sink += s;
            return el;
        }
        double TimeNaive()
        {
            var t = Stopwatch.GetTimestamp();
            long s = 0;
            for (var i = 0; i < n; i++) s += naive.AddWorkingHours(starts[i], hours[i], out _).UtcTicks;
            var el = Stopwatch.GetElapsedTime(t).TotalSeconds;
            sink += s;
            return el;
        }
        double TimeDays()
        {
            var t = Stopwatch.GetTimestamp();
            long s = 0;
            for (var i = 0; i < n; i++) s += calendar.Add(starts[i], days[i], TimeLimitUnit.WorkingDays).UtcTicks;
            var el = Stopwatch.GetElapsedTime(t).TotalSeconds;
            sink += s;
            return el;
        }
        double TimeElapsed()
        {
            var t = Stopwatch.GetTimestamp();
            long s = 0;
            for (var i = 0; i < n; i++) s += calendar.Elapsed(starts[i], ends[i], TimeLimitUnit.WorkingHours).Ticks;
            var el = Stopwatch.GetElapsedTime(t).TotalSeconds;
            sink += s;
            return el;
        }

        ProcCpu.WaitQuietAsync(0.25, options.QuietWaitSeconds).GetAwaiter().GetResult();
        var cpu0 = CpuSample.Take();
        var tracker = ProcTracker.StartAll();
        var measureStart = Stopwatch.GetTimestamp();
        Log.Info("calendar: warming up …");
        for (var w = 0; w < 3; w++) { TimeAdd(); TimeNaive(); TimeDays(); TimeElapsed(); }
        GC.Collect();
        GC.WaitForPendingFinalizers();

        var add = new List<double>();
        var naiveTimes = new List<double>();
        var dayTimes = new List<double>();
        var elapsedTimes = new List<double>();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        long calendarAllocated = 0;
        for (var r = 0; r < options.Rounds; r++)
        {
            // Interleaved, so machine noise hits all alike.
            var a0 = GC.GetAllocatedBytesForCurrentThread();
            add.Add(TimeAdd());
            calendarAllocated += GC.GetAllocatedBytesForCurrentThread() - a0;
            naiveTimes.Add(TimeNaive());
            dayTimes.Add(TimeDays());
            elapsedTimes.Add(TimeElapsed());
            Log.Info($"calendar: round {r + 1}/{options.Rounds}: Add(WorkingHours) {n / add[^1] / 1e6:0.00} M/s, naive {n / naiveTimes[^1] / 1e6:0.00} M/s, Add(WorkingDays) {n / dayTimes[^1] / 1e6:0.00} M/s, Elapsed {n / elapsedTimes[^1] / 1e6:0.00} M/s");
        }
        var busy = CpuSample.BusyShare(cpu0, CpuSample.Take());
        var seconds = Stopwatch.GetElapsedTime(measureStart).TotalSeconds;
        var others = tracker.StopByPidAsync().GetAwaiter().GetResult()
            .Where(p => p.Pid != Environment.ProcessId && !p.Comm.StartsWith("[k]", StringComparison.Ordinal))
            .GroupBy(p => p.Comm, StringComparer.Ordinal).Select(g => (Comm: g.Key, Cores: g.Sum(p => p.Seconds) / seconds))
            .OrderByDescending(x => x.Cores).ToList();
        var otherCores = others.Sum(x => x.Cores);
        var otherTop = string.Join(", ", others.Where(x => x.Cores >= 0.02).Take(4).Select(x => $"{x.Comm} {x.Cores:0.00}"));
        Log.Info($"calendar: machine {busy:P0} busy while measuring; other processes {otherCores:0.00} cores {otherTop}; checksum {sink}; Add(WorkingHours) allocated {calendarAllocated / 1024.0:0} KiB over {options.Rounds} rounds (all loops: {(GC.GetAllocatedBytesForCurrentThread() - allocated) / 1024.0 / 1024.0:0.0} MiB)");

        return new CalendarResult(n, check, boundary, elapsedChecked, mismatches, mismatchCount, naive.Overrides,
            string.Join(", ", calendar.OfficeHours), calendar.Zone.Id, loadTime, check == 0 ? 0 : (double)stepped / check,
            busy, otherCores, otherTop, calendarAllocated,
            RateStats.From("WorkCalendar.Add(t, h, WorkingHours)", n, add),
            RateStats.From("Naive reference: walk office periods day by day", n, naiveTimes),
            RateStats.From("WorkCalendar.Add(t, d, WorkingDays) (info)", n, dayTimes),
            RateStats.From("WorkCalendar.Elapsed(a, b, WorkingHours) (info)", n, elapsedTimes));
    }

    /// <summary>
    /// The obvious way to count working hours: convert to local time, then walk day by day through
    /// the office periods of each working day until the hours are used up. Holidays and 调休 days come
    /// from the same holiday files the server embeds, read here with a JSON parser of its own.
    /// </summary>
    private sealed class NaiveCalendar
    {
        private readonly Dictionary<DateOnly, bool> _overrides;
        private readonly (TimeSpan Start, TimeSpan End)[] _periods;
        private readonly TimeZoneInfo _zone;

        private NaiveCalendar(Dictionary<DateOnly, bool> overrides, (TimeSpan, TimeSpan)[] periods, TimeZoneInfo zone)
        {
            _overrides = overrides;
            _periods = periods;
            _zone = zone;
        }

        public int Overrides => _overrides.Count;

        public static NaiveCalendar FromEmbeddedHolidays(CalendarOptions options)
        {
            var overrides = new Dictionary<DateOnly, bool>();
            var assembly = typeof(WorkCalendar).Assembly;
            var names = assembly.GetManifestResourceNames().Where(n => n.StartsWith("holidays-cn-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            if (names.Count == 0) throw new BenchException("no holidays-cn-*.json resources in the server assembly");
            foreach (var name in names)
            {
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var doc = JsonDocument.Parse(stream);
                foreach (var d in doc.RootElement.GetProperty("days").EnumerateArray())
                    overrides[DateOnly.ParseExact(d.GetProperty("date").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture)] = d.GetProperty("isOffDay").GetBoolean();
            }
            var periods = options.EffectiveOfficeHours.Select(p =>
            {
                var parts = p.Split('-');
                return (TimeSpan.Parse(parts[0], CultureInfo.InvariantCulture), parts[1] == "24:00" ? TimeSpan.FromDays(1) : TimeSpan.Parse(parts[1], CultureInfo.InvariantCulture));
            }).ToArray();
            return new NaiveCalendar(overrides, periods, TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone));
        }

        private bool IsWorkingDay(DateOnly day) =>
            _overrides.TryGetValue(day, out var off) ? !off : day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

        /// <summary>The instant after exactly <paramref name="hours"/> of office time from <paramref name="start"/>.</summary>
        public DateTimeOffset AddWorkingHours(DateTimeOffset start, double hours, out int daysWalked)
        {
            var remaining = (long)Math.Round(hours * TimeSpan.TicksPerHour);
            daysWalked = 0;
            if (remaining == 0) return start;
            var local = TimeZoneInfo.ConvertTime(start, _zone);
            var day = DateOnly.FromDateTime(local.DateTime);
            var cursor = local.TimeOfDay;
            while (true)
            {
                daysWalked++;
                if (IsWorkingDay(day))
                {
                    foreach (var (s, e) in _periods)
                    {
                        if (cursor >= e) continue;
                        var from = cursor > s ? cursor : s;
                        var available = (e - from).Ticks;
                        if (remaining <= available)
                        {
                            var at = day.ToDateTime(TimeOnly.MinValue) + from + TimeSpan.FromTicks(remaining);
                            return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(at, _zone), TimeSpan.Zero).ToOffset(start.Offset);
                        }
                        remaining -= available;
                    }
                }
                day = day.AddDays(1);
                cursor = TimeSpan.Zero;
            }
        }

        /// <summary>Office time between two instants (from ≤ to), summed day by day.</summary>
        public TimeSpan Elapsed(DateTimeOffset from, DateTimeOffset to)
        {
            var a = TimeZoneInfo.ConvertTime(from, _zone).DateTime;
            var b = TimeZoneInfo.ConvertTime(to, _zone).DateTime;
            var total = TimeSpan.Zero;
            for (var day = DateOnly.FromDateTime(a); day <= DateOnly.FromDateTime(b); day = day.AddDays(1))
            {
                if (!IsWorkingDay(day)) continue;
                var midnight = day.ToDateTime(TimeOnly.MinValue);
                foreach (var (s, e) in _periods)
                {
                    var lo = Max(a, midnight + s);
                    var hi = Min(b, midnight + e);
                    if (hi > lo) total += hi - lo;
                }
            }
            return total;
        }

        private static DateTime Max(DateTime x, DateTime y) => x > y ? x : y;

        private static DateTime Min(DateTime x, DateTime y) => x < y ? x : y;
    }
}
