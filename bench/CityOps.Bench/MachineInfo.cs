using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;

namespace CityOps.Bench;

/// <summary>Facts about the machine and runtime a result was measured on.</summary>
public sealed record MachineInfo(
    DateTime StartedUtc, int Cores, string Os, string Runtime, string Cpu, string Memory, string Gc, string? Commit)
{
    public string Summary => $"{Cores} cores, {Cpu}, {Memory} RAM, {Os}, {Runtime}, {Gc}";

    public static MachineInfo Collect() => new(
        DateTime.UtcNow,
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription + " " + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
        CpuModel(),
        MemoryTotal(),
        $"server: {ServerGc()}; load generator: {(GCSettings.IsServerGC ? "server GC" : "workstation GC")}" + (Debugger.IsAttached ? ", debugger attached" : ""),
        GitCommit());

    /// <summary>The GC the server process runs with: its runtimeconfig.json, unless DOTNET_gcServer (inherited by it) says otherwise.</summary>
    private static string ServerGc()
    {
        var env = Environment.GetEnvironmentVariable("DOTNET_gcServer");
        if (env is "0" or "1") return (env == "1" ? "server GC" : "workstation GC") + " (DOTNET_gcServer)";
        try
        {
            var config = Path.ChangeExtension(ServerProcess.FindDll(null), ".runtimeconfig.json");
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(config));
            return doc.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out var p)
                && p.TryGetProperty("System.GC.Server", out var server) && server.GetBoolean() ? "server GC" : "workstation GC";
        }
        catch (Exception e) when (e is IOException or BenchException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "GC unknown";
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string MemoryTotal()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null)
            {
                var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                return $"{kb / 1024.0 / 1024.0:0.0} GiB";
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return "?";
    }

    /// <summary>HEAD of the repository (read-only; a dirty tree is not detected).</summary>
    private static string? GitCommit()
    {
        try
        {
            var root = Repo.Root();
            if (root is null) return null;
            var head = Path.Combine(root, ".git", "HEAD");
            if (!File.Exists(head)) return null;
            var text = File.ReadAllText(head).Trim();
            if (!text.StartsWith("ref: ", StringComparison.Ordinal)) return text;
            var refPath = Path.Combine(root, ".git", text[5..]);
            if (File.Exists(refPath)) return File.ReadAllText(refPath).Trim();
            var packed = Path.Combine(root, ".git", "packed-refs");
            if (File.Exists(packed))
                foreach (var l in File.ReadLines(packed))
                    if (l.EndsWith(" " + text[5..], StringComparison.Ordinal)) return l[..l.IndexOf(' ', StringComparison.Ordinal)];
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}

/// <summary>Finds the repository root (the folder holding CityOps.slnx).</summary>
public static class Repo
{
    public static string? Root()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "CityOps.slnx"))) return dir.FullName;
        }
        return null;
    }
}

/// <summary>Machine-wide CPU use from /proc/stat between two samples.</summary>
public readonly record struct CpuSample(long Busy, long Total)
{
    public static CpuSample Take()
    {
        try
        {
            var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal ...
            var idle = f[3] + (f.Length > 4 ? f[4] : 0);
            var total = f.Take(Math.Min(f.Length, 8)).Sum();
            return new CpuSample(total - idle, total);
        }
        catch (IOException) { return default; }
        catch (UnauthorizedAccessException) { return default; }
    }

    /// <summary>Busy share of all cores between two samples, 0..1.</summary>
    public static double BusyShare(CpuSample a, CpuSample b) => b.Total - a.Total <= 0 ? double.NaN : (double)(b.Busy - a.Busy) / (b.Total - a.Total);
}

