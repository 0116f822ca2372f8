using System.Globalization;

namespace CityOps.Bench;

/// <summary>Thrown for a benchmark that could not run (missing tool, server did not start …).</summary>
public sealed class BenchException(string message) : Exception(message);

/// <summary>Command line: a subcommand followed by --name value pairs.</summary>
public sealed class BenchOptions
{
    public const string Usage = """
        usage: CityOps.Bench <routing|intake|calendar|sweep|loop|evaluation|all> [options]
          routing options:
            --points N          random points per round (default 1048576)
            --rounds N          measured rounds (default 7), also for calendar; the baseline runs the same rounds
          calendar options:
            --inputs N          random (start, hours) inputs per round (default 1048576)
          sweep options (need --pg):
            --cases N           open cases in the table (default 100000)
            --due N             of which crossed their warning or deadline, unraised (default 1000)
            --batch N           batch passed to FindDueAsync (default 5000)
            --reps N            measured repetitions (default 20, after 5 warm-up calls)
          loop options (need --pg):
            --rate N            target cases per second, open loop (loop only; under all use --loop-rate; default 200)
            --loop-rate N       the same, for all
            --fallback-rate N   second open-loop rate when the target is not sustained (default: 100, or 80 % of the closed-loop rate if lower)
            --workers N         closed-loop workers for the capacity run (default 16)
            --loop-warmup N     warm-up seconds of closed-loop cases on the fresh server (default 60: the loop runs more code than intake, and the JIT is still recompiling it 45 s after start on 2 cores)
            --seconds N         duration of each measured run (default 20)
          intake / all options:
            --pg "<conn>"       PostgreSQL connection string (host, port, user, password); required
            --seconds N         duration of the pgbench, throughput and fixed-rate runs (default 20)
            --latency-seconds N duration of the fixed-rate run only (default = --seconds)
            --warmup N          warm-up seconds before each HTTP run (default 30: a fresh server keeps speeding up for ~30 s as the JIT tiers up)
            --clients N         concurrent clients for pgbench and the throughput run (default 16)
            --rate N            requests per second for the fixed-rate run (default 500)
            --server-dll PATH   CityOps.Server.dll (default: src/CityOps.Server/bin/Release/net10.0/ under the repo)
            --pgbench PATH      pgbench executable (default: PATH, then /usr/lib/postgresql/*/bin)
            --keep-db           keep the benchmark databases afterwards (intake, sweep, loop)
          evaluation options (need --pg):
            --eval-cases N      cases per year (default 150000, about 1.2 million events)
            --eval-reps N       measured repetitions (default 5, after one warm-up)
            --eval-decade       also write nine more years and score all ten (1.5 million cases)
          any:
            --quiet-wait N      before routing and pgbench, wait up to N s for the machine to be < 25 % busy (default 90)
          all:
            --write PATH        also write the Markdown report to PATH (replacing the generated block)
        """;

    public string Command { get; private init; } = "";
    public string? Pg { get; private init; }
    public int Seconds { get; private init; } = 20;
    public int LatencySeconds { get; private init; }
    public int WarmupSeconds { get; private init; } = 30;
    public int Clients { get; private init; } = 16;
    public int Rate { get; private init; } = 500;
    public int Points { get; private init; } = 1 << 20;
    public int Rounds { get; private init; } = 7;
    public int Inputs { get; private init; } = 1 << 20;
    public int SweepCases { get; private init; } = 100_000;
    public int SweepDue { get; private init; } = 1_000;
    public int SweepBatch { get; private init; } = 5_000;
    public int SweepReps { get; private init; } = 20;
    public int LoopRate { get; private init; } = 200;
    public int? FallbackRate { get; private init; }
    public int Workers { get; private init; } = 16;
    public int LoopWarmupSeconds { get; private init; } = 60;
    public string? ServerDll { get; private init; }
    public string? Pgbench { get; private init; }
    public bool KeepDb { get; private init; }
    public int EvalCases { get; private init; } = 150_000;
    public int EvalReps { get; private init; } = 5;
    public bool EvalDecade { get; private init; }
    public int QuietWaitSeconds { get; private init; } = 90;
    public string? WritePath { get; private init; }

    /// <summary>The arguments as given, to print the command that reproduces the run.</summary>
    public IReadOnlyList<string> Raw { get; private init; } = [];

