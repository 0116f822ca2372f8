using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace CityOps.Bench;

public sealed record PgbenchResult(
    int Clients, int Threads, int Seconds, double Tps, double LatencyAvgMs, long Transactions, long Failed, long RowsAfter,
    double MachineBusy, double PostgresCores, double PgbenchCores, double OtherCores, string OtherTop, string Command, string Version);

/// <summary>Database housekeeping and the pgbench baseline.</summary>
public static partial class Postgres
{
    public static NpgsqlConnectionStringBuilder Builder(string conn, string? database = null)
    {
        var b = new NpgsqlConnectionStringBuilder(conn);
        if (database is not null) b.Database = database;
        return b;
    }

    public static async Task<T> ScalarAsync<T>(string conn, string sql)
    {
        await using var c = new NpgsqlConnection(conn);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static async Task ExecAsync(string conn, string sql)
    {
        await using var c = new NpgsqlConnection(conn);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A connection string to the maintenance database, for CREATE/DROP DATABASE.</summary>
    public static string Admin(string conn) => Builder(conn, "postgres").ConnectionString;

    public static async Task CreateDatabaseAsync(string conn, string name) =>
        await ExecAsync(Admin(conn), $"CREATE DATABASE \"{name}\"");

    public static async Task DropDatabaseAsync(string conn, string name)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecAsync(Admin(conn), $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    /// <summary>Server version and the settings that decide single-row insert speed.</summary>
    public static async Task<string> DescribeAsync(string conn)
    {
        await using var c = new NpgsqlConnection(Admin(conn));
        await c.OpenAsync();
        var parts = new List<string>();
        await using (var cmd = new NpgsqlCommand("SHOW server_version", c))
            parts.Add("PostgreSQL " + await cmd.ExecuteScalarAsync());
        foreach (var setting in new[] { "shared_buffers", "synchronous_commit", "fsync", "wal_level", "max_connections" })
        {
            await using var cmd = new NpgsqlCommand($"SHOW {setting}", c);
            parts.Add($"{setting}={await cmd.ExecuteScalarAsync()}");
        }
        return string.Join(", ", parts);
    }

    public static string FindPgbench(string? given)
    {
        if (!string.IsNullOrEmpty(given))
            return File.Exists(given) ? given : throw new BenchException($"pgbench not found at {given}");
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, "pgbench");
            if (File.Exists(p)) return p;
        }
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var found = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin", "pgbench")).Where(File.Exists)
                .OrderByDescending(p => p, StringComparer.Ordinal).FirstOrDefault();
            if (found is not null) return found;
        }
        throw new BenchException("pgbench not found; pass --pgbench PATH");
    }

    /// <summary>
    /// PostgreSQL's own single-row insert rate at the same concurrency: pgbench with a custom
    /// one-INSERT script (autocommit, so one commit per row, as each Open311 request is one transaction).
    /// </summary>
    public static async Task<PgbenchResult> RunPgbenchAsync(BenchOptions o, string database)
    {
        var b = Builder(o.Pg!, database);
        await ExecAsync(b.ConnectionString,
            "CREATE TABLE bench_rows(id bigserial primary key, payload text, created_at timestamptz default now())");
        // A payload about the size of a report's description.
        return await RunScriptAsync(o, database,
            "INSERT INTO bench_rows(payload) VALUES ('路灯不亮，晚上很黑，请尽快维修 - street light out near the bus stop');\n",
            o.Clients, o.Seconds, prepared: false, "SELECT count(*) FROM bench_rows");
    }

