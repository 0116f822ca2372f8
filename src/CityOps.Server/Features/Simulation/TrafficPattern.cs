namespace CityOps.Server.Features.Simulation;

/// <summary>One planned report: when (simulated time) and through which channel.</summary>
public readonly record struct Arrival(DateTimeOffset At, string Channel);

/// <summary>
/// The expected volume of reports at any simulated instant, per channel: a year's volume spread
/// over the days (working days fuller than rest days, by each channel's profile) and over the hours
/// of the day. Pure: arrivals come from a seeded <see cref="Random"/> (a non-homogeneous Poisson
/// process drawn by thinning), so one seed always gives the same city.
/// </summary>
public sealed class TrafficPattern
{
    private readonly ChannelShare[] _channels;
    private readonly double[][] _workRate; // [channel][hour]: expected reports per hour on a working day
    private readonly double[][] _restRate;
    private readonly double _max;
    private readonly IReadOnlyDictionary<DateOnly, bool> _days;

    /// <param name="perYear">Reports a year.</param>
    /// <param name="channels">Shares (normalised here) and profiles.</param>
    /// <param name="zone">Local time of the profiles.</param>
    /// <param name="dayOverrides">Official calendar: true = a public holiday (a rest day), false = a weekend day declared a working day.</param>
    public TrafficPattern(double perYear, IReadOnlyList<ChannelShare> channels, TimeZoneInfo zone, IReadOnlyDictionary<DateOnly, bool>? dayOverrides = null)
    {
        if (!(perYear > 0) || double.IsInfinity(perYear)) throw new ArgumentOutOfRangeException(nameof(perYear), "The yearly volume must be positive.");
        if (channels.Count == 0 || channels.Any(c => !(c.Share >= 0)) || !(channels.Sum(c => c.Share) > 0))
            throw new ArgumentException("Channel shares must be non-negative and not all zero.", nameof(channels));
        Zone = zone;
        PerYear = perYear;
        _days = dayOverrides ?? new Dictionary<DateOnly, bool>();
        _channels = [.. channels];
        var total = channels.Sum(c => c.Share);
        var perDay = perYear / 365.2425;
        _workRate = new double[_channels.Length][];
        _restRate = new double[_channels.Length][];
        for (var i = 0; i < _channels.Length; i++)
        {
            var p = _channels[i].Profile;
            if (p.Hours.Length != 24 || p.Hours.Any(h => !(h >= 0)) || !(p.Hours.Sum() > 0) || !(p.RestDayFactor >= 0))
                throw new ArgumentException($"Profile {p.Name} needs 24 non-negative hour weights and a rest-day factor.", nameof(channels));
            // A week of five working and two rest days averages one "mean day".
            var work = 7 / (5 + 2 * p.RestDayFactor);
            var hourSum = p.Hours.Sum();
            var daily = perDay * _channels[i].Share / total;
            _workRate[i] = p.Hours.Select(h => daily * work * h / hourSum).ToArray();
            _restRate[i] = p.Hours.Select(h => daily * work * p.RestDayFactor * h / hourSum).ToArray();
        }
        _max = Enumerable.Range(0, 24).Max(h => Math.Max(_workRate.Sum(r => r[h]), _restRate.Sum(r => r[h])));
    }

    public TimeZoneInfo Zone { get; }

    public double PerYear { get; }

    public IReadOnlyList<ChannelShare> Channels => _channels;

    /// <summary>Whether people treat this local day as a working day (official calendar first, then Monday–Friday).</summary>
    public bool IsWorkingDay(DateOnly day) =>
        _days.TryGetValue(day, out var off) ? !off : day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

    /// <summary>Expected reports per hour of one channel (index into <see cref="Channels"/>) at a local time.</summary>
    public double Rate(int channel, DateTime local) =>
        (IsWorkingDay(DateOnly.FromDateTime(local)) ? _workRate : _restRate)[channel][local.Hour];

    /// <summary>Expected reports per hour over all channels at a local time.</summary>
    public double Rate(DateTime local)
    {
        var rates = IsWorkingDay(DateOnly.FromDateTime(local)) ? _workRate : _restRate;
        var sum = 0.0;
        foreach (var r in rates) sum += r[local.Hour];
        return sum;
    }

    /// <summary>Expected reports between two instants (whole hours summed, partial hours in proportion).</summary>
    public double Expected(DateTimeOffset from, DateTimeOffset to)
    {
        var sum = 0.0;
        for (var t = from; t < to;)
        {
            var local = TimeZoneInfo.ConvertTime(t, Zone);
            var next = t + (TimeSpan.FromHours(1) - TimeSpan.FromTicks(local.TimeOfDay.Ticks % TimeSpan.TicksPerHour));
            if (next > to) next = to;
            sum += Rate(local.DateTime) * (next - t).TotalHours;
            t = next;
        }
        return sum;
    }

    /// <summary>Reports from <paramref name="from"/> on, in time order, endlessly: stop reading when done.</summary>
    public IEnumerable<Arrival> Arrivals(DateTimeOffset from, Random random)
    {
        var t = from;
        while (true)
        {
            // Thinning: candidates at the highest rate of the week, each kept with rate(t) / highest.
            t += TimeSpan.FromHours(-Math.Log(1 - random.NextDouble()) / _max);
            var local = TimeZoneInfo.ConvertTime(t, Zone).DateTime;
            var rates = IsWorkingDay(DateOnly.FromDateTime(local)) ? _workRate : _restRate;
            var u = random.NextDouble() * _max;
            for (var i = 0; i < rates.Length; i++)
            {
                u -= rates[i][local.Hour];
                if (u < 0)
                {
                    yield return new Arrival(t, _channels[i].Code);
                    break;
                }
            }
        }
    }
}
