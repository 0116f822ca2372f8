using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using CityOps.Server.Data.Seeding;

namespace CityOps.Tests.Support;

/// <summary>
/// CityOps.Server as a real child process — the build that sits beside the tests — on one port and
/// one database, which can be killed without warning (SIGKILL: no shutdown, no flush) and started
/// again on the same database, as a crash and a restart by the service manager would.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Dictionary<string, string> _settings;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private Process? _process;
    private bool _closed;

    private ServerProcess(string provider, string connection, Dictionary<string, string> settings, int port, string name, string? workingDirectory)
    {
        (Provider, Connection, _settings) = (provider, connection, settings);
        WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        var folder = Path.Combine(Path.GetTempPath(), "cityops-tests", "logs");
        Directory.CreateDirectory(folder);
        LogPath = Path.Combine(folder, $"{name}-{provider.ToLowerInvariant()}-{port}.log");
        _log = new StreamWriter(LogPath, append: false) { AutoFlush = true };
    }

    public string Provider { get; }
    /// <summary>The folder the process starts in: beside the server's files unless a test says otherwise.</summary>
    public string WorkingDirectory { get; }
    public string Connection { get; }
    public Uri BaseAddress { get; }
    /// <summary>Every line the server wrote, over all its lives, with a marker line at each start.</summary>
    public string LogPath { get; }
    public int Starts { get; private set; }
    public int Kills { get; private set; }
    /// <summary>From launch to the first 200 Healthy, for each start that got there.</summary>
    public List<TimeSpan> StartupTimes { get; } = [];
    public bool Running => _process is { HasExited: false };

    /// <summary>The server assembly the test project's build copies beside the tests (with its migrations assemblies).</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "CityOps.Server.dll");

    /// <summary>Starts the server on <paramref name="connection"/> (migrating and seeding it if new) and waits until it is healthy.</summary>
    public static async Task<ServerProcess> StartAsync(string provider, string connection, Dictionary<string, string>? settings = null, string name = "server",
        string? workingDirectory = null)
    {
        var server = new ServerProcess(provider, connection, settings ?? [], FreePort(), name, workingDirectory);
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Launches the process and waits for it to answer /health with 200 Healthy.</summary>
    public async Task StartAsync()
    {
        var started = Launch();
        await WaitReadyAsync(started);
    }

    /// <summary>Launches the process and returns at once (for a kill while it starts).</summary>
    public long Launch()
    {
        if (Running) throw new InvalidOperationException("The server is already running.");
        if (!File.Exists(Dll)) throw new InvalidOperationException($"{Dll} is missing: build the test project.");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = WorkingDirectory,
        };
        psi.ArgumentList.Add(Dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(BaseAddress.ToString().TrimEnd('/'));
        foreach (var name in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" }) psi.Environment.Remove(name);
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["CityOps__Database__Provider"] = Provider;
        psi.Environment["ConnectionStrings__CityOps"] = Connection;
        psi.Environment["CityOps__City__SeedDemo"] = "true";
        psi.Environment["CityOps__Attachments__Path"] = Path.Combine(Path.GetTempPath(), "cityops-tests", "attachments");
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        // The load comes from one address with one key per channel, far above a citizen's intake limit (tested on its own).
        psi.Environment["CityOps__Intake__RateLimit__Enabled"] = "false";
        foreach (var (k, v) in _settings) psi.Environment[k.Replace(":", "__", StringComparison.Ordinal)] = v;

        Starts++;
        OnLine($"---- start {Starts} at {DateTime.UtcNow:O} ----");
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the server process.");
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        return Stopwatch.GetTimestamp();
    }

    public async Task WaitReadyAsync(long launchedAt, TimeSpan? timeout = null)
    {
        var process = _process ?? throw new InvalidOperationException("The server was not launched.");
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + (long)((timeout ?? TimeSpan.FromMinutes(2)).TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The server exited with {process.ExitCode} while starting (start {Starts}); log {LogPath}:\n{Tail(40)}");
            try
            {
                using var r = await http.GetAsync(new Uri("/health", UriKind.Relative));
                if (r.StatusCode == HttpStatusCode.OK && (await r.Content.ReadAsStringAsync()).Trim() == "Healthy") break;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"The server did not become healthy in time (start {Starts}); log {LogPath}:\n{Tail(40)}");
            await Task.Delay(100);
        }
        StartupTimes.Add(Stopwatch.GetElapsedTime(launchedAt));
    }

    /// <summary>SIGKILL: the process ends at once, mid-request and mid-transaction, without running any shutdown code.</summary>
    public void Kill()
    {
        if (_process is not { } process) return;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: false);
            Kills++;
        }
        process.WaitForExit();
        OnLine($"---- killed at {DateTime.UtcNow:O} ----");
        process.Dispose();
        _process = null;
    }

    /// <summary>An HTTP client for this server; the address stays the same across restarts.</summary>
    public HttpClient Client(string? bearer = null, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(3), PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>Signs a demo account in and returns its bearer token.</summary>
    public async Task<string> TokenAsync(string login)
    {
        using var client = Client();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { email = $"{login}@{UserSeed.DemoDomain}", password = UserSeed.DemoPassword });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
    }

    public async Task<HttpClient> SignInAsync(string login) => Client(await TokenAsync(login));

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public string Tail(int count) => string.Join('\n', Lines.TakeLast(count));

    /// <summary>Log entries at error level or above ("fail:" and "crit:"), each with the message line after it.</summary>
    public IReadOnlyList<string> Errors()
    {
        var lines = Lines;
        var result = new List<string>();
        for (var i = 0; i < lines.Count; i++)
            if (lines[i].StartsWith("fail:", StringComparison.Ordinal) || lines[i].StartsWith("crit:", StringComparison.Ordinal))
                result.Add($"{lines[i].Trim()} {(i + 1 < lines.Count ? lines[i + 1].Trim() : "")}");
        return result;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        lock (_gate)
        {
            if (!_closed) _log.WriteLine(line);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        lock (_gate)
        {
            _closed = true;
            _log.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Provider} server on {BaseAddress} (log {LogPath})");
}
