using System.Collections.Concurrent;
using System.Data.Common;
using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Cases.Calendar;
using CityOps.Server.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Evaluation;

/// <summary>
/// Reads the case record of a period and folds it through <see cref="CaseTally"/>. The period's
/// cases are those reported in it; their events count up to the period's end. A period that has
/// ended cannot change any more (every new event is stamped later), so its counts are kept.
/// </summary>
public sealed class EvaluationService(TimeProvider clock, IOptions<CalendarOptions> calendar, ILogger<EvaluationService> log)
{
    /// <summary>Moves are stamped before they commit; a period is final this long after its end.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(2);
    private const int Kept = 32;
    /// <summary>From this many cases a PostgreSQL period is read in two halves at once.</summary>
    private const int ParallelFrom = 20_000;

    private static readonly string[] Actions =
        ["report", "register", "void", "dispatch", "return", "recall", "submit", "confirm", "rework", "verify", "close", "callback", "overdue", "supervise", "approve", "factcheck-report", "verify-report"];
    private static readonly DateTimeOffsetToBinaryConverter Binary = new();
    private static readonly Dictionary<string, CaseState> States = Enum.GetValues<CaseState>().ToDictionary(s => s.ToString());

    private readonly ConcurrentDictionary<(DateTimeOffset, DateTimeOffset), Scoreboard> _final = new();

    public TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(calendar.Value.TimeZone);

