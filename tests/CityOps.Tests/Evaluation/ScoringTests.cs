using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Evaluation;

namespace CityOps.Tests.Evaluation;

/// <summary>
/// The tally and the default scheme on a constructed record whose figures were worked out by hand
/// (the table in <see cref="Every_count_rate_score_grade_and_deduction_matches_the_hand_computed_table"/>).
/// </summary>
public sealed class ScoringTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 1, 0, 0, TimeSpan.Zero);
    private const int U = 11, U2 = 12, Cell = 100, Community = 200, Sub = 300, District = 400;

    private static EventFact E(int minutes, string action, string? actor = null, CaseState? from = null, int? unit = null, string? data = null) =>
        new(T0.AddMinutes(minutes), action, actor, from, unit, data);

    private const string OnTime = """{"step":"handle","onTime":true}""";
    private const string Late = """{"step":"handle","onTime":false}""";

    /// <summary>Register (on time) and dispatch by the demo operator and dispatcher, then whatever follows.</summary>
    private static List<EventFact> Loop(int unit, params EventFact[] rest) =>
    [
        E(0, "report", "channel:web"),
        E(10, "register", "op1", CaseState.Reported, data: """{"condition":"01","step":"register","onTime":true}"""),
        E(20, "dispatch", "disp1", CaseState.Registered, unit, """{"step":"dispatch","onTime":true}"""),
        .. rest,
    ];

    private static readonly Dictionary<string, List<EventFact>> Record = new()
    {
        // A: handled on time, closed, the citizen is satisfied and accepts the reply.
        ["A"] = Loop(U, E(60, "submit", "h1", CaseState.Handling), E(70, "confirm", "u1", CaseState.Handled, data: OnTime), E(80, "close", "op1", CaseState.Feedback),
            E(90, "callback", "op1", CaseState.Closed, data: """{"reached":true,"satisfaction":"Satisfied","effective":true}""")),
        // B: overdue (with its supervision order), handled late, closed, the citizen is not satisfied.
        ["B"] = Loop(U, E(300, "overdue", "system", CaseState.Dispatched, U, """{"step":"handle","dueAt":"x","clock":2}"""),
            E(310, "confirm", "u1", CaseState.Handled, data: Late), E(320, "close", "op1", CaseState.Feedback),
            E(330, "callback", "op1", CaseState.Closed, data: """{"reached":true,"satisfaction":"Dissatisfied","effective":false}""")),
        // C: overdue and never handled; a leader supervises it as well.
        ["C"] = Loop(U, E(300, "overdue", "system", CaseState.Dispatched, U, """{"step":"handle","clock":2}"""),
            E(400, "supervise", "lead", CaseState.Dispatched)),
        // D: U returns it (not its job); U2 handles it, the centre orders rework, U2 handles it again, closed.
        ["D"] = Loop(U, E(30, "return", "u1", CaseState.Dispatched, U),
            E(40, "dispatch", "disp1", CaseState.Registered, U2, """{"step":"dispatch","onTime":true}"""),
            E(50, "confirm", "u2", CaseState.Handled, data: OnTime), E(60, "rework", "disp1", CaseState.Feedback),
            E(70, "confirm", "u2", CaseState.Handled, data: OnTime), E(80, "close", "op1", CaseState.Feedback)),
        // E: extension approved, handled on time, verification fails: rework, not handled again yet.
        ["E"] = Loop(U, E(30, "approve", "lead", CaseState.Dispatched, data: """{"request":"Extension","value":2}"""),
            E(90, "confirm", "u1", CaseState.Handled, data: OnTime), E(100, "rework", "op1", CaseState.Verifying)),
        // F: voided in the pool.
        ["F"] = [E(0, "report", "channel:hotline"), E(5, "void", "op1", CaseState.Reported)],
        // G: an inspector's own report, registered late and left with the dispatcher.
        ["G"] = [E(0, "report", "insp1"), E(90, "register", "op1", CaseState.Reported, data: """{"step":"register","onTime":false}""")],
    };

    private static Scoreboard Tally(ITallySink? sink = null)
    {
        var board = new Scoreboard();
        var tally = new CaseTally(new Patrols(new Dictionary<string, int?> { ["insp1"] = Cell }));
        var id = 0L;
        foreach (var (_, events) in Record)
            tally.Tally(new CaseHead(++id, T0, Cell, Community, Sub, District), events.ToArray(), sink ?? board);
        return board;
    }

    [Fact]
    public void Every_count_rate_score_grade_and_deduction_matches_the_hand_computed_table()
    {
        var board = Tally();
        var u = board.Get(Subject.Unit(U));
        //                     dispatched returned should handled onTime reworked overdue overdueUnh toClose closed closedOnTime extended supervised orders calledBack effective noEffective rated satisfied
        long[] expectedU = [5, 1, 4, 2, 1, 1, 2, 1, 3, 2, 1, 1, 2, 3, 2, 1, 1, 2, 1];
        long[] expectedU2 = [1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        Counter[] columns = [Counter.Dispatched, Counter.Returned, Counter.ShouldHandle, Counter.Handled, Counter.HandledOnTime, Counter.Reworked,
            Counter.Overdue, Counter.OverdueUnhandled, Counter.ToClose, Counter.Closed, Counter.ClosedOnTime, Counter.Extended, Counter.Supervised,
            Counter.SupervisionOrders, Counter.CalledBack, Counter.EffectiveFeedback, Counter.NoEffectiveFeedback, Counter.Rated, Counter.Satisfied];
        Assert.Equal(expectedU, columns.Select(c => u[(int)c]).ToArray());
        Assert.Equal(expectedU2, columns.Select(c => board.Get(Subject.Unit(U2))[(int)c]).ToArray());
        Assert.Equal(50 + 290, u[(int)Counter.HandlingMinutes]); // A: 20 → 70 min; B: 20 → 310 min

        // Rates and the default scheme (weights 30/20/20/20/10):
        // handling 2/4 → 15; on time 1/4 → 5; rework 1/3 → 20 × 2/3 = 13.33; overdue pending 1/4 → 15; extension 1/4 → 7.5.
        // Base 55.83; deductions: 1 case without effective feedback × 0.5 + 3 supervision orders × 1 + 2 overdue × 0.5 = 4.5.
        var score = SchemeRules.Score(SchemeRules.Default, u);
        Assert.Equal([0.5, 0.25, 1 / 3.0, 0.25, 0.25], score.Parts.Select(p => p.Rate!.Value).ToArray());
        Assert.Equal([15, 5, 13.33, 15, 7.5], score.Parts.Select(p => p.Points).ToArray());
        Assert.Equal(55.83, score.Base);
        Assert.Equal([0.5, 3, 1], score.Deductions.Select(d => d.Points).ToArray());
        Assert.Equal(4.5, score.Deducted);
        Assert.Equal(51.33, score.Final);
        Assert.Equal("D", score.Grade);

        var score2 = SchemeRules.Score(SchemeRules.Default, board.Get(Subject.Unit(U2)));
        Assert.Equal((80.0, 0.0, "B"), (score2.Final!.Value, score2.Deducted, score2.Grade));
        Assert.Equal(0.5, Indicators.ByKey["effectiveFeedbackRate"].Rate(u)); // A of A and B
        Assert.Equal(0.5, Indicators.ByKey["satisfactionRate"].Rate(u));
        Assert.Equal(290 / 60.0 / 2 + 50 / 60.0 / 2, Indicators.AverageHandlingHours(u)!.Value, 9);

        // Areas add up every case of theirs: 7 reported, 6 registered, 1 voided; 6 dispatch episodes.
        var cell = board.Get(Subject.Area(Cell));
        Assert.Equal((7L, 6L, 1L, 6L, 5L), (cell[(int)Counter.Reported], cell[(int)Counter.Registered], cell[(int)Counter.Voided], cell[(int)Counter.Dispatched], cell[(int)Counter.ShouldHandle]));
        Assert.Equal(cell, board.Get(Subject.Area(District)));

        // People: the operator registered 6 (G late), the dispatcher dispatched 6 (one returned by the unit).
        var op = board.Get(Subject.ForPerson("op1"));
        Assert.Equal((6L, 5L, 6L), (op[(int)Counter.RegisteredBy], op[(int)Counter.RegisteredOnTime], op[(int)Counter.RegisteredAccurate]));
        var disp = board.Get(Subject.ForPerson("disp1"));
        Assert.Equal((6L, 6L, 5L), (disp[(int)Counter.DispatchedBy], disp[(int)Counter.DispatchedOnTime], disp[(int)Counter.DispatchedAccurate]));
        // The inspector filed G (valid) and missed the five registered public reports in the cell.
        var insp = board.Get(Subject.ForPerson("insp1"));
        Assert.Equal((1L, 1L, 5L), (insp[(int)Counter.ReportsFiled], insp[(int)Counter.ValidReports], insp[(int)Counter.MissedReports]));
        Assert.Equal(5 / 6.0, Indicators.ByKey["missedReportRate"].Rate(insp)!.Value, 9);
        Assert.Equal(1L, board.Get(Subject.ForPerson("h1"))[(int)Counter.Submitted]);
    }

    [Fact]
    public void A_case_the_centre_recalls_is_not_the_units_to_handle_but_what_went_overdue_there_stands()
    {
        var board = new Scoreboard();
        var tally = new CaseTally(new Patrols(new Dictionary<string, int?>()));
        // U lets it go overdue (drawing the sweeper's order); the centre recalls it and sends it to U2, who handles it on time.
        tally.Tally(new CaseHead(1, T0, Cell, Community, Sub, District), Loop(U,
            E(300, "overdue", "system", CaseState.Dispatched, U, """{"step":"handle","clock":2}"""),
            E(310, "recall", "disp1", CaseState.Dispatched, U),
            E(320, "dispatch", "disp1", CaseState.Registered, U2, """{"step":"dispatch","onTime":true}"""),
            E(400, "confirm", "u2", CaseState.Handled, data: OnTime)).ToArray(), board);
        long At(long[] row, Counter k) => row[(int)k];
        var u = board.Get(Subject.Unit(U));
        Assert.Equal((1L, 0L, 0L, 1L, 1L, 0L), (At(u, Counter.Dispatched), At(u, Counter.Returned), At(u, Counter.ShouldHandle), At(u, Counter.Overdue),
            At(u, Counter.SupervisionOrders), At(u, Counter.OverdueUnhandled)));
        var u2 = board.Get(Subject.Unit(U2));
        Assert.Equal((1L, 1L, 1L), (At(u2, Counter.ShouldHandle), At(u2, Counter.Handled), At(u2, Counter.HandledOnTime)));
        // The first dispatch was the wrong one.
        var disp = board.Get(Subject.ForPerson("disp1"));
        Assert.Equal((2L, 1L), (At(disp, Counter.DispatchedBy), At(disp, Counter.DispatchedAccurate)));
    }

    [Fact]
    public void What_runs_late_after_the_units_sign_off_is_the_centres_not_the_units()
    {
        var board = new Scoreboard();
        var tally = new CaseTally(new Patrols(new Dictionary<string, int?>()));
        // U handles it on time; then the centre lets its closing step run over and a leader supervises it there.
        tally.Tally(new CaseHead(1, T0, Cell, Community, Sub, District), Loop(U,
            E(70, "confirm", "u1", CaseState.Handled, data: OnTime),
            E(200, "overdue", "system", CaseState.Feedback, U, """{"step":"close","clock":3}"""),
            E(210, "supervise", "lead", CaseState.Feedback),
            E(220, "close", "op1", CaseState.Feedback, data: """{"step":"close","onTime":false}""")).ToArray(), board);
        long At(long[] row, Counter k) => row[(int)k];
        var u = board.Get(Subject.Unit(U));
        Assert.Equal((1L, 1L, 1L), (At(u, Counter.Handled), At(u, Counter.HandledOnTime), At(u, Counter.ClosedOnTime)));
        Assert.Equal((0L, 0L, 0L), (At(u, Counter.Overdue), At(u, Counter.SupervisionOrders), At(u, Counter.Supervised)));
        // The operator who closed it late is counted for it.
        var op = board.Get(Subject.ForPerson("op1"));
        Assert.Equal((1L, 0L), (At(op, Counter.ClosingSteps), At(op, Counter.ClosingStepsOnTime)));

        // Sending a verification and ordering rework end the closing step too, each for the one who did it;
        // a verification sent again while the first is out (no closing step running) counts for nobody.
        tally.Tally(new CaseHead(2, T0, Cell, Community, Sub, District), Loop(U,
            E(70, "confirm", "u1", CaseState.Handled, data: OnTime),
            E(80, "verify", "op2", CaseState.Feedback, data: """{"step":"close","onTime":true}"""),
            E(85, "verify", "op3", CaseState.Verifying),
            E(90, "verify-report", "insp1", CaseState.Verifying, data: """{"passed":false,"step":"verify","onTime":true}"""),
            E(200, "rework", "disp1", CaseState.Feedback, data: """{"step":"close","onTime":false}""")).ToArray(), board);
        Assert.Equal((1L, 1L), (At(board.Get(Subject.ForPerson("op2")), Counter.ClosingSteps), At(board.Get(Subject.ForPerson("op2")), Counter.ClosingStepsOnTime)));
        Assert.Equal(0L, At(board.Get(Subject.ForPerson("op3")), Counter.ClosingSteps));
        Assert.Equal((1L, 0L), (At(board.Get(Subject.ForPerson("disp1")), Counter.ClosingSteps), At(board.Get(Subject.ForPerson("disp1")), Counter.ClosingStepsOnTime)));
    }

    [Fact]
    public void A_report_through_the_inspectors_channel_is_not_a_missed_report()
    {
        var board = new Scoreboard();
        var tally = new CaseTally(new Patrols(new Dictionary<string, int?> { ["insp1"] = Cell }));
        var head = new CaseHead(1, T0, Cell, Community, Sub, District);
        tally.Tally(head, [E(0, "report", "channel:inspector"), E(5, "register", "op1", CaseState.Reported)], board);
        tally.Tally(head with { Id = 2 }, [E(0, "report", "channel:app"), E(5, "register", "op1", CaseState.Reported)], board);
        Assert.Equal(1L, board.Get(Subject.ForPerson("insp1"))[(int)Counter.MissedReports]); // only the citizen's app report
    }

    [Theory]
    [InlineData(Counter.OverdueUnhandled, new long[] { 3 }, new long[] { 1 })]
    [InlineData(Counter.SupervisionOrders, new long[] { 2, 3 }, new long[] { 1, 2 })]
    [InlineData(Counter.Returned, new long[] { 4 }, new long[] { 1 })]
    [InlineData(Counter.ToClose, new long[] { 1, 2, 3 }, new long[] { 1, 1, 1 })]
    public void The_drill_down_lists_exactly_the_cases_counted(Counter counter, long[] cases, long[] amounts)
    {
        var drill = new DrillDown(Subject.Unit(U), counter);
        Tally(drill);
        Assert.Equal(cases, drill.Cases.Select(c => c.CaseId).ToArray());
        Assert.Equal(amounts, drill.Cases.Select(c => c.Amount).ToArray());
        Assert.Equal(Tally().Get(Subject.Unit(U))[(int)counter], drill.Cases.Sum(c => c.Amount));
    }

    [Fact]
    public void A_unit_with_nothing_to_handle_gets_no_score_and_grades_follow_the_bands()
    {
        var empty = SchemeRules.Score(SchemeRules.Default, new long[CaseTally.Width]);
        Assert.Null(empty.Final);
        Assert.Null(empty.Grade);
        Assert.Equal(["A", "B", "C", "D", "E"], new[] { 90, 75, 60, 40, 39.99 }.Select(s => SchemeRules.GradeOf(SchemeRules.Default, s)));
    }

    [Fact]
    public void A_scheme_must_weigh_100_with_known_indicators_and_a_grade_from_zero()
    {
        Assert.Empty(SchemeRules.Validate(SchemeRules.Default));
        Assert.Contains(("indicators", "SchemeWeightsNot100"), SchemeRules.Validate(SchemeRules.Default with { Indicators = [new("handlingRate", 60), new("reworkRate", 30)] }));
        Assert.Contains(("indicators", "SchemeIndicatorUnknown"), SchemeRules.Validate(SchemeRules.Default with { Indicators = [new("nonsense", 100)] }));
        Assert.Contains(("indicators", "SchemeIndicatorUnknown"), SchemeRules.Validate(SchemeRules.Default with { Indicators = [new("dispatchAccuracy", 100)] }));
        Assert.Contains(("indicators", "SchemeIndicatorTwice"), SchemeRules.Validate(SchemeRules.Default with { Indicators = [new("handlingRate", 50), new("HandlingRate", 50)] }));
        Assert.Contains(("grades", "SchemeGradesInvalid"), SchemeRules.Validate(SchemeRules.Default with { Grades = [new("A", 90), new("B", 50)] }));
        Assert.Contains(("deductions", "SchemeDeductionInvalid"), SchemeRules.Validate(SchemeRules.Default with { Deductions = [new(Counter.Handled, 1, null)] }));
        Assert.Contains(("deductions", "SchemeDeductionInvalid"), SchemeRules.Validate(SchemeRules.Default with { Deductions = [new(Counter.Overdue, -1, null)] }));
    }

    [Theory]
    [InlineData("2026", "2026-01-01", "2026-12-31")]
    [InlineData("2026-Q3", "2026-07-01", "2026-09-30")]
    [InlineData("2026-02", "2026-02-01", "2026-02-28")]
    [InlineData("2026-W01", "2025-12-29", "2026-01-04")]
    [InlineData("2026-W53", "2026-12-28", "2027-01-03")]
    [InlineData("2026-11-25", "2026-11-25", "2026-11-25")]
    public void Named_periods_cover_whole_local_days(string text, string first, string last)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        Assert.True(Period.TryParse(text, null, null, zone, out var p, out _));
        Assert.Equal((DateOnly.Parse(first), DateOnly.Parse(last)), (p.First, p.Last));
        Assert.Equal(new DateTimeOffset(p.First.ToDateTime(TimeOnly.MinValue), TimeSpan.FromHours(8)), p.From);
        Assert.Equal(new DateTimeOffset(p.Last.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.FromHours(8)), p.To);
    }

    [Theory]
    [InlineData("2026-13", null, null, "period", "PeriodInvalid")]
    [InlineData("2026-Q5", null, null, "period", "PeriodInvalid")]
    [InlineData("2025-W53", null, null, "period", "PeriodInvalid")]
    [InlineData("2026-02-30", null, null, "period", "PeriodInvalid")]
    [InlineData("last year", null, null, "period", "PeriodInvalid")]
    [InlineData("2026", "2026-01-01", null, "period", "PeriodEitherOr")]
    [InlineData(null, "2026-03-01", null, "to", "PeriodRequired")]
    [InlineData(null, "2026-03-01", "2026-02-28", "to", "PeriodReversed")]
    [InlineData(null, "2026-3-1", "2026-03-31", "from", "DayInvalid")]
    [InlineData(null, "2000-01-01", "2030-01-01", "to", "PeriodTooLong")]
    public void Bad_periods_say_what_is_wrong(string? period, string? from, string? to, string field, string key)
    {
        Assert.False(Period.TryParse(period, from, to, TimeZoneInfo.Utc, out _, out var error));
        Assert.Equal((field, key), error);
    }
}
