using System.Text.Json;
using CityOps.Server.Data;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Evaluation;

/// <summary>Evaluation results as the API, the screens and the exports show them.</summary>
public static class EvaluationViews
{
    public sealed record SchemeRef(int Id, string Name, DateOnly EffectiveFrom);
    public sealed record PeriodView(string Label, DateOnly First, DateOnly Last, DateTimeOffset From, DateTimeOffset To);
    public sealed record Row(int? Rank, string Subject, string Code, string Name, string Kind, IReadOnlyDictionary<string, long> Counts,
        IReadOnlyDictionary<string, double?> Rates, double? AverageHandlingHours, Score? Score);
    public sealed record Table(PeriodView Period, SchemeRef? Scheme, int Cases, int Events, IReadOnlyList<Row> Rows);

    /// <summary>Who a row is about: code, name and kind, for every subject of one kind.</summary>
    public sealed record Named(Subject Subject, string Code, string Name, string Kind);

    public static PeriodView View(Period p) => new(p.Label, p.First, p.Last, p.From, p.To);

    public static SchemeRef Ref(EvaluationScheme s) => new(s.Id, s.Name, s.EffectiveFrom);

    /// <summary>The scheme in force on the first day of the period: the latest to take effect by then.</summary>
    public static Task<EvaluationScheme?> SchemeForAsync(CityOpsDb db, Period p, CancellationToken ct) =>
        db.EvaluationSchemes.AsNoTracking().Where(s => s.EffectiveFrom <= p.First)
            .OrderByDescending(s => s.EffectiveFrom).ThenByDescending(s => s.Id).FirstOrDefaultAsync(ct);

    public static Table Build(Period p, EvaluationScheme? scheme, Scoreboard board, IEnumerable<Named> subjects, bool scored)
    {
        var definition = scored ? scheme?.Parse() : null;
        var rows = subjects.Select(n => (n, v: board.Get(n.Subject)))
            .Select(x => new Row(null, x.n.Subject.ToString(), x.n.Code, x.n.Name, x.n.Kind, Counts(x.v, scored), Rates(x.v, scored),
                scored ? Round(Indicators.AverageHandlingHours(x.v)) : null, definition is null ? null : SchemeRules.Score(definition, x.v)))
            .OrderByDescending(r => r.Score?.Final ?? -1).ThenByDescending(r => r.Counts.GetValueOrDefault(scored ? "shouldHandle" : "registeredBy"))
            .ThenBy(r => r.Code, StringComparer.Ordinal)
            .ToList();
        var rank = 0;
        var ranked = rows.Select(r => r.Score?.Final is null ? r : r with { Rank = ++rank }).ToList();
        return new Table(View(p), scheme is null ? null : Ref(scheme), board.Cases, board.Events, ranked);
    }

    public static async Task<List<Named>> UnitsAsync(CityOpsDb db, CancellationToken ct) =>
        (await db.Units.AsNoTracking().OrderBy(u => u.Code).Select(u => new { u.Id, u.Code, u.NameZh, u.NameEn, u.Kind }).ToListAsync(ct))
        .Select(u => new Named(Subject.Unit(u.Id), u.Code, Messages.Pick(u.NameZh, u.NameEn), u.Kind.ToString())).ToList();

    public static async Task<List<Named>> AreasAsync(CityOpsDb db, AreaLevel level, CancellationToken ct) =>
        (await db.Areas.AsNoTracking().Where(a => a.Level == level).OrderBy(a => a.Code).Select(a => new { a.Id, a.Code, a.Name, a.NameEn }).ToListAsync(ct))
        .Select(a => new Named(Subject.Area(a.Id), a.Code, Messages.Pick(a.Name, a.NameEn), level.ToString())).ToList();

    public static async Task<List<Named>> PeopleAsync(CityOpsDb db, string role, CancellationToken ct) =>
        (await (from u in db.Users
                join ur in db.UserRoles on u.Id equals ur.UserId
                join r in db.Roles on ur.RoleId equals r.Id
                where r.Name == role
                orderby u.UserName
                select new { u.Id, u.UserName, u.DisplayName }).ToListAsync(ct))
        .Select(u => new Named(Subject.ForPerson(u.Id), u.UserName ?? u.Id, u.DisplayName, role)).ToList();

    public static readonly IReadOnlyList<Counter> PersonCounters =
    [
        Counter.RegisteredBy, Counter.RegisteredOnTime, Counter.RegisteredAccurate, Counter.DispatchedBy, Counter.DispatchedOnTime,
        Counter.DispatchedAccurate, Counter.FactChecks, Counter.FactChecksOnTime, Counter.Verifications, Counter.VerificationsOnTime,
        Counter.ClosingSteps, Counter.ClosingStepsOnTime, Counter.ReportsFiled, Counter.ValidReports, Counter.MissedReports, Counter.Submitted,
    ];

    public static readonly IReadOnlyList<Counter> CaseCounters =
        Enum.GetValues<Counter>().Where(c => c < Counter.RegisteredBy).ToList();

    public static string Key(Counter c) => JsonNamingPolicy.CamelCase.ConvertName(c.ToString());

    private static Dictionary<string, long> Counts(long[] v, bool cases) =>
        (cases ? CaseCounters : PersonCounters).ToDictionary(Key, c => v[(int)c]);

    private static Dictionary<string, double?> Rates(long[] v, bool cases) =>
        Indicators.All.Where(i => i.ForPeople != cases).ToDictionary(i => i.Key, i => Round(i.Rate(v), 4));

    private static double? Round(double? x, int digits = 2) => x is { } d ? Math.Round(d, digits) : null;

    /// <summary>The roles whose people are evaluated one by one.</summary>
    public static readonly string[] EvaluatedRoles = [Roles.Operator, Roles.Dispatcher, Roles.Inspector, Roles.StreetChief, Roles.Handler];
}