    public static BenchOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("routing" or "intake" or "calendar" or "sweep" or "loop" or "evaluation" or "all"))
            throw new ArgumentException("expected a subcommand: routing, intake, calendar, sweep, loop, evaluation or all");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{a}'");
            if (a is "--keep-db" or "--eval-decade") { flags.Add(a); continue; }
            if (i + 1 >= args.Length) throw new ArgumentException($"{a} needs a value");
            values[a] = args[++i];
        }
        int Int(string name, int fallback)
        {
            if (!values.TryGetValue(name, out var s)) return fallback;
            if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v <= 0)
                throw new ArgumentException($"{name} must be a positive integer");
            return v;
        }
        var known = new[]
        {
            "--pg", "--seconds", "--latency-seconds", "--warmup", "--clients", "--rate", "--points", "--rounds", "--server-dll", "--pgbench", "--write", "--quiet-wait",
            "--inputs", "--cases", "--due", "--batch", "--reps", "--loop-rate", "--fallback-rate", "--workers", "--loop-warmup",
            "--eval-cases", "--eval-reps",
        };
        foreach (var k in values.Keys)
            if (!known.Contains(k)) throw new ArgumentException($"unknown option {k}");

        var seconds = Int("--seconds", 20);
        var o = new BenchOptions
        {
            Command = args[0],
            Pg = values.GetValueOrDefault("--pg"),
            Seconds = seconds,
            LatencySeconds = Int("--latency-seconds", seconds),
            WarmupSeconds = Int("--warmup", 30),
            Clients = Int("--clients", 16),
            Rate = Int("--rate", 500),
            Inputs = Int("--inputs", 1 << 20),
            SweepCases = Int("--cases", 100_000),
            SweepDue = Int("--due", 1_000),
            SweepBatch = Int("--batch", 5_000),
            SweepReps = Int("--reps", 20),
            // loop alone takes --rate as cases per second; under all, --rate stays the intake's request rate.
            LoopRate = values.ContainsKey("--loop-rate") ? Int("--loop-rate", 200) : args[0] == "loop" ? Int("--rate", 200) : 200,
            FallbackRate = values.ContainsKey("--fallback-rate") ? Int("--fallback-rate", 100) : null,
            Workers = Int("--workers", 16),
            LoopWarmupSeconds = Int("--loop-warmup", 60),
            Points = Int("--points", 1 << 20),
            Rounds = Int("--rounds", 7),
            ServerDll = values.GetValueOrDefault("--server-dll"),
            Pgbench = values.GetValueOrDefault("--pgbench"),
            KeepDb = flags.Contains("--keep-db"),
            EvalCases = Int("--eval-cases", 150_000),
            EvalReps = Int("--eval-reps", 5),
            EvalDecade = flags.Contains("--eval-decade"),
            QuietWaitSeconds = values.ContainsKey("--quiet-wait") ? Int("--quiet-wait", 90) : 90,
            WritePath = values.GetValueOrDefault("--write"),
            Raw = args,
        };
        if (o.Command is "intake" or "sweep" or "loop" or "evaluation" or "all" && string.IsNullOrWhiteSpace(o.Pg))
            throw new ArgumentException("--pg \"<connection string>\" is required for intake, sweep, loop, evaluation and all");
        if (o.SweepDue > o.SweepCases / 10)
            throw new ArgumentException("--due must be at most a tenth of --cases");
        if (o.WritePath is not null && o.Command != "all")
            throw new ArgumentException("--write is only for the all subcommand");
        return o;
    }

    /// <summary>The dotnet run command line that repeats this run (a password in --pg is masked).</summary>
    public string RerunCommand() => CommandLine(Raw);

    // The options each subcommand reads (besides --quiet-wait and --server-dll, which any may take).
    private static readonly Dictionary<string, string[]> OptionsOf = new(StringComparer.Ordinal)
    {
        ["routing"] = ["--points", "--rounds"],
        ["intake"] = ["--pg", "--seconds", "--latency-seconds", "--warmup", "--clients", "--rate", "--pgbench", "--keep-db"],
        ["calendar"] = ["--inputs", "--rounds"],
        ["sweep"] = ["--pg", "--cases", "--due", "--batch", "--reps", "--keep-db"],
        ["loop"] = ["--pg", "--seconds", "--loop-rate", "--fallback-rate", "--workers", "--loop-warmup", "--keep-db"],
        ["evaluation"] = ["--pg", "--eval-cases", "--eval-reps", "--eval-decade", "--keep-db"],
    };

    /// <summary>
    /// The command that repeats only <paramref name="sub"/> with the options of this run that it reads
    /// (for a row of the summary); under all, --loop-rate becomes loop's --rate.
    /// </summary>
    public string RerunCommand(string sub)
    {
        if (Command == sub) return RerunCommand();
        var keep = OptionsOf[sub].Concat(["--quiet-wait", "--server-dll"]).ToHashSet(StringComparer.Ordinal);
        var args = new List<string> { sub };
        for (var i = 1; i < Raw.Count; i++)
        {
            var a = Raw[i];
            if (a is "--keep-db" or "--eval-decade") { if (keep.Contains(a)) args.Add(a); continue; }
            if (i + 1 >= Raw.Count) break;
            var v = Raw[++i];
            if (!keep.Contains(a)) continue;
            args.Add(sub == "loop" && a == "--loop-rate" ? "--rate" : a);
            args.Add(v);
        }
        return CommandLine(args);
    }

    private static string CommandLine(IReadOnlyList<string> raw)
    {
        // Started by bench/run (which brings its own PostgreSQL and writes the report for "all"): say so, without --pg and --write.
        var via = Environment.GetEnvironmentVariable("CITYOPS_BENCH_VIA");
        var parts = string.IsNullOrEmpty(via) ? ["dotnet", "run", "-c", "Release", "--project", "bench/CityOps.Bench", "--"] : new List<string> { via };
        for (var i = 0; i < raw.Count; i++)
        {
            var a = raw[i];
            if (!string.IsNullOrEmpty(via) && a is "--pg" or "--write") { i++; continue; }
            if (!string.IsNullOrEmpty(via) && i == 0 && a == "all") continue;
            if (i > 0 && raw[i - 1] == "--pg") a = MaskPassword(a);
            parts.Add(a.Length == 0 || a.Any(c => char.IsWhiteSpace(c) || c is ';' or '"' or '\'' or '&' or '|' or '<' or '>' or '$' or '*') ? "\"" + a.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : a);
        }
        return string.Join(' ', parts);
    }

    private static string MaskPassword(string conn)
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(conn);
        if (!string.IsNullOrEmpty(b.Password)) b.Password = "****";
        return b.ConnectionString;
    }
}

/// <summary>Progress lines go to stderr so stdout stays pure Markdown.</summary>
public static class Log
{
    public static void Info(string message) =>
        Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");
}
