using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace CityOps.Server.Features.Simulation;

/// <summary>What the simulator did and what the platform answered, counted as it happens (thread-safe).</summary>
public sealed class SimulationStats
{
    private long _reports, _merged, _moves, _closed, _voided, _returned, _reworked, _callbacks, _reopened, _verified, _factChecks;
    private long _started, _finished, _abandoned, _backoffs, _photos, _signIns, _lagTicks;

    public ConcurrentDictionary<string, long> ReportsByChannel { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> ReportsByCategory { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> ReportsByDistrict { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> MovesByAction { get; } = new(StringComparer.Ordinal);

    /// <summary>Every answer that was not a success, by HTTP status (0: no answer — connection refused or timed out).</summary>
    public ConcurrentDictionary<int, long> FailuresByStatus { get; } = new();

    /// <summary>The same by what was attempted ("register 409").</summary>
    public ConcurrentDictionary<string, long> FailuresByRequest { get; } = new(StringComparer.Ordinal);

    /// <summary>The first few failure bodies, to read what the platform said.</summary>
    public ConcurrentQueue<string> FailureSamples { get; } = new();

    public long Reports => Interlocked.Read(ref _reports);
    public long Merged => Interlocked.Read(ref _merged);
    public long Moves => Interlocked.Read(ref _moves);
    public long Closed => Interlocked.Read(ref _closed);
    public long Voided => Interlocked.Read(ref _voided);
    public long Returned => Interlocked.Read(ref _returned);
    public long Reworked => Interlocked.Read(ref _reworked);
    public long Callbacks => Interlocked.Read(ref _callbacks);
    public long Reopened => Interlocked.Read(ref _reopened);
    public long Verified => Interlocked.Read(ref _verified);
    public long FactChecks => Interlocked.Read(ref _factChecks);
    public long CasesStarted => Interlocked.Read(ref _started);
    public long CasesFinished => Interlocked.Read(ref _finished);
    public long CasesAbandoned => Interlocked.Read(ref _abandoned);
    public long InFlight => CasesStarted - CasesFinished - CasesAbandoned;
    public long BackOffs => Interlocked.Read(ref _backoffs);
    public long Photos => Interlocked.Read(ref _photos);

    /// <summary>Demo accounts signed in: each costs the platform one password hash.</summary>
    public long SignIns => Interlocked.Read(ref _signIns);
    public long Failures => FailuresByStatus.Values.Sum();

    /// <summary>How far behind schedule the latest move was made (real time): the platform or the machine not keeping up.</summary>
    public TimeSpan Lag => TimeSpan.FromTicks(Interlocked.Read(ref _lagTicks));

    public void Reported(string channel, string category, string district, bool merged)
    {
        Interlocked.Increment(ref _reports);
        if (merged) Interlocked.Increment(ref _merged);
        ReportsByChannel.AddOrUpdate(channel, 1, (_, n) => n + 1);
        ReportsByCategory.AddOrUpdate(category, 1, (_, n) => n + 1);
        ReportsByDistrict.AddOrUpdate(district, 1, (_, n) => n + 1);
    }

    public void Moved(string action)
    {
        Interlocked.Increment(ref _moves);
        MovesByAction.AddOrUpdate(action, 1, (_, n) => n + 1);
        switch (action)
        {
            case "close": Interlocked.Increment(ref _closed); break;
            case "void": Interlocked.Increment(ref _voided); break;
            case "return": Interlocked.Increment(ref _returned); break;
            case "rework": Interlocked.Increment(ref _reworked); break;
            case "callback": Interlocked.Increment(ref _callbacks); break;
            case "verify-report": Interlocked.Increment(ref _verified); break;
            case "factcheck-report": Interlocked.Increment(ref _factChecks); break;
        }
    }

    public void Reopen() => Interlocked.Increment(ref _reopened);

    public void Failed(string what, int status, string? body)
    {
        FailuresByStatus.AddOrUpdate(status, 1, (_, n) => n + 1);
        FailuresByRequest.AddOrUpdate($"{what} {(status == 0 ? "no answer" : status.ToString(CultureInfo.InvariantCulture))}", 1, (_, n) => n + 1);
        if (FailureSamples.Count < 20)
            FailureSamples.Enqueue($"{what} → {(status == 0 ? "no answer" : status.ToString(CultureInfo.InvariantCulture))}: {(body is { Length: > 300 } ? body[..300] + "…" : body)}");
    }

    /// <summary>Keeps a message among the failure samples.</summary>
    public void Note(string message)
    {
        if (FailureSamples.Count < 20) FailureSamples.Enqueue(message);
    }

    public void BackedOff() => Interlocked.Increment(ref _backoffs);

    public void PhotoUploaded() => Interlocked.Increment(ref _photos);

    public void SignedIn() => Interlocked.Increment(ref _signIns);

    public void CaseStarted() => Interlocked.Increment(ref _started);

    public void CaseFinished() => Interlocked.Increment(ref _finished);

    public void CaseAbandoned() => Interlocked.Increment(ref _abandoned);

    public void Behind(TimeSpan lag) => Interlocked.Exchange(ref _lagTicks, Math.Max(0, lag.Ticks));

    /// <summary>One line: simulated time, totals, rates since <paramref name="previous"/> and failures by status.</summary>
    public string Line(DateTimeOffset simNow, TimeZoneInfo zone, TimeSpan elapsed, (long Reports, long Moves, TimeSpan At)? previous = null)
    {
        var local = TimeZoneInfo.ConvertTime(simNow, zone);
        var span = previous is { } p ? (elapsed - p.At).TotalSeconds : elapsed.TotalSeconds;
        var reportRate = span > 0 ? (Reports - (previous?.Reports ?? 0)) / span : 0;
        var moveRate = span > 0 ? (Moves - (previous?.Moves ?? 0)) / span : 0;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"[{local:yyyy-MM-dd ddd HH:mm}] reports {Reports:N0} ({reportRate:0.0}/s, merged {Merged:N0})");
        sb.Append(CultureInfo.InvariantCulture, $" · moves {Moves:N0} ({moveRate:0.0}/s) · closed {Closed:N0} · voided {Voided:N0} · returned {Returned:N0} · reworked {Reworked:N0}");
        sb.Append(CultureInfo.InvariantCulture, $" · callbacks {Callbacks:N0} · in flight {InFlight:N0}");
        if (CasesAbandoned > 0) sb.Append(CultureInfo.InvariantCulture, $" · given up {CasesAbandoned:N0}");
        sb.Append(" · errors ").Append(FailuresText());
        if (BackOffs > 0) sb.Append(CultureInfo.InvariantCulture, $" · backed off {BackOffs:N0}×");
        if (Lag > TimeSpan.FromSeconds(1)) sb.Append(CultureInfo.InvariantCulture, $" · behind by {Lag.TotalSeconds:0.0} s");
        return sb.ToString();
    }

    /// <summary>"none" or "409×3, 503×1, no answer×2".</summary>
    public string FailuresText() => FailuresByStatus.IsEmpty ? "none"
        : string.Join(", ", FailuresByStatus.OrderBy(kv => kv.Key).Select(kv => $"{(kv.Key == 0 ? "no answer" : kv.Key.ToString(CultureInfo.InvariantCulture))}×{kv.Value:N0}"));

    /// <summary>The closing summary: totals, mixes and every failure by request and status.</summary>
    public string Summary(TimeSpan elapsed)
    {
        var sb = new StringBuilder();
        var seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        sb.AppendLine(CultureInfo.InvariantCulture, $"{Reports:N0} reports in {elapsed.TotalSeconds:0.0} s ({Reports / seconds:0.0}/s; {Merged:N0} joined an open case), {Moves:N0} moves ({Moves / seconds:0.0}/s), {Photos:N0} photos, {SignIns:N0} accounts signed in");
        sb.AppendLine(CultureInfo.InvariantCulture, $"cases: {CasesStarted:N0} followed, {CasesFinished:N0} finished, {InFlight:N0} still open, {CasesAbandoned:N0} given up; closed {Closed:N0}, voided {Voided:N0}, returned {Returned:N0}, reworked {Reworked:N0} (reopened at callback {Reopened:N0}), verified {Verified:N0}, fact-checked {FactChecks:N0}, callbacks {Callbacks:N0}");
        sb.AppendLine("by channel:  " + Top(ReportsByChannel, 15));
        sb.AppendLine("by district: " + Top(ReportsByDistrict, 10));
        sb.AppendLine("by category: " + Top(ReportsByCategory, 12));
        sb.AppendLine("moves:       " + Top(MovesByAction, 30));
        sb.Append("errors:      ").Append(FailuresText());
        if (BackOffs > 0) sb.Append(CultureInfo.InvariantCulture, $" (backed off {BackOffs:N0}× on 429/503)");
        foreach (var kv in FailuresByRequest.OrderByDescending(kv => kv.Value)) sb.AppendLine().Append(CultureInfo.InvariantCulture, $"  {kv.Key}: {kv.Value:N0}");
        foreach (var s in FailureSamples.Take(5)) sb.AppendLine().Append("  e.g. ").Append(s);
        return sb.ToString();
    }

    private static string Top(ConcurrentDictionary<string, long> counts, int n) =>
        string.Join(", ", counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(n).Select(kv => $"{kv.Key} {kv.Value:N0}"));
}
