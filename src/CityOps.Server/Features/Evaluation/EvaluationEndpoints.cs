using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using static CityOps.Server.Features.Evaluation.EvaluationViews;

namespace CityOps.Server.Features.Evaluation;

/// <summary>
/// 绩效考评 under /api/evaluation: tables per unit, area and person, rankings with red and black
/// lists, trends, the drill-down to the cases behind any count, and exports. The centre and
/// leaders see everything; unit staff see their own unit's row and cases.
/// </summary>
public static class EvaluationEndpoints
{
    public sealed record Ranking(PeriodView Period, SchemeRef? Scheme, IReadOnlyList<Row> Red, IReadOnlyList<Row> Black, IReadOnlyList<Row> All);
    public sealed record TrendPoint(PeriodView Period, long ShouldHandle, long Handled, double? Score, string? Grade, IReadOnlyDictionary<string, double?> Rates);
    public sealed record DrillRow(long CaseId, long Amount, CaseState State, string Category, DateTimeOffset ReportedAt, int? UnitId, string Link);
    public sealed record Drill(PeriodView Period, string Subject, string Counter, long Total, IReadOnlyList<DrillRow> Cases);

    private static readonly string[] SeeAll = [Roles.Operator, Roles.Dispatcher, Roles.ShiftLead, Roles.Leader, Roles.Admin];

    public static void MapEvaluation(this WebApplication app)
    {
        var g = app.MapGroup("/api/evaluation").WithTags("Evaluation").RequireAuthorization(Policies.Staff);
        g.MapGet("/units", UnitTableAsync).WithSummary("Counts, rates, score and grade of every unit for a period (period=2026, 2026-Q3, 2026-11, 2026-W48, 2026-11-25, or from/to dates).");
        g.MapGet("/areas", AreasAsync).WithSummary("The same per district, subdistrict, community or grid cell (level=…).");
        g.MapGet("/people", PeopleAsync).WithSummary("Operators, dispatchers, inspectors, street chiefs or handlers (role=…): on-time and accurate work.");
        g.MapGet("/rankings", RankingsAsync).WithSummary("红黑榜: the best units in the top grade and the worst below the second.");
        g.MapGet("/trend", TrendAsync).WithSummary("One subject's score and rates period by period.");
        g.MapGet("/cases", DrillAsync).WithSummary("The cases behind one count of one subject (subject=unit:12|area:345|person:{id}, counter=handledOnTime …).");
        g.MapGet("/callbacks", CallbackQueue.ListAsync).WithSummary("回访: closed cases waiting for the citizen's callback, oldest first.");
        g.MapGet("/export.xlsx", EvaluationExport.ExcelAsync).WithSummary("The period's workbook: cover, a sheet per ranking, red and black lists.");
        g.MapGet("/export.csv", EvaluationExport.CsvAsync).WithSummary("One table as CSV (table=units|districts|subdistricts|communities|cells|operators|dispatchers|inspectors).");
        SchemeEndpoints.Map(g);
    }

    /// <summary>Reads the period from the query, or says what is wrong with it.</summary>
    public static bool TryPeriod(HttpContext http, EvaluationService svc, out Period period, out ValidationProblem? problem)
    {
        var q = http.Request.Query;
        problem = null;
        if (Period.TryParse(q["period"].FirstOrDefault(), q["from"].FirstOrDefault(), q["to"].FirstOrDefault(), svc.Zone, out period, out var error)) return true;
        problem = TypedResults.ValidationProblem(new Dictionary<string, string[]> { [error.Field] = [Messages.Get(error.Key)] });
        return false;
    }

    public static bool SeesAll(CurrentUser u) => u.IsAnyOf(SeeAll);

    private static async Task<Results<Ok<Table>, ValidationProblem>> UnitTableAsync(HttpContext http, CityOpsDb db, EvaluationService svc, CancellationToken ct)
    {
        if (!TryPeriod(http, svc, out var p, out var problem)) return problem!;
        var user = CurrentUser.From(http.User);
        var units = await EvaluationViews.UnitsAsync(db, ct);
        if (!SeesAll(user)) units = units.Where(u => u.Subject == Subject.Unit(user.UnitId ?? -1)).ToList();
        return TypedResults.Ok(Build(p, await SchemeForAsync(db, p, ct), await svc.TallyAsync(db, p, ct), units, scored: true));
    }

