using System.Collections.Concurrent;
using System.Data.Common;
using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Cases.Calendar;
using CityOps.Server.Features.Users;
using Microsoft.EntityFrameworkCore;
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

    private static readonly string[] Actions =
        ["report", "register", "void", "dispatch", "return", "submit", "confirm", "rework", "close", "callback", "overdue", "supervise", "approve", "factcheck-report", "verify-report"];
    private static readonly DateTimeOffsetToBinaryConverter Binary = new();
    private static readonly Dictionary<string, CaseState> States = Enum.GetValues<CaseState>().ToDictionary(s => s.ToString());

    private readonly ConcurrentDictionary<(DateTimeOffset, DateTimeOffset), Scoreboard> _final = new();

    public TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(calendar.Value.TimeZone);

    public DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), Zone).DateTime);

    public async Task<Scoreboard> TallyAsync(CityOpsDb db, Period p, CancellationToken ct)
    {
        var final = p.To + Settle <= clock.GetUtcNow();
        if (final && _final.TryGetValue((p.From, p.To), out var kept)) return kept;
        var board = new Scoreboard();
        var started = clock.GetTimestamp();
        (board.Cases, board.Events) = await FoldAsync(db, p, board, ct);
        log.LogInformation("Evaluated {Period}: {Cases} cases, {Events} events in {Elapsed}", p.Label, board.Cases, board.Events, clock.GetElapsedTime(started));
        if (final)
        {
            if (_final.Count >= Kept) _final.Clear();
            _final[(p.From, p.To)] = board;
        }
        return board;
    }

    /// <summary>The cases behind one count of one subject, with how much each adds.</summary>
    public async Task<List<(long CaseId, long Amount)>> DrillAsync(CityOpsDb db, Period p, Subject subject, Counter counter, CancellationToken ct)
    {
        var drill = new DrillDown(subject, counter);
        await FoldAsync(db, p, drill, ct);
        return drill.Cases;
    }

    private async Task<(int Cases, int Events)> FoldAsync(CityOpsDb db, Period p, ITallySink sink, CancellationToken ct)
    {
        var sqlite = db.IsSqlite;
        var tally = new CaseTally(await PatrolsAsync(db, ct));
        var conn = db.Database.GetDbConnection();
        var opened = conn.State != System.Data.ConnectionState.Open;
        if (opened) await conn.OpenAsync(ct);
        try
        {
            var heads = new List<CaseHead>();
            await using (var cmd = Command(conn, sqlite, p,
                """SELECT "Id", "ReportedAt", "CellId", "CommunityId", "SubdistrictId", "DistrictId" FROM "Cases" WHERE "ReportedAt" >= @f AND "ReportedAt" < @t ORDER BY "Id" """))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct))
                    heads.Add(new(r.GetInt64(0), Time(r, 1, sqlite), Int(r, 2), Int(r, 3), Int(r, 4), Int(r, 5)));

            var inList = string.Join(", ", Actions.Select(a => $"'{a}'"));
            await using var ev = Command(conn, sqlite, p,
                $"""
                SELECT e."CaseId", e."At", e."Action", e."ActorId", e."FromState", e."UnitId",
                       CASE WHEN e."Action" IN ('report', 'submit', 'return', 'rework', 'close', 'void', 'supervise') THEN NULL ELSE e."Data" END
                FROM "CaseEvents" e JOIN "Cases" c ON c."Id" = e."CaseId"
                WHERE c."ReportedAt" >= @f AND c."ReportedAt" < @t AND e."At" < @t AND e."Action" IN ({inList})
                ORDER BY e."CaseId", e."Seq"
                """);
            await using var er = await ev.ExecuteReaderAsync(ct);
            var buffer = new List<EventFact>(32);
            var (next, events) = (0, 0);
            long current = -1;
            void Flush()
            {
                // Cases come in id order, events in case order: walk both together.
                while (next < heads.Count && heads[next].Id < current) tally.Tally(heads[next], [], sink);
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
            return (heads.Count, events);
        }
        finally
        {
            if (opened) await conn.CloseAsync();
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

    private static DbCommand Command(DbConnection conn, bool sqlite, Period p, string sql)
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
        return cmd;
    }

    private static DateTimeOffset Time(DbDataReader r, int i, bool sqlite) =>
        sqlite ? (DateTimeOffset)Binary.ConvertFromProvider(r.GetInt64(i))! : r.GetFieldValue<DateTimeOffset>(i);

    private static int? Int(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
}
