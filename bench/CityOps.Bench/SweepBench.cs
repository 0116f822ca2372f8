using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using CityOps.Server.Data;
using CityOps.Server.Features.Supervision;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace CityOps.Bench;

/// <summary>One timed series of calls (milliseconds each).</summary>
public sealed record TimedSeries(string Name, int Reps, double P50, double P95, double Max, double Min, int Returned)
{
    public static TimedSeries From(string name, IReadOnlyList<double> ms, int returned)
    {
        var a = ms.Order().ToArray();
        return new TimedSeries(name, a.Length, Stats.Percentile(a, 50), Stats.Percentile(a, 95), a[^1], a[0], returned);
    }
}

/// <summary>One query of FindDueAsync as EF sent it, with PostgreSQL's plan and timing for it.</summary>
public sealed record ExplainedQuery(string Sql, string Parameters, IReadOnlyList<string> Plan);

public sealed record SweepResult(
    string PostgresInfo, string Database, double StartupSeconds, int Cases, int Due, int DueOverdue, int DueWarning,
    IReadOnlyList<(string Kind, int Count)> Mix, double FillSeconds, string TableSize, int Batch,
    TimedSeries FindDue, TimedSeries FindDueDefaultBatch, int DefaultBatch, TimedSeries Count, bool ExactMatch, int Missing, int Extra,
    IReadOnlyList<ExplainedQuery> Plans, IReadOnlyList<string> ExtraColumns, double MachineBusy, double OtherCores, string OtherTop,
    IReadOnlyList<string> ServerProblems);

/// <summary>
/// DeadlineSweeper.FindDueAsync over a table of open cases in PostgreSQL: the server creates the
/// schema and reference data, the cases are bulk-loaded with COPY, then the sweep query is timed in
/// process through the server's own CityOpsDb configuration.
/// </summary>
public static class SweepBench
{
    private const int Warmup = 5;

    private enum Kind { Future, Warned, OverdueRaised, Stopped, DueWarning, DueOverdue, DueBoth }