    private static async Task<Results<Ok<Table>, ValidationProblem, ForbidHttpResult>> AreasAsync(HttpContext http, CityOpsDb db, EvaluationService svc, string? level, CancellationToken ct)
    {
        if (!TryPeriod(http, svc, out var p, out var problem)) return problem!;
        if (!TryLevel(level, out var l)) return Invalid("level", "LevelUnknown");
        if (!SeesAll(CurrentUser.From(http.User))) return TypedResults.Forbid();
        return TypedResults.Ok(Build(p, await SchemeForAsync(db, p, ct), await svc.TallyAsync(db, p, ct), await EvaluationViews.AreasAsync(db, l, ct), scored: true));
    }

    private static async Task<Results<Ok<Table>, ValidationProblem>> PeopleAsync(HttpContext http, CityOpsDb db, EvaluationService svc, string? role, CancellationToken ct)
    {
        if (!TryPeriod(http, svc, out var p, out var problem)) return problem!;
        if (role is null || !EvaluatedRoles.Contains(role)) return Invalid("role", "RoleUnknown");
        var user = CurrentUser.From(http.User);
        var people = await EvaluationViews.PeopleAsync(db, role, ct);
        if (!SeesAll(user)) people = people.Where(x => x.Subject.Person == user.Id).ToList();
        return TypedResults.Ok(Build(p, null, await svc.TallyAsync(db, p, ct), people, scored: false));
    }

    private static async Task<Results<Ok<Ranking>, ValidationProblem>> RankingsAsync(HttpContext http, CityOpsDb db, EvaluationService svc, string? level, int top = 5, CancellationToken ct = default)
    {
        if (!TryPeriod(http, svc, out var p, out var problem)) return problem!;
        if (top is < 1 or > 100) return Invalid("top", "TopInvalid");
        AreaLevel l = default;
        if (level is not null && !TryLevel(level, out l)) return Invalid("level", "LevelUnknown");
        var subjects = level is null ? await EvaluationViews.UnitsAsync(db, ct) : await EvaluationViews.AreasAsync(db, l, ct);
        var scheme = await SchemeForAsync(db, p, ct);
        var table = Build(p, scheme, await svc.TallyAsync(db, p, ct), subjects, scored: true);
        var scored = table.Rows.Where(r => r.Score?.Final is not null).ToList();
        var (red, black) = scheme is null ? ([], []) : Lists(scheme.Parse(), scored, top);
        return TypedResults.Ok(new Ranking(table.Period, table.Scheme, red, black, scored));
    }

    /// <summary>Red: the best in the top grade. Black: the worst graded below the second band (or in the lowest, with fewer bands).</summary>
    public static (List<Row> Red, List<Row> Black) Lists(SchemeDefinition s, List<Row> scored, int top)
    {
        var bands = s.Grades.OrderByDescending(g => g.Min).ToList();
        var red = scored.Where(r => r.Score!.Grade == bands[0].Grade).Take(top).ToList();
        var below = bands.Count >= 3 ? bands[1].Min : bands[^1].Min + double.Epsilon;
        var black = scored.Where(r => r.Score!.Final < below || (bands.Count < 3 && r.Score.Grade == bands[^1].Grade))
            .OrderBy(r => r.Score!.Final).Take(top).ToList();
        return (red, black);
    }

