namespace CityOps.Bench;

public static class Stats
{
    public static double Median(IReadOnlyList<double> sorted) =>
        sorted.Count == 0 ? double.NaN
        : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
        : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    /// <summary>Nearest-rank percentile of an ascending array (p in 0..100).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record Latency(int Count, double P50, double P95, double P99, double Max, double Mean)
{
    public static Latency From(IEnumerable<double> ms)
    {
        var a = ms.Order().ToArray();
        return a.Length == 0
            ? new Latency(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN)
            : new Latency(a.Length, Stats.Percentile(a, 50), Stats.Percentile(a, 95), Stats.Percentile(a, 99), a[^1], a.Average());
    }

    public override string ToString() => $"p50 {P50:0.0} ms, p95 {P95:0.0} ms, p99 {P99:0.0} ms, max {Max:0.0} ms";
}