    public static async Task<SweepResult> RunAsync(BenchOptions o)
    {
        var dll = ServerProcess.FindDll(o.ServerDll);
        var pgInfo = await Postgres.DescribeAsync(o.Pg!);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture);
        var database = $"cityops_sweep_{stamp}";
        var conn = Postgres.Builder(o.Pg!, database).ConnectionString;
        var logPath = Path.Combine(Path.GetTempPath(), $"cityops-bench-sweep-{stamp}.log");
        var problems = new List<string>();
        await Postgres.CreateDatabaseAsync(o.Pg!, database);
        try
        {
            // 1. The real schema and seed: start the server once on the fresh database, then stop it.
            Log.Info($"sweep: starting the server on {database} to migrate and seed (log {logPath})");
            var server = await ServerProcess.StartAsync(dll, conn, new Dictionary<string, string>(), logPath);
            var startup = server.StartupTime.TotalSeconds;
            await server.DisposeAsync();
            problems.AddRange(server.Problems());
            Log.Info($"sweep: schema ready after {startup:0.0} s; server stopped");

            // 2. The cases, by COPY.
            var now = DateTimeOffset.UtcNow;
            now = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
            var kinds = Plan(o.SweepCases, o.SweepDue);
            var sw = Stopwatch.StartNew();
            var extraColumns = await FillAsync(conn, kinds, now);
            await Postgres.ExecAsync(conn, "ANALYZE \"Cases\"");
            var fill = sw.Elapsed.TotalSeconds;
            var size = await Postgres.ScalarAsync<string>(conn, "SELECT pg_size_pretty(pg_total_relation_size('\"Cases\"'))");
            var rows = await Postgres.ScalarAsync<long>(conn, "SELECT count(*) FROM \"Cases\"");
            if (rows != o.SweepCases) throw new BenchException($"expected {o.SweepCases} cases after COPY, found {rows}");
            Log.Info($"sweep: {rows:N0} cases copied and analysed in {fill:0.0} s ({size} with indexes)");
            var dueOverdue = kinds.Count(k => k is Kind.DueOverdue or Kind.DueBoth);
            var dueWarning = kinds.Count(k => k == Kind.DueWarning);
            var expected = new HashSet<long>();
            await using (var c = new NpgsqlConnection(conn))
            {
                await c.OpenAsync();
                // Ids are assigned in COPY order, so the due rows are found by their description marker.
                await using var cmd = new NpgsqlCommand("SELECT \"Id\" FROM \"Cases\" WHERE \"Description\" LIKE '%[due]'", c);
                await using var r = await cmd.ExecuteReaderAsync();
                while (await r.ReadAsync()) expected.Add(r.GetInt64(0));
            }
            if (expected.Count != o.SweepDue) throw new BenchException($"expected {o.SweepDue} due rows, found {expected.Count}");

            // 3. FindDueAsync in process, through the server's own configuration of the context.
            var capture = new CommandCapture();
            var options = new DbContextOptionsBuilder<CityOpsDb>();
            DatabaseSetup.Configure(options, "Postgres", conn);
            options.AddInterceptors(capture);

            await ProcCpu.WaitQuietAsync(0.25, o.QuietWaitSeconds);
            var cpu0 = CpuSample.Take();
            var tracker = ProcTracker.StartAll();
            var t0 = Stopwatch.GetTimestamp();

            List<long> found = [];
            var findTimes = new List<double>();
            var defaultTimes = new List<double>();
            var countTimes = new List<double>();
            var defaultBatch = new SupervisionOptions().BatchSize;
            var defaultReturned = 0;
            await using (var db = new CityOpsDb(options.Options))
            await using (var raw = new NpgsqlConnection(conn))
            {
                await raw.OpenAsync();
                await using var count = new NpgsqlCommand("SELECT count(*) FROM \"Cases\"", raw);
                for (var i = 0; i < Warmup; i++)
                {
                    await DeadlineSweeper.FindDueAsync(db, now, o.SweepBatch, CancellationToken.None);
                    await DeadlineSweeper.FindDueAsync(db, now, defaultBatch, CancellationToken.None);
                    await count.ExecuteScalarAsync();
                }
                for (var i = 0; i < o.SweepReps; i++)
                {
                    // Interleaved, so machine noise hits all alike.
                    var t = Stopwatch.GetTimestamp();
                    found = await DeadlineSweeper.FindDueAsync(db, now, o.SweepBatch, CancellationToken.None);
                    findTimes.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    t = Stopwatch.GetTimestamp();
                    defaultReturned = (await DeadlineSweeper.FindDueAsync(db, now, defaultBatch, CancellationToken.None)).Count;
                    defaultTimes.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    t = Stopwatch.GetTimestamp();
                    await count.ExecuteScalarAsync();
                    countTimes.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
            }
            var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var busy = CpuSample.BusyShare(cpu0, CpuSample.Take());
            var others = (await tracker.StopByPidAsync())
                .Where(p => p.Pid != Environment.ProcessId && p.Comm != "postgres" && !p.Comm.StartsWith("[k]", StringComparison.Ordinal))
                .GroupBy(p => p.Comm, StringComparer.Ordinal).Select(g => (Comm: g.Key, Cores: g.Sum(p => p.Seconds) / seconds))
                .OrderByDescending(x => x.Cores).ToList();
            var otherCores = others.Sum(x => x.Cores);
            var otherTop = string.Join(", ", others.Where(x => x.Cores >= 0.02).Take(4).Select(x => $"{x.Comm} {x.Cores:0.00}"));

            var foundSet = found.ToHashSet();
            var missing = expected.Count(id => !foundSet.Contains(id));
            var extra = foundSet.Count(id => !expected.Contains(id));
            var exact = missing == 0 && extra == 0 && found.Count == expected.Count;
            var findDue = TimedSeries.From($"DeadlineSweeper.FindDueAsync(db, now, {o.SweepBatch}, ct)", findTimes, found.Count);
            var findDefault = TimedSeries.From($"FindDueAsync with the server's BatchSize {defaultBatch} (info)", defaultTimes, defaultReturned);
            var countSeries = TimedSeries.From("SELECT count(*) FROM \"Cases\" (baseline)", countTimes, (int)rows);
            Log.Info($"sweep: FindDueAsync returned {found.Count} ids ({(exact ? "exactly the due ones" : $"MISMATCH: {missing} missing, {extra} extra")}); p50 {findDue.P50:0.00} ms, p95 {findDue.P95:0.00} ms, max {findDue.Max:0.00} ms");
            Log.Info($"sweep: batch {defaultBatch}: {defaultReturned} ids, p50 {findDefault.P50:0.00} ms; count(*): p50 {countSeries.P50:0.00} ms, p95 {countSeries.P95:0.00} ms");

            // 4. The plans of the two queries, as EF sent them.
            var plans = new List<ExplainedQuery>();
            foreach (var (sql, parameters) in capture.Distinct().Take(4))
            {
                await using var c = new NpgsqlConnection(conn);
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS) " + sql, c);
                foreach (var p in parameters) cmd.Parameters.Add(p.Clone());
                var plan = new List<string>();
                await using (var r = await cmd.ExecuteReaderAsync())
                    while (await r.ReadAsync()) plan.Add(r.GetString(0));
                plans.Add(new ExplainedQuery(sql, string.Join(", ", parameters.Select(p => $"{p.ParameterName} = {Show(p.Value)}")), plan));
            }

            var mix = kinds.GroupBy(k => k).OrderBy(g => g.Key).Select(g => (Describe(g.Key), g.Count())).ToList();
            return new SweepResult(pgInfo, database, startup, o.SweepCases, o.SweepDue, dueOverdue, dueWarning, mix, fill, size, o.SweepBatch,
                findDue, findDefault, defaultBatch, countSeries, exact, missing, extra, plans, extraColumns, busy, otherCores, otherTop, problems);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (!o.KeepDb) await Postgres.DropDatabaseAsync(o.Pg!, database);
            else Log.Info($"sweep: kept database {database}");
        }
    }

    private static string Show(object? v) => v switch
    {
        DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        null => "null",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };

    private static string Describe(Kind k) => k switch
    {
        Kind.Future => "clock running, warning and deadline ahead",
        Kind.Warned => "warning passed and raised, deadline ahead",
        Kind.OverdueRaised => "warning and deadline passed, both raised",
        Kind.Stopped => "no running clock (handled, awaiting confirmation: due times null)",
        Kind.DueWarning => "**due**: warning passed, not raised; deadline ahead",
        Kind.DueOverdue => "**due**: deadline passed, not raised; warning raised earlier",
        Kind.DueBoth => "**due**: warning and deadline both passed, neither raised",
        _ => k.ToString(),
    };

    /// <summary>The kind of each case, shuffled: ~80 % ahead, ~10 % warned, ~7 % overdue and raised, ~2 % stopped, the due ones.</summary>
    private static Kind[] Plan(int cases, int due)
    {
        var kinds = new Kind[cases];
        var dueWarning = due / 2;
        var dueBoth = (due - dueWarning) / 2;
        var dueOverdue = due - dueWarning - dueBoth;
        var rest = cases - due;
        var warned = rest / 10;
        var overdue = rest * 7 / 100;
        var stopped = rest * 2 / 100;
        var i = 0;
        void Fill(Kind k, int n) { for (var j = 0; j < n; j++) kinds[i++] = k; }
        Fill(Kind.DueWarning, dueWarning);
        Fill(Kind.DueBoth, dueBoth);
        Fill(Kind.DueOverdue, dueOverdue);
        Fill(Kind.Warned, warned);
        Fill(Kind.OverdueRaised, overdue);
        Fill(Kind.Stopped, stopped);
        Fill(Kind.Future, cases - i);
        new Random(1000).Shuffle(kinds);
        return kinds;
    }

    /// <summary>
    /// COPY (binary) of the cases into "Cases". Columns are set explicitly where they matter; any other
    /// NOT NULL column without a default (a column added since this was written) gets its type's zero and is reported.
    /// </summary>
    private static async Task<List<string>> FillAsync(string conn, Kind[] kinds, DateTimeOffset now)
    {
        await using var c = new NpgsqlConnection(conn);
        await c.OpenAsync();

        // Reference rows the foreign keys need, from the seed.
        var channel = (int)(await new NpgsqlCommand("SELECT min(\"Id\") FROM \"Channels\"", c).ExecuteScalarAsync())!;
        var conditions = new List<(int Category, int Condition)>();
        await using (var cmd = new NpgsqlCommand("SELECT \"CategoryId\", \"Id\" FROM \"RegistrationConditions\" ORDER BY \"Id\"", c))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) conditions.Add((r.GetInt32(0), r.GetInt32(1)));
        var units = new List<int>();
        await using (var cmd = new NpgsqlCommand("SELECT \"Id\" FROM \"Units\" WHERE \"Kind\" IN ('Department', 'EnforcementSquad', 'Territory') ORDER BY \"Id\"", c))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) units.Add(r.GetInt32(0));
        if (conditions.Count == 0 || units.Count == 0) throw new BenchException("the seeded database has no registration conditions or units");

        var columns = new List<(string Name, string Type, bool Nullable, bool HasDefault)>();
        await using (var cmd = new NpgsqlCommand(
            "SELECT column_name, data_type, is_nullable = 'YES', column_default IS NOT NULL OR is_identity = 'YES' FROM information_schema.columns WHERE table_name = 'Cases' AND table_schema = current_schema() ORDER BY ordinal_position", c))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) columns.Add((r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetBoolean(3)));

        var rng = new Random(42);
        var row = new Row();
        // What each column gets; the row's fields are set per case before writing.
        var known = new Dictionary<string, (NpgsqlDbType Type, Func<object?> Value)>(StringComparer.Ordinal)
        {
            ["Key"] = (NpgsqlDbType.Uuid, () => Guid.NewGuid()),
            ["ChannelId"] = (NpgsqlDbType.Integer, () => channel),
            ["CategoryId"] = (NpgsqlDbType.Integer, () => row.Category),
            ["ConditionId"] = (NpgsqlDbType.Integer, () => row.Condition),
            ["AssignedUnitId"] = (NpgsqlDbType.Integer, () => row.Unit),
            ["Description"] = (NpgsqlDbType.Varchar, () => row.Description),
            ["Lat"] = (NpgsqlDbType.Double, () => row.Lat),
            ["Lon"] = (NpgsqlDbType.Double, () => row.Lon),
            ["State"] = (NpgsqlDbType.Varchar, () => row.State),
            ["Pending"] = (NpgsqlDbType.Varchar, () => "None"),
            ["RoutingReason"] = (NpgsqlDbType.Varchar, () => "RoutingTable"),
            ["ReportedAt"] = (NpgsqlDbType.TimestampTz, () => row.Reported.UtcDateTime),
            ["RegisteredAt"] = (NpgsqlDbType.TimestampTz, () => row.Reported.AddMinutes(10).UtcDateTime),
            ["DispatchedAt"] = (NpgsqlDbType.TimestampTz, () => row.SegmentStart.UtcDateTime),
            ["UpdatedAt"] = (NpgsqlDbType.TimestampTz, () => row.SegmentStart.UtcDateTime),
            ["ClaimedById"] = (NpgsqlDbType.Varchar, () => "bench-operator"),
            ["ReportCount"] = (NpgsqlDbType.Integer, () => 1),
            ["LastEventSeq"] = (NpgsqlDbType.Integer, () => 4),
            ["LastEventHash"] = (NpgsqlDbType.Varchar, () => row.Hash),
            ["Version"] = (NpgsqlDbType.Integer, () => 4),
            ["Clock_Step"] = (NpgsqlDbType.Varchar, () => row.Kind == Kind.Stopped ? null : "handle"),
            ["Clock_Unit"] = (NpgsqlDbType.Varchar, () => "WorkingHours"),
            ["Clock_Limit"] = (NpgsqlDbType.Double, () => row.LimitHours),
            ["Clock_SegmentStart"] = (NpgsqlDbType.TimestampTz, () => row.Kind == Kind.Stopped ? null : row.SegmentStart.UtcDateTime),
            ["Clock_UsedBefore"] = (NpgsqlDbType.Double, () => 0.0),
            ["Clock_WarnAt"] = (NpgsqlDbType.TimestampTz, () => row.Kind == Kind.Stopped ? null : row.WarnAt.UtcDateTime),
            ["Clock_DueAt"] = (NpgsqlDbType.TimestampTz, () => row.Kind == Kind.Stopped ? null : row.DueAt.UtcDateTime),
            ["Clock_Paused"] = (NpgsqlDbType.Boolean, () => false),
            ["Clock_WarningRaised"] = (NpgsqlDbType.Boolean, () => row.Kind is Kind.Warned or Kind.OverdueRaised or Kind.DueOverdue),
            ["Clock_OverdueRaised"] = (NpgsqlDbType.Boolean, () => row.Kind == Kind.OverdueRaised),
            ["Clock_Number"] = (NpgsqlDbType.Integer, () => 1),
        };
        var missingKnown = known.Keys.Where(k => columns.All(col => col.Name != k)).ToList();
        if (missingKnown.Count > 0) throw new BenchException("the Cases table has no column " + string.Join(", ", missingKnown) + "; update SweepBench");
        var extra = new List<string>();
        var write = new List<(string Name, NpgsqlDbType Type, Func<object?> Value)>();
        foreach (var col in columns)
        {
            if (known.TryGetValue(col.Name, out var k)) write.Add((col.Name, k.Type, k.Value));
            else if (!col.Nullable && !col.HasDefault)
            {
                var zero = Zero(col.Type) ?? throw new BenchException($"Cases.{col.Name} ({col.Type}) is NOT NULL and unknown to SweepBench");
                write.Add((col.Name, zero.Type, () => zero.Value));
                extra.Add($"{col.Name} ({col.Type})");
            }
        }
        if (extra.Count > 0) Log.Info($"sweep: NOT NULL columns unknown to the bench, filled with zeros: {string.Join(", ", extra)}");

        var copy = $"COPY \"Cases\" ({string.Join(", ", write.Select(w => "\"" + w.Name + "\""))}) FROM STDIN (FORMAT BINARY)";
        await using (var importer = await c.BeginBinaryImportAsync(copy))
        {
            foreach (var kind in kinds)
            {
                var (category, condition) = conditions[rng.Next(conditions.Count)];
                row.Kind = kind;
                (row.Category, row.Condition, row.Unit) = (category, condition, units[rng.Next(units.Count)]);
                row.Lat = Math.Round(24.40 + rng.NextDouble() * 0.2, 6);
                row.Lon = Math.Round(118.00 + rng.NextDouble() * 0.25, 6);
                row.LimitHours = rng.Next(1, 9) * 4;
                // Times relative to now: the warning and deadline are ahead, or passed, per kind.
                TimeSpan Minutes(int lo, int hi) => TimeSpan.FromMinutes(rng.Next(lo, hi));
                (row.WarnAt, row.DueAt) = kind switch
                {
                    Kind.Future or Kind.Stopped => (now + Minutes(5, 5 * 24 * 60), DateTimeOffset.MinValue),
                    Kind.Warned or Kind.DueWarning => (now - Minutes(1, 24 * 60), now + Minutes(5, 3 * 24 * 60)),
                    _ => (now - Minutes(2 * 24 * 60, 20 * 24 * 60), now - Minutes(1, 2 * 24 * 60)),
                };
                if (row.DueAt == DateTimeOffset.MinValue) row.DueAt = row.WarnAt + Minutes(30, 2 * 24 * 60);
                row.SegmentStart = row.WarnAt - Minutes(60, 4 * 24 * 60);
                row.Reported = row.SegmentStart - Minutes(15, 120);
                row.State = kind == Kind.Stopped ? "Handled" : rng.Next(3) == 0 ? "Handling" : "Dispatched";
                row.Description = "压测：道路井盖松动，请尽快处理" + (kind is Kind.DueWarning or Kind.DueOverdue or Kind.DueBoth ? " [due]" : "");
                row.Hash = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

                await importer.StartRowAsync();
                foreach (var (_, type, value) in write)
                {
                    var v = value();
                    if (v is null) await importer.WriteNullAsync();
                    else await importer.WriteAsync(v, type);
                }
            }
            await importer.CompleteAsync();
        }
        return extra;
    }

    private static (NpgsqlDbType Type, object Value)? Zero(string dataType) => dataType switch
    {
        "integer" => (NpgsqlDbType.Integer, 0),
        "bigint" => (NpgsqlDbType.Bigint, 0L),
        "smallint" => (NpgsqlDbType.Smallint, (short)0),
        "boolean" => (NpgsqlDbType.Boolean, false),
        "double precision" => (NpgsqlDbType.Double, 0.0),
        "real" => (NpgsqlDbType.Real, 0f),
        "numeric" => (NpgsqlDbType.Numeric, 0m),
        "text" => (NpgsqlDbType.Text, ""),
        "character varying" => (NpgsqlDbType.Varchar, ""),
        "uuid" => (NpgsqlDbType.Uuid, Guid.Empty),
        "timestamp with time zone" => (NpgsqlDbType.TimestampTz, DateTime.UnixEpoch),
        _ => null,
    };

    private sealed class Row
    {
        public Kind Kind;
        public int Category, Condition, Unit;
        public double Lat, Lon, LimitHours;
        public DateTimeOffset WarnAt, DueAt, SegmentStart, Reported;
        public string State = "", Description = "", Hash = "";
    }

    /// <summary>Keeps the text and parameters of the queries EF sends, to EXPLAIN them afterwards.</summary>
    private sealed class CommandCapture : DbCommandInterceptor
    {
        private readonly List<(string Sql, NpgsqlParameter[] Parameters)> _seen = [];

        public IEnumerable<(string Sql, NpgsqlParameter[] Parameters)> Distinct()
        {
            lock (_seen) return _seen.DistinctBy(s => s.Sql, StringComparer.Ordinal).ToList();
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            lock (_seen)
            {
                if (_seen.Count < 16)
                    _seen.Add((command.CommandText, command.Parameters.Cast<NpgsqlParameter>().Select(p => p.Clone()).ToArray()));
            }
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