    private static async Task<Results<Ok<List<TrendPoint>>, ValidationProblem, ProblemHttpResult, ForbidHttpResult>> TrendAsync(
        HttpContext http, CityOpsDb db, EvaluationService svc, string? subject, Granularity granularity = Granularity.Month, CancellationToken ct = default)
    {
        if (!TryPeriod(http, svc, out var p, out var problem)) return problem!;
        if (!Subject.TryParse(subject, out var s)) return Invalid("subject", "SubjectInvalid");
        if (await SubjectProblemAsync(db, CurrentUser.From(http.User), s, ct) is { } refused) return refused == 403 ? TypedResults.Forbid() : TypedResults.Problem(Messages.Get("SubjectUnknown"), statusCode: StatusCodes.Status404NotFound);
        var periods = new List<Period>();
        for (var day = p.First; day <= p.Last && periods.Count <= 400; day = periods[^1].Last.AddDays(1))
            periods.Add(Period.Containing(day, granularity, svc.Zone));
        if (periods.Count > 400) return Invalid("granularity", "TooManyPeriods");
        var points = new List<TrendPoint>();
        foreach (var period in periods)
        {
            var v = (await svc.TallyAsync(db, period, ct)).Get(s);
            var scheme = s.Kind == SubjectKind.Person ? null : await SchemeForAsync(db, period, ct);
            var score = scheme is null ? null : SchemeRules.Score(scheme.Parse(), v);
            points.Add(new(View(period), v[(int)Counter.ShouldHandle], v[(int)Counter.Handled], score?.Final, score?.Grade,
                Indicators.All.Where(i => i.ForPeople == (s.Kind == SubjectKind.Person)).ToDictionary(i => i.Key, i => i.Rate(v) is { } r ? Math.Round(r, 4) : (double?)null)));
        }
        return TypedResults.Ok(points);
    }

    private static async Task<Results<Ok<Drill>, ValidationProblem, ProblemHttpResult, ForbidHttpResult>> DrillAsync(
        HttpContext http, CityOpsDb db, EvaluationService svc, ReferenceDataCache cache, string? subject, string? counter, CancellationToken ct)
    {
        if (!TryPeriod(http, svc, out var p, out var problem)) return problem!;
        if (!Subject.TryParse(subject, out var s)) return Invalid("subject", "SubjectInvalid");
        if (!Enum.TryParse<Counter>(counter, ignoreCase: true, out var k) || !Enum.IsDefined(k) || int.TryParse(counter, out _)) return Invalid("counter", "CounterUnknown");
        if (await SubjectProblemAsync(db, CurrentUser.From(http.User), s, ct) is { } refused) return refused == 403 ? TypedResults.Forbid() : TypedResults.Problem(Messages.Get("SubjectUnknown"), statusCode: StatusCodes.Status404NotFound);
        var found = await svc.DrillAsync(db, p, s, k, ct);
        var ids = found.Select(f => f.CaseId).ToList();
        var r = await cache.GetAsync(ct);
        var cases = new Dictionary<long, Case>();
        foreach (var chunk in ids.Chunk(1000))
            foreach (var c in await db.Cases.AsNoTracking().Where(c => chunk.Contains(c.Id)).ToListAsync(ct)) cases[c.Id] = c;
        var rows = found.Select(f => cases[f.CaseId]).Zip(found, (c, f) => new DrillRow(c.Id, f.Amount, c.State, r.Categories[c.CategoryId].ServiceCode,
            c.ReportedAt, c.AssignedUnitId, $"/api/cases/{c.Id}")).ToList();
        return TypedResults.Ok(new Drill(View(p), s.ToString(), Key(k), found.Sum(f => f.Amount), rows));
    }

    /// <summary>404 for a subject that does not exist, 403 for one the user may not look into; null when fine.</summary>
    private static async Task<int?> SubjectProblemAsync(CityOpsDb db, CurrentUser user, Subject s, CancellationToken ct)
    {
        var (id, userId) = (s.Number, s.Person);
        var exists = s.Kind switch
        {
            SubjectKind.Unit => await db.Units.AnyAsync(u => u.Id == id, ct),
            SubjectKind.Area => await db.Areas.AnyAsync(a => a.Id == id, ct),
            _ => await db.Users.AnyAsync(u => u.Id == userId, ct),
        };
        if (!exists) return 404;
        if (SeesAll(user)) return null;
        return (s.Kind == SubjectKind.Unit && s.Number == user.UnitId) || (s.Kind == SubjectKind.Person && s.Person == user.Id) ? null : 403;
    }

    public static bool TryLevel(string? level, out AreaLevel l) =>
        Enum.TryParse(level, ignoreCase: true, out l) && l is AreaLevel.District or AreaLevel.Subdistrict or AreaLevel.Community or AreaLevel.Cell && !int.TryParse(level, out _);

    private static ValidationProblem Invalid(string field, string key) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [Messages.Get(key)] });
}
