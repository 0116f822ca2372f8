using CityOps.Server.Features.Cases;

namespace CityOps.Server.Features.Evaluation;

/// <summary>The facts of a case the tally needs: its place, fixed before the first dispatch.</summary>
public sealed record CaseHead(long Id, DateTimeOffset ReportedAt, int? CellId, int? CommunityId, int? SubdistrictId, int? DistrictId);

/// <summary>One event of the record, as far as evaluation reads it (<c>Data</c> is the server's canonical JSON).</summary>
public readonly record struct EventFact(DateTimeOffset At, string Action, string? ActorId, CaseState? From, int? UnitId, string? Data);

/// <summary>Receives one case's counts for one subject; <c>counts</c> is indexed by <see cref="Counter"/> and reused after the call.</summary>
public interface ITallySink
{
    void Add(in Subject subject, long caseId, long[] counts);
}

/// <summary>Inspectors and the areas they patrol, for valid and missed reports.</summary>
public sealed class Patrols(IReadOnlyDictionary<string, int?> inspectors)
{
    public static readonly Patrols None = new(new Dictionary<string, int?>());
    private readonly ILookup<int, string> _byArea = inspectors.Where(p => p.Value is not null).ToLookup(p => p.Value!.Value, p => p.Key);

    public bool IsInspector(string? userId) => userId is not null && inspectors.ContainsKey(userId);

    /// <summary>Found on patrol: by an inspector's account or through the inspectors' channel.</summary>
    public bool FoundByInspector(string? reporter) => IsInspector(reporter) || reporter == "channel:inspector";

    /// <summary>The inspectors of the most specific of the case's areas that has any.</summary>
    public IEnumerable<string> For(CaseHead c)
    {
        foreach (var area in new[] { c.CellId, c.CommunityId, c.SubdistrictId })
            if (area is { } id && _byArea.Contains(id)) return _byArea[id];
        return [];
    }
}

/// <summary>
/// Folds one case's record (events before the end of the period, in order) into counts for the
/// units it was dispatched to, the areas it lies in and the people who worked on it. Pure: the
/// same record always gives the same counts, which is what makes a past period reproducible.
/// </summary>
public sealed class CaseTally(Patrols patrols)
{
    public static readonly int Width = Enum.GetValues<Counter>().Length;

    private sealed class Episode
    {
        public int Unit;
        public DateTimeOffset DispatchedAt, ConfirmedAt;
        public string? Dispatcher;
        public bool DispatchOnTime, Returned, Recalled, Handled, HandledOnTime, Overdue, Extended, Suspended;
        public int Reworked, SupervisionOrders;
    }

    private readonly List<Episode> _episodes = [];
    private readonly List<(string Actor, bool OnTime, bool Accurate)> _registrations = [];
    private readonly long[] _v = new long[Width];