    /// <summary>
    /// What PostgreSQL alone can do of the intake's own writing: pgbench transactions that each store
    /// <paramref name="batch"/> new cases the way the intake's group commit does — case, report and first
    /// event of each, by INSERT … SELECT, in one transaction — on the server's own database, tables,
    /// indexes and foreign keys. The rows are copies of cases the intake stored (new keys, tokens and
    /// idempotency keys), so nothing of HTTP, routing or the server's encoding is in it. The second
    /// result is the same statement's reading of those rows alone, without writing them, so that its
    /// cost can be taken off: what is left is a lower bound on what storing a case costs PostgreSQL.
    /// The cases a transaction stored are counted, not assumed: ids the copies are taken from may have gaps.
    /// </summary>
    public static async Task<(PgbenchResult Writes, PgbenchResult Reads, double CasesPerTransaction)> RunIntakeRowsAsync(BenchOptions o, string database, int batch, int clients, int seconds)
    {
        var conn = Builder(o.Pg!, database).ConnectionString;
        async Task<string[]> Columns(string table)
        {
            await using var c = new NpgsqlConnection(conn);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @t ORDER BY ordinal_position", c);
            cmd.Parameters.AddWithValue("t", table);
            var names = new List<string>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
            return names.Count > 0 ? [.. names] : throw new BenchException($"no table {table} in {database}");
        }
        static string Insert(string table, string[] columns, string alias, Dictionary<string, string> set) =>
            $"INSERT INTO \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) SELECT {string.Join(", ", columns.Select(c => set.TryGetValue(c, out var v) ? v : $"{alias}.\"{c}\""))}";
        var maxId = await ScalarAsync<long>(conn, "SELECT max(\"Id\") FROM \"Cases\"");
        if (maxId < batch * 2) throw new BenchException($"too few cases in {database} to copy from");
        var cases = Insert("Cases", await Columns("Cases"), "src", new() { ["Id"] = "src.nid", ["Key"] = "gen_random_uuid()" });
        var reports = Insert("Reports", await Columns("Reports"), "x", new()
        {
            ["Id"] = "nextval(pg_get_serial_sequence('\"Reports\"', 'Id'))", ["CaseId"] = "src.nid", ["ExternalId"] = "NULL",
            ["IdempotencyKey"] = "md5(random()::text)", ["Token"] = "gen_random_uuid()",
        });
        var events = Insert("CaseEvents", await Columns("CaseEvents"), "x", new() { ["Id"] = "nextval(pg_get_serial_sequence('\"CaseEvents\"', 'Id'))", ["CaseId"] = "src.nid" });
        var source = $"""SELECT s.*, nextval(pg_get_serial_sequence('"Cases"', 'Id')) AS nid FROM "Cases" s WHERE s."Id" > :t AND s."Id" <= :t + {batch}""";
        const string report = "src CROSS JOIN LATERAL (SELECT * FROM \"Reports\" f WHERE f.\"CaseId\" = src.\"Id\" ORDER BY f.\"Id\" LIMIT 1) x";
        const string firstEvent = "src JOIN \"CaseEvents\" x ON x.\"CaseId\" = src.\"Id\" AND x.\"Seq\" = 1";
        var before = await ScalarAsync<long>(conn, "SELECT count(*) FROM \"Cases\"");
        var writes = await RunScriptAsync(o, database, $"""
            \set t random(1, {maxId - batch})
            BEGIN;
            WITH src AS MATERIALIZED ({source}),
            c AS ({cases} FROM src RETURNING 1),
            r AS ({reports} FROM {report} RETURNING 1),
            e AS ({events} FROM {firstEvent} RETURNING 1)
            SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM r), (SELECT count(*) FROM e);
            COMMIT;

            """, clients, seconds, prepared: true, "SELECT count(*) FROM \"Cases\"");
        var reads = await RunScriptAsync(o, database, $"""
            \set t random(1, {maxId - batch})
            WITH src AS MATERIALIZED ({source.Replace("nextval(pg_get_serial_sequence('\"Cases\"', 'Id'))", "0::bigint", StringComparison.Ordinal)})
            SELECT (SELECT count(*) FROM src), (SELECT count(*) FROM {report}), (SELECT count(*) FROM {firstEvent});

            """, clients, seconds, prepared: true, "SELECT count(*) FROM \"Cases\"");
        if (writes.Transactions == 0) throw new BenchException("pgbench stored no batch of the intake's rows");
        return (writes, reads, (double)(writes.RowsAfter - before) / writes.Transactions);
    }

    /// <summary>Runs pgbench with a script, measuring the CPU of PostgreSQL, pgbench and anything else.</summary>
    private static async Task<PgbenchResult> RunScriptAsync(BenchOptions o, string database, string scriptText, int clients, int seconds, bool prepared, string countSql)
    {
        var pgbench = FindPgbench(o.Pgbench);
        var b = Builder(o.Pg!, database);
        var script = Path.Combine(Path.GetTempPath(), $"cityops-pgbench-{Environment.ProcessId}.sql");
        await File.WriteAllTextAsync(script, scriptText);
        var threads = Math.Min(2, clients);
        var args = new List<string> { "-n", "-f", script, "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", threads.ToString(CultureInfo.InvariantCulture),
            "-T", seconds.ToString(CultureInfo.InvariantCulture), "-h", b.Host ?? "127.0.0.1", "-p", b.Port.ToString(CultureInfo.InvariantCulture) };
        if (prepared) args.InsertRange(1, ["-M", "prepared"]);
        if (!string.IsNullOrEmpty(b.Username)) args.AddRange(["-U", b.Username]);
        args.Add(database);

        var version = (await RunAsync(pgbench, ["--version"], null)).Output.Trim();
        await ProcCpu.WaitQuietAsync(0.25, o.QuietWaitSeconds);
        Log.Info($"pgbench: {string.Join(' ', args)} ({seconds} s)");
        var cpu0 = CpuSample.Take();
        var tracker = ProcTracker.StartAll();
        var started = Stopwatch.GetTimestamp();
        var (code, output, _) = await RunAsync(pgbench, args, b.Password);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var busy = CpuSample.BusyShare(cpu0, CpuSample.Take());
        var procs = await tracker.StopByPidAsync();
        var pgCores = procs.Where(p => p.Comm == "postgres").Sum(p => p.Seconds) / elapsed;
        var pgbenchCores = procs.Where(p => p.Comm == "pgbench").Sum(p => p.Seconds) / elapsed;
        // Other user processes (builds or tests running beside it); kernel threads are left out, as they mostly do this run's I/O.
        var others = procs.Where(p => p.Comm is not ("postgres" or "pgbench") && !p.Comm.StartsWith("[k]", StringComparison.Ordinal) && p.Pid != Environment.ProcessId)
            .GroupBy(p => p.Comm, StringComparer.Ordinal).Select(g => (Comm: g.Key, Cores: g.Sum(p => p.Seconds) / elapsed))
            .OrderByDescending(x => x.Cores).ToList();
        var other = others.Sum(x => x.Cores);
        var otherTop = string.Join(", ", others.Where(x => x.Cores >= 0.02).Take(4).Select(x => $"{x.Comm} {x.Cores:0.00}"));

        File.Delete(script);
        if (code != 0) throw new BenchException($"pgbench exited with {code}:\n{output}");

        var tps = Match(TpsRegex(), output) ?? throw new BenchException("no 'tps = … (without initial connection time)' line in pgbench output:\n" + output);
        var latency = Match(LatencyRegex(), output) ?? double.NaN;
        var processed = (long)(Match(ProcessedRegex(), output) ?? 0);
        var failed = (long)(Match(FailedRegex(), output) ?? 0);
        var rows = await ScalarAsync<long>(b.ConnectionString, countSql);
        var shown = $"pgbench {string.Join(' ', args.Select(a => a == script ? "script.sql" : a))}";
        Log.Info($"pgbench: tps {tps:0.0}, latency avg {latency:0.00} ms, {processed} transactions, {rows} rows, machine CPU {busy:P0} (postgres {pgCores:0.00}, pgbench {pgbenchCores:0.00}, other {other:0.00} cores)");
        return new PgbenchResult(clients, threads, seconds, tps, latency, processed, failed, rows, busy, pgCores, pgbenchCores, other, otherTop, shown, version);
    }

    private static double? Match(Regex r, string text)
    {
        var m = r.Match(text);
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    private static async Task<(int Code, string Output, TimeSpan Cpu)> RunAsync(string exe, IEnumerable<string> args, string? password)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (!string.IsNullOrEmpty(password)) psi.Environment["PGPASSWORD"] = password;
        using var p = Process.Start(psi) ?? throw new BenchException($"could not start {exe}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr, TimeSpan.Zero);
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsRegex();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex LatencyRegex();

    [GeneratedRegex(@"number of transactions actually processed: ([0-9]+)")]
    private static partial Regex ProcessedRegex();

    [GeneratedRegex(@"number of failed transactions: ([0-9]+)")]
    private static partial Regex FailedRegex();
}
