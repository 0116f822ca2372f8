using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CityOps.Bench;

/// <summary>CityOps.Server run as a child process, with its console log kept for the report.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<(DateTime Utc, string Line)> _timed = new();
    private readonly StreamWriter _logFile;
    private bool _closed;

    public Uri BaseAddress { get; }
    public string LogPath { get; }
    public TimeSpan StartupTime { get; private set; }
    public int Pid => _process.Id;

    private ServerProcess(Process process, Uri baseAddress, string logPath, StreamWriter logFile)
    {
        _process = process;
        BaseAddress = baseAddress;
        LogPath = logPath;
        _logFile = logFile;
    }

    public static string FindDll(string? given)
    {
        if (!string.IsNullOrEmpty(given))
            return File.Exists(given) ? Path.GetFullPath(given) : throw new BenchException($"server not found at {given}");
        var root = Repo.Root() ?? throw new BenchException("repository root (CityOps.slnx) not found; pass --server-dll");
        var dll = Path.Combine(root, "src", "CityOps.Server", "bin", "Release", "net10.0", "CityOps.Server.dll");
        if (!File.Exists(dll) || !File.Exists(Path.Combine(Path.GetDirectoryName(dll)!, "CityOps.Migrations.Postgres.dll")))
            throw new BenchException($"{dll} (with CityOps.Migrations.Postgres.dll beside it) is missing: run 'dotnet build -c Release src/CityOps.Server' first");
        return dll;
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static async Task<ServerProcess> StartAsync(string dll, string connection, IReadOnlyDictionary<string, string> extraEnv, string logPath)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(url);
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["CityOps__Database__Provider"] = "Postgres";
        psi.Environment["ConnectionStrings__CityOps"] = connection;
        psi.Environment["CityOps__City__SeedDemo"] = "true";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        // The benchmarks post thousands of reports a second with one web key from one address: the intake rate limit is off.
        psi.Environment["CityOps__Intake__RateLimit__Enabled"] = "false";
        psi.Environment.Remove("ASPNETCORE_URLS");
        foreach (var (k, v) in extraEnv) psi.Environment[k] = v;

        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(psi) ?? throw new BenchException("could not start the server");
        var logFile = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var server = new ServerProcess(process, new Uri(url), logPath, logFile);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            if (process.HasExited)
                throw new BenchException($"the server exited with {process.ExitCode} while starting; last log lines:\n{string.Join('\n', server.Lines.TakeLast(30))}");
            try
            {
                using var r = await http.GetAsync(new Uri("/health", UriKind.Relative));
                if (r.StatusCode == HttpStatusCode.OK && (await r.Content.ReadAsStringAsync()).Trim() == "Healthy") break;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new BenchException("the server did not answer /health with 200 Healthy within 3 minutes");
            }
            await Task.Delay(200);
        }
        server.StartupTime = Stopwatch.GetElapsedTime(started);
        return server;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        if (_lines.Count < 100_000)
        {
            _lines.Enqueue(line);
            _timed.Enqueue((DateTime.UtcNow, line));
        }
        lock (_logFile)
        {
            if (!_closed) _logFile.WriteLine(line);
        }
    }

    public IReadOnlyList<string> Lines => _lines.ToArray();

    /// <summary>The log lines with the time this process read them (the console logger writes no time of its own).</summary>
    public IReadOnlyList<(DateTime Utc, string Line)> TimedLines => _timed.ToArray();

    public TimeSpan CpuTime
    {
        get
        {
            try { _process.Refresh(); return _process.TotalProcessorTime; }
            catch (InvalidOperationException) { return TimeSpan.Zero; }
        }
    }

    /// <summary>Peak resident memory of the server so far (Linux VmHWM).</summary>
    public long PeakRssBytes
    {
        get
        {
            try
            {
                var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
            catch (IOException) { return 0; }
        }
    }

    /// <summary>Log entries at warning level or above: the level line and the message line after it.</summary>
    public IReadOnlyList<string> Problems()
    {
        var lines = Lines;
        var result = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var l = lines[i];
            if (!(l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal))) continue;
            var message = i + 1 < lines.Count ? lines[i + 1].Trim() : "";
            result.Add($"{l.Trim()} {message}");
        }
        return result;
    }

    private int _disposed;

    /// <summary>SIGTERM (graceful shutdown), then a hard kill after 15 s. A second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (!_process.HasExited)
        {
            try
            {
                using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false });
                if (kill is not null) await kill.WaitForExitAsync();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        lock (_logFile)
        {
            _closed = true;
            _logFile.Dispose();
        }
    }
}