    public void Tally(CaseHead c, ReadOnlySpan<EventFact> events, ITallySink sink)
    {
        _episodes.Clear();
        _registrations.Clear();
        Episode? cur = null;
        string? reporter = null;
        bool registered = false, voided = false, closed = false, calledBack = false, reached = false, effective = false;
        Satisfaction? satisfaction = null;

        foreach (var e in events)
        {
            switch (e.Action)
            {
                case "report": reporter ??= e.ActorId; break;
                case "register":
                    registered = true;
                    if (e.ActorId is { } registrar) _registrations.Add((registrar, OnTime(e.Data) ?? true, true));
                    break;
                case "void": voided = true; break;
                case "dispatch":
                    cur = new Episode { Unit = e.UnitId ?? 0, DispatchedAt = e.At, Dispatcher = e.ActorId, DispatchOnTime = OnTime(e.Data) ?? true };
                    _episodes.Add(cur);
                    break;
                case "return" when e.From == CaseState.Dispatched && cur is not null:
                    cur.Returned = true; // the unit says it is not its job
                    cur = null;
                    break;
                case "recall" when cur is not null:
                    cur.Recalled = true; // the centre takes it back: the dispatch was wrong, not the unit
                    cur = null;
                    break;
                case "return" when e.From == CaseState.Registered && _registrations.Count > 0:
                    _registrations[^1] = _registrations[^1] with { Accurate = false }; // the dispatcher sends it back to the operator
                    break;
                case "submit" when e.ActorId is not null:
                    Person(sink, c, e.ActorId, Counter.Submitted, null);
                    break;
                case "confirm" when cur is not null:
                    (cur.Handled, cur.HandledOnTime, cur.ConfirmedAt) = (true, OnTime(e.Data) ?? !cur.Overdue, e.At);
                    break;
                case "rework" when cur is not null && e.From is CaseState.Feedback or CaseState.Verifying:
                    (cur.Reworked, cur.Handled) = (cur.Reworked + 1, false);
                    ClosingStep(sink, c, e);
                    break;
                case "verify": ClosingStep(sink, c, e); break;
                case "close":
                    closed = true;
                    ClosingStep(sink, c, e);
                    break;
                case "callback":
                    (calledBack, reached, effective) = (true, Has(e.Data, "\"reached\":true"), Has(e.Data, "\"effective\":true"));
                    satisfaction = Has(e.Data, "\"satisfaction\":\"Satisfied\"") ? Satisfaction.Satisfied
                        : Has(e.Data, "\"satisfaction\":\"BasicallySatisfied\"") ? Satisfaction.BasicallySatisfied
                        : Has(e.Data, "\"satisfaction\":\"Dissatisfied\"") ? Satisfaction.Dissatisfied : null;
                    if (Has(e.Data, "\"reopened\":true"))
                    {
                        // The citizen rejects the result: the same unit handles it again, as rework.
                        closed = calledBack = false;
                        if (cur is not null) (cur.Reworked, cur.Handled) = (cur.Reworked + 1, false);
                    }
                    break;
                case "overdue" when cur is not null && Has(e.Data, "\"step\":\"handle\""):
                    cur.Overdue = true;
                    cur.SupervisionOrders++; // the sweeper's supervision order
                    break;
                // A 督办 counts against the unit while the case is with it, not once the centre has it back (feedback, verification).
                case "supervise" when cur is not null && e.From is CaseState.Dispatched or CaseState.Handling or CaseState.Handled:
                    cur.SupervisionOrders++;
                    break;
                case "approve" when cur is not null:
                    if (Has(e.Data, "\"request\":\"Extension\"")) cur.Extended = true;
                    else if (Has(e.Data, "\"request\":\"Suspension\"")) cur.Suspended = true;
                    break;
                case "factcheck-report" when e.ActorId is not null:
                    Person(sink, c, e.ActorId, Counter.FactChecks, OnTime(e.Data) ?? true ? Counter.FactChecksOnTime : null);
                    break;
                case "verify-report" when e.ActorId is not null:
                    Person(sink, c, e.ActorId, Counter.Verifications, OnTime(e.Data) ?? true ? Counter.VerificationsOnTime : null);
                    break;
            }
        }

        Array.Clear(_v);
        _v[(int)Counter.Reported] = 1;
        _v[(int)Counter.Registered] = registered ? 1 : 0;
        _v[(int)Counter.Voided] = voided ? 1 : 0;
        ToAreas(sink, c);

        foreach (var ep in _episodes)
        {
            Array.Clear(_v);
            Fill(ep, ep == cur && closed, calledBack, reached, effective, satisfaction);
            sink.Add(Subject.Unit(ep.Unit), c.Id, _v);
            ToAreas(sink, c);
            if (ep.Dispatcher is { } d && d != "system")
                Person(sink, c, d, Counter.DispatchedBy, ep.DispatchOnTime ? Counter.DispatchedOnTime : null, ep.Returned || ep.Recalled ? null : Counter.DispatchedAccurate);
        }

        foreach (var (actor, onTime, accurate) in _registrations)
            Person(sink, c, actor, Counter.RegisteredBy, onTime ? Counter.RegisteredOnTime : null, accurate ? Counter.RegisteredAccurate : null);

        if (reporter is not null && !reporter.StartsWith("channel:", StringComparison.Ordinal) && reporter != "system")
            Person(sink, c, reporter, Counter.ReportsFiled, registered ? Counter.ValidReports : null);
        if (registered && !patrols.FoundByInspector(reporter))
            foreach (var inspector in patrols.For(c))
                Person(sink, c, inspector, Counter.MissedReports, null);
    }