/// <summary>CPU time of processes by name, from /proc/[pid]/stat (read-only).</summary>
public static class ProcCpu
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>CPU seconds (user + system) so far of each live process (whose command name is one of <paramref name="comms"/>, or any when null).</summary>
    public static Dictionary<int, (string Comm, double Seconds)> Snapshot(IReadOnlyCollection<string>? comms)
    {
        var result = new Dictionary<int, (string, double)>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                var name = Path.GetFileName(dir);
                if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var open = stat.IndexOf('(', StringComparison.Ordinal);
                    var close = stat.LastIndexOf(')');
                    if (open < 0 || close < open) continue;
                    var comm = stat[(open + 1)..close];
                    if (comms is not null && !comms.Contains(comm)) continue;
                    var f = stat[(close + 2)..].Split(' ');
                    // After the name: state(0) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(11) stime(12)
                    var seconds = (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                    var pid = int.Parse(name, CultureInfo.InvariantCulture);
                    // Kernel threads (children of kthreadd, pid 2) do I/O and housekeeping for everyone: mark them.
                    if (pid == 2 || f[1] == "2") comm = "[k]" + comm;
                    result[pid] = (comm, seconds);
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
                catch (FormatException) { }
            }
        }
        catch (IOException) { }
        return result;
    }

    /// <summary>Machine busy share over <paramref name="seconds"/>, 0..1.</summary>
    public static async Task<double> BusyOverAsync(double seconds)
    {
        var a = CpuSample.Take();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        return CpuSample.BusyShare(a, CpuSample.Take());
    }

    /// <summary>Waits (up to <paramref name="maxSeconds"/>) until the machine is mostly idle, so other work does not skew the figures.</summary>
    public static async Task<double> WaitQuietAsync(double threshold, int maxSeconds)
    {
        var started = DateTime.UtcNow;
        while (true)
        {
            var busy = await BusyOverAsync(2);
            if (busy <= threshold) return busy;
            if ((DateTime.UtcNow - started).TotalSeconds >= maxSeconds)
            {
                Log.Info($"machine still {busy:P0} busy after {maxSeconds} s of waiting; going on (figures may be skewed)");
                return busy;
            }
            Log.Info($"machine {busy:P0} busy with other work; waiting for it to quiet down …");
        }
    }
}

/// <summary>
/// CPU used by processes of given names over a period, including ones that start and exit within it
/// (PostgreSQL backends of pgbench's connections): /proc is polled every 200 ms and each process's
/// last reading kept, so at most 200 ms of an exiting process's CPU is missed.
/// </summary>
public sealed class ProcTracker
{
    private readonly string[]? _comms;
    private readonly Dictionary<int, (string Comm, double First, double Last)> _seen = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ProcTracker(string[]? comms)
    {
        _comms = comms;
        foreach (var (pid, (comm, seconds)) in ProcCpu.Snapshot(_comms)) _seen[pid] = (comm, seconds, seconds);
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try { await Task.Delay(200, _stop.Token); }
                catch (OperationCanceledException) { break; }
                Scan();
            }
        });
    }

    public static ProcTracker Start(params string[] comms) => new(comms);

    /// <summary>Tracks every process on the machine.</summary>
    public static ProcTracker StartAll() => new(null);

    private void Scan()
    {
        var now = ProcCpu.Snapshot(_comms);
        lock (_seen)
        {
            foreach (var (pid, (comm, seconds)) in now)
                _seen[pid] = _seen.TryGetValue(pid, out var s) && s.Comm == comm ? (comm, s.First, seconds) : (comm, 0, seconds);
        }
    }

    /// <summary>CPU seconds used since the start, per command name.</summary>
    public async Task<Dictionary<string, double>> StopAsync()
    {
        var byComm = (await StopByPidAsync()).GroupBy(p => p.Comm, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Seconds), StringComparer.Ordinal);
        foreach (var c in _comms ?? []) byComm.TryAdd(c, 0);
        return byComm;
    }

    /// <summary>CPU seconds used since the start, per process.</summary>
    public async Task<List<(int Pid, string Comm, double Seconds)>> StopByPidAsync()
    {
        Scan();
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        lock (_seen)
        {
            return _seen.Select(kv => (kv.Key, kv.Value.Comm, Math.Max(0, kv.Value.Last - kv.Value.First))).Where(p => p.Item3 > 0).ToList();
        }
    }
}