    public DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), Zone).DateTime);

    public async Task<Scoreboard> TallyAsync(CityOpsDb db, Period p, CancellationToken ct)
    {
        var final = p.To + Settle <= clock.GetUtcNow();
        if (final && _final.TryGetValue((p.From, p.To), out var kept)) return kept;
        var started = clock.GetTimestamp();
        var (parts, cases, events) = await FoldAsync(db, p, () => new Scoreboard(), ct);
        var board = parts[0];
        foreach (var other in parts.Skip(1)) board.Merge(other);
        (board.Cases, board.Events) = (cases, events);
        log.LogInformation("Evaluated {Period}: {Cases} cases, {Events} events in {Elapsed}", p.Label, cases, events, clock.GetElapsedTime(started));
        if (final)
        {
            if (_final.Count >= Kept) _final.Clear();
            _final[(p.From, p.To)] = board;
        }
        return board;
    }

    /// <summary>The cases behind one count of one subject, with how much each adds, in case order.</summary>
    public async Task<List<(long CaseId, long Amount)>> DrillAsync(CityOpsDb db, Period p, Subject subject, Counter counter, CancellationToken ct)
    {
        var (parts, _, _) = await FoldAsync(db, p, () => new DrillDown(subject, counter), ct);
        return parts.SelectMany(d => d.Cases).ToList();
    }

    /// <summary>
    /// Reads the period's cases, then their events by case id range along the (case, seq) index, so
    /// the database neither joins nor sorts; on PostgreSQL a large period is read in two halves on
    /// two connections at once, each folded into its own sink.
    /// </summary>
    private async Task<(List<TSink> Sinks, int Cases, int Events)> FoldAsync<TSink>(CityOpsDb db, Period p, Func<TSink> newSink, CancellationToken ct)
        where TSink : ITallySink
    {
        var sqlite = db.IsSqlite;
        var patrols = await PatrolsAsync(db, ct);
        var heads = new List<CaseHead>();
        var conn = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = Command(conn, sqlite, p,
                """SELECT "Id", "ReportedAt", "CellId", "CommunityId", "SubdistrictId", "DistrictId" FROM "Cases" WHERE "ReportedAt" >= @f AND "ReportedAt" < @t ORDER BY "Id" """);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                heads.Add(new(r.GetInt64(0), Time(r, 1, sqlite), Int(r, 2), Int(r, 3), Int(r, 4), Int(r, 5)));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        var parts = sqlite || heads.Count < ParallelFrom ? 1 : 2;
        var size = (heads.Count + parts - 1) / Math.Max(1, parts);
        var chunks = Enumerable.Range(0, parts).Select(i => heads.GetRange(i * size, Math.Min(size, heads.Count - i * size))).ToList();
        var options = db.GetService<IDbContextOptions>();
        var sinks = chunks.Select(_ => newSink()).ToList();
        var counts = await Task.WhenAll(chunks.Select(async (chunk, i) =>
        {
            if (i == 0) return await FoldPartAsync(db, sqlite, p, chunk, new CaseTally(patrols), sinks[i], ct);
            await using var own = new CityOpsDb((DbContextOptions<CityOpsDb>)options);
            return await FoldPartAsync(own, sqlite, p, chunk, new CaseTally(patrols), sinks[i], ct);
        }));
        return (sinks, heads.Count, counts.Sum());
    }

    private static async Task<int> FoldPartAsync(CityOpsDb db, bool sqlite, Period p, List<CaseHead> heads, CaseTally tally, ITallySink sink, CancellationToken ct)
    {
        if (heads.Count == 0) return 0;
        var conn = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var inList = string.Join(", ", Actions.Select(a => $"'{a}'"));
            // Only what the tally reads: who acted where it matters, the state left only for returns, rework and 督办, data only where it holds a fact.
            await using var ev = Command(conn, sqlite, p,
                $"""
                SELECT e."CaseId", e."At", e."Action",
                       CASE WHEN e."Action" IN ('report', 'register', 'dispatch', 'submit', 'rework', 'verify', 'close', 'factcheck-report', 'verify-report') THEN e."ActorId" END,
                       CASE WHEN e."Action" IN ('return', 'rework', 'supervise') THEN e."FromState" END,
                       e."UnitId",
                       CASE WHEN e."Action" IN ('register', 'dispatch', 'confirm', 'rework', 'verify', 'close', 'callback', 'overdue', 'approve', 'factcheck-report', 'verify-report') THEN e."Data" END
                FROM "CaseEvents" e
                WHERE e."CaseId" >= @lo AND e."CaseId" <= @hi AND e."At" < @t AND e."Action" IN ({inList})
                ORDER BY e."CaseId", e."Seq"
                """, ("lo", heads[0].Id), ("hi", heads[^1].Id));
            ev.CommandTimeout = 600;
            await using var er = await ev.ExecuteReaderAsync(ct);
            var buffer = new List<EventFact>(32);
            var (next, events) = (0, 0);
            long current = -1;
            void Flush()
            {
                // Cases come in id order, events in case order: walk both together. Events of a case
                // reported outside the period (an id inside the range) are dropped here.
                while (next < heads.Count && heads[next].Id < current) tally.Tally(heads[next++], [], sink);
                if (next < heads.Count && heads[next].Id == current) tally.Tally(heads[next++], System.Runtime.InteropServices.CollectionsMarshal.AsSpan(buffer), sink);
                buffer.Clear();
            }
            while (await er.ReadAsync(ct))
            {
                var caseId = er.GetInt64(0);
                if (caseId != current)
                {
                    if (current >= 0) Flush();
                    current = caseId;
                }
                var from = er.IsDBNull(4) ? (CaseState?)null : States.GetValueOrDefault(er.GetString(4));
                buffer.Add(new(Time(er, 1, sqlite), er.GetString(2), er.IsDBNull(3) ? null : er.GetString(3), from, Int(er, 5), er.IsDBNull(6) ? null : er.GetString(6)));
                events++;
            }
            if (current >= 0) Flush();
            for (; next < heads.Count; next++) tally.Tally(heads[next], [], sink);
            return events;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<Patrols> PatrolsAsync(CityOpsDb db, CancellationToken ct)
    {
        var inspectors = await (from u in db.Users
                                join ur in db.UserRoles on u.Id equals ur.UserId
                                join role in db.Roles on ur.RoleId equals role.Id
                                where role.Name == Roles.Inspector
                                select new { u.Id, u.AreaId }).ToListAsync(ct);
        return new Patrols(inspectors.DistinctBy(i => i.Id).ToDictionary(i => i.Id, i => i.AreaId));
    }

    private static DbCommand Command(DbConnection conn, bool sqlite, Period p, string sql, params (string Name, long Value)[] ids)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in new[] { ("f", p.From), ("t", p.To) })
        {
            var param = cmd.CreateParameter();
            param.ParameterName = name;
            param.Value = sqlite ? Binary.ConvertToProvider(value)! : value;
            cmd.Parameters.Add(param);
        }
        foreach (var (name, value) in ids)
        {
            var param = cmd.CreateParameter();
            param.ParameterName = name;
            param.Value = value;
            cmd.Parameters.Add(param);
        }
        return cmd;
    }

    private static DateTimeOffset Time(DbDataReader r, int i, bool sqlite) =>
        sqlite ? (DateTimeOffset)Binary.ConvertFromProvider(r.GetInt64(i))! : r.GetFieldValue<DateTimeOffset>(i);

    private static int? Int(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
}