    private void Fill(Episode ep, bool closed, bool calledBack, bool reached, bool effective, Satisfaction? satisfaction)
    {
        void Set(Counter k, bool on) => _v[(int)k] = on ? 1 : 0;
        Set(Counter.Dispatched, true);
        if (ep.Returned)
        {
            Set(Counter.Returned, true);
            return;
        }
        if (ep.Recalled)
        {
            // Taken back by the centre: not the unit's to handle, but the deductions for what went overdue
            // and drew 督办 while it lay there stand (not the rates over the cases it should handle).
            Set(Counter.Overdue, ep.Overdue);
            _v[(int)Counter.SupervisionOrders] = ep.SupervisionOrders;
            return;
        }
        var h = ep.Handled;
        Set(Counter.ShouldHandle, true);
        Set(Counter.Handled, h);
        Set(Counter.HandledOnTime, h && ep.HandledOnTime);
        Set(Counter.Reworked, ep.Reworked > 0);
        Set(Counter.Overdue, ep.Overdue);
        Set(Counter.OverdueUnhandled, ep.Overdue && !h);
        Set(Counter.ToClose, h || ep.Overdue);
        Set(Counter.Closed, h && closed);
        Set(Counter.ClosedOnTime, h && closed && ep.HandledOnTime);
        Set(Counter.Extended, ep.Extended);
        Set(Counter.Suspended, ep.Suspended);
        Set(Counter.Supervised, ep.SupervisionOrders > 0);
        _v[(int)Counter.SupervisionOrders] = ep.SupervisionOrders;
        if (h) _v[(int)Counter.HandlingMinutes] = (long)Math.Round((ep.ConfirmedAt - ep.DispatchedAt).TotalMinutes);
        if (h && closed && calledBack)
        {
            Set(Counter.CalledBack, true);
            Set(Counter.Reached, reached);
            Set(Counter.Rated, reached && satisfaction is not null);
            Set(Counter.Satisfied, reached && satisfaction is Satisfaction.Satisfied or Satisfaction.BasicallySatisfied);
            Set(Counter.EffectiveFeedback, reached && effective);
            Set(Counter.NoEffectiveFeedback, !(reached && effective));
        }
    }

    private void ToAreas(ITallySink sink, CaseHead c)
    {
        if (c.CellId is { } cell) sink.Add(Subject.Area(cell), c.Id, _v);
        if (c.CommunityId is { } community) sink.Add(Subject.Area(community), c.Id, _v);
        if (c.SubdistrictId is { } sub) sink.Add(Subject.Area(sub), c.Id, _v);
        if (c.DistrictId is { } district) sink.Add(Subject.Area(district), c.Id, _v);
    }

    private void Person(ITallySink sink, CaseHead c, string userId, Counter first, Counter? second, Counter? third = null)
    {
        Array.Clear(_v);
        _v[(int)first] = 1;
        if (second is { } s) _v[(int)s] = 1;
        if (third is { } t) _v[(int)t] = 1;
        sink.Add(Subject.ForPerson(userId), c.Id, _v);
    }

    /// <summary>The move that ended the centre's closing step (close, a verification sent, rework ordered), for the one who made it.</summary>
    private void ClosingStep(ITallySink sink, CaseHead c, EventFact e)
    {
        if (e.ActorId is not null && Has(e.Data, "\"step\":\"close\""))
            Person(sink, c, e.ActorId, Counter.ClosingSteps, OnTime(e.Data) ?? true ? Counter.ClosingStepsOnTime : null);
    }

    private static bool? OnTime(string? data) =>
        Has(data, "\"onTime\":true") ? true : Has(data, "\"onTime\":false") ? false : null;

    private static bool Has(string? data, string fragment) => data is not null && data.Contains(fragment, StringComparison.Ordinal);
}
