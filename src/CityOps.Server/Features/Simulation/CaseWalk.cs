using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Features.Cases;

namespace CityOps.Server.Features.Simulation;

/// <summary>How a walk ended.</summary>
public enum WalkEnd
{
    /// <summary>Closed (and called back when the story says so) or voided.</summary>
    Finished,
    /// <summary>Its next step falls after the end of the run: the case stays open.</summary>
    StillOpen,
    /// <summary>The platform refused a move for a reason other than a race (counted by status).</summary>
    GaveUp,
}

/// <summary>
/// Takes one reported case round the closed loop as the people of the demo city would: the
/// operator claims, registers (or has it checked first, or voids it), the dispatcher dispatches
/// what was not sent automatically, the unit returns what is not its job or assigns a handler,
/// the handler submits a photo, the unit confirms (or sends it back), the centre verifies, reworks,
/// closes and calls the citizen back. Each move is decided from the case's state as the platform
/// reports it, so a race (a merged report, the deadline sweeper) answered with 409 is read again
/// and the walk goes on from where the case really is.
/// </summary>
public sealed class CaseWalk(SimulationRun run, long caseId, string channel, SimCondition condition, ReportPlace place, CaseStory story, Random random)
{
    private const string Municipal = "city-municipal";
    private string? _unitCode;
    private string? _wrongUnit;
    private bool _claimed, _factChecked, _returned, _unitReworked, _centreReworked, _verified, _verificationFailed, _calledBack;
    /// <summary>The platform asks for a verification before closing (the unit's sign-off was by the one who did the work).</summary>
    private bool _mustVerify;
    private int _step;

    /// <summary>Where the platform routed the case, when the report's answer said (native intake).</summary>
    public string? RoutedUnit { get => _unitCode; init => _unitCode = value; }

    /// <summary>One step: who does what, and when (simulated).</summary>
    private sealed record Step(string Action, string Login, DateTimeOffset Due, Action? Then = null);

    /// <summary>
    /// Walks from the report (at <paramref name="reportedAt"/>, simulated) until the case is closed
    /// (and called back) or voided, or its next step falls after the end of the run. Every step is
    /// planned from the one before, not from when the platform answered, so the same seed gives the
    /// same city however fast the machine is; a slow platform only makes the walk run behind.
    /// </summary>
    public async Task<WalkEnd> RunAsync(CaseState state, DateTimeOffset reportedAt, CancellationToken ct)
    {
        var due = reportedAt;
        for (var moves = 0; moves < 60; moves++)
        {
            if (state is CaseState.Voided || (state is CaseState.Closed && (!story.Callback || _calledBack))) return WalkEnd.Finished;
            var step = Plan(state, due);
            if (step is null) return WalkEnd.GaveUp; // NeedsLocation: never sent without a place
            if (run.Until is { } until && step.Due > until) return WalkEnd.StillOpen;
            await run.Clock.WaitUntilAsync(step.Due, ct);
            run.Stats.Behind(-run.Clock.RealUntil(step.Due));
            due = step.Due;
            var answer = await MoveAsync(step.Action, step.Login, await BodyAsync(step.Action, ct), ct);
            if (answer is null) return WalkEnd.GaveUp;
            step.Then?.Invoke();
            if (step.Action == "callback" && story.Reopen) run.Stats.Reopen();
            if (answer["state"]?.GetValue<string>() is not { } next || !Enum.TryParse(next, out state)) return WalkEnd.GaveUp;
            if (answer["routing"]?["unitCode"] is JsonValue unit) _unitCode = unit.GetValue<string>();
            var work = answer["work"];
            _mustVerify = work?["verifyBeforeClose"]?.GetValue<bool>() == true && work?["verificationPassed"]?.GetValue<bool>() != true;
        }
        return WalkEnd.GaveUp;
    }

    /// <summary>The next move for the case's state and story, and when it is made.</summary>
    private Step? Plan(CaseState state, DateTimeOffset from) => state switch
    {
        CaseState.Reported when !_claimed =>
            new("claim", "operator", After(from, channel == "hotline12345" ? StoryFigures.HotlineClaimMinutes : StoryFigures.ClaimMinutes), () => _claimed = true),
        CaseState.Reported when story.FactCheck && !_factChecked => new("factcheck", "operator", After(from, StoryFigures.RegisterMinutes)),
        CaseState.Reported when story.Void => new("void", "operator", After(from, StoryFigures.RegisterMinutes)),
        CaseState.Reported => new("register", "operator", After(from, StoryFigures.RegisterMinutes)),
        CaseState.FactChecking => new("factcheck-report", FieldWorkerLogin, After(from, StoryFigures.FieldCheckMinutes), () => _factChecked = true),
        CaseState.Registered => new("dispatch", "dispatcher", After(from, StoryFigures.DispatchMinutes)),
        CaseState.Dispatched when story.WrongUnit && !_returned =>
            new("return", UnitStaff, After(from, StoryFigures.ReturnMinutes), () => (_returned, _wrongUnit) = (true, _unitCode)),
        CaseState.Dispatched => new("assign", UnitStaff, After(from, StoryFigures.AssignMinutes)),
        CaseState.Handling => new("submit", Handler, _unitReworked || _centreReworked ? After(from, StoryFigures.ReworkHandlingMinutes) : HandlingDone(from)),
        CaseState.Handled when story.UnitRework && !_unitReworked && Handler != UnitStaff => new("rework", UnitStaff, After(from, StoryFigures.ConfirmMinutes), () => _unitReworked = true),
        CaseState.Handled => new("confirm", UnitStaff, After(from, StoryFigures.ConfirmMinutes)),
        CaseState.Feedback when _verificationFailed || (story.CentreRework && !_centreReworked) =>
            new("rework", "operator", After(from, StoryFigures.CloseMinutes), () => (_centreReworked, _verificationFailed) = (true, false)),
        CaseState.Feedback when (story.Verify && !_verified) || _mustVerify => new("verify", "operator", After(from, StoryFigures.CloseMinutes)),
        CaseState.Feedback => new("close", "operator", After(from, StoryFigures.CloseMinutes)),
        CaseState.Verifying => new("verify-report", FieldWorkerLogin, After(from, StoryFigures.FieldCheckMinutes), () => (_verified, _verificationFailed) = (true, story.VerifyFails && !_verified)),
        CaseState.Closed => new("callback", "operator", After(from, StoryFigures.CallbackMinutes), () => _calledBack = true),
        _ => null,
    };

    private async Task<object> BodyAsync(string action, CancellationToken ct) => action switch
    {
        "factcheck" or "verify" => new { userId = await FieldWorkerIdAsync(ct) },
        "void" => new { reason = story.FactCheckFails ? "核查不属实" : Pick(VoidReasons) },
        "register" => new { condition = condition.Code },
        "factcheck-report" => new { passed = !story.FactCheckFails, notes = story.FactCheckFails ? "现场未发现所述问题" : "现场核查属实" },
        "dispatch" => new { unitId = _returned || !Dispatchable(_unitCode) ? RightUnitId() : null },
        "return" => new { reason = "经核实不属于本单位职责，请重新派遣" },
        "assign" => new { userId = (await run.Platform.SessionAsync(Handler, ct)).UserId },
        "submit" => new { notes = Pick(HandledNotes), attachments = await UploadPhotoAsync(ct) is { } photo ? new[] { photo } : [] },
        "rework" when _verificationFailed => new { reason = "核实未通过，请重新处置" },
        "rework" when story.UnitRework && !_unitReworked => new { reason = "处置不到位，重新处置" },
        "rework" => new { reason = "反馈结果不符合结案条件，请重新处置" },
        "verify-report" => story.VerifyFails && !_verified
            ? new { passed = false, notes = "复查问题仍存在" }
            : new { passed = true, notes = "复查已整改到位" },
        "close" => new { closingConditionMet = true },
        "callback" when story.Reached => new
        {
            reached = true, satisfaction = story.Satisfaction.ToString(), effective = story.Satisfaction != Satisfaction.Dissatisfied, reopen = story.Reopen,
        },
        "callback" => new { reached = false },
        _ => new { },
    };

    /// <summary>
    /// One move with its own Idempotency-Key (so a retried request is not made twice). On 409 —
    /// another move on the case won the race — the case is read again and its state returned so the
    /// walk decides afresh. Any other refusal ends the walk; all are counted by status.
    /// </summary>
    private async Task<JsonNode?> MoveAsync(string action, string login, object body, CancellationToken ct)
    {
        var key = $"sim-{run.RunId}-{caseId}-{++_step}";
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var answer = await run.Platform.SendAsync(action, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, $"/api/cases/{caseId}/{action}") { Content = JsonContent.Create(body) };
                request.Headers.Add("Idempotency-Key", key);
                return request;
            }, login, ct);
            if (answer.Ok)
            {
                run.Stats.Moved(action);
                return answer.Json();
            }
            if (answer.Status != 409) return null;
            await Task.Delay(TimeSpan.FromMilliseconds(50 * (attempt + 1)), ct);
            var now = await run.Platform.SendAsync("read case", () => new HttpRequestMessage(HttpMethod.Get, $"/api/cases/{caseId}"), "operator", ct);
            var seen = now.Ok ? now.Json() : null;
            if (seen?["state"] is null) return null;
            // Moved on (or elsewhere) meanwhile: go on from there. Still possible: the race was lost on the version; try again.
            if (!StillPossible(seen, action, login)) return seen;
        }
        return null;
    }

    /// <summary>Whether the operator's view of the case still offers the move (for others' moves: the state is unchanged).</summary>
    private static bool StillPossible(JsonNode seen, string action, string login) =>
        login == "operator"
            ? seen["allowedActions"]?.AsArray().Any(a => a?.GetValue<string>() == action) ?? false
            : Cases.Workflow.Workflow.Find(action)?.From.Any(s => s.ToString() == seen["state"]!.GetValue<string>()) ?? false;

    private async Task<string?> UploadPhotoAsync(CancellationToken ct)
    {
        var bytes = new byte[256 + random.Next(768)];
        random.NextBytes(bytes);
        (bytes[0], bytes[1], bytes[2], bytes[3]) = (0xFF, 0xD8, 0xFF, 0xE0);
        var answer = await run.Platform.SendAsync("upload photo", () =>
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            return new HttpRequestMessage(HttpMethod.Post, "/api/attachments") { Content = content };
        }, Handler, ct);
        if (!answer.Ok) return null;
        run.Stats.PhotoUploaded();
        return answer.Json()?["sha256"]?.GetValue<string>();
    }

    /// <summary>The unit's staff account: the demo department account for the municipal roads division, else the unit's own account.</summary>
    private string UnitStaff => _unitCode == Municipal ? "department" : _unitCode ?? "dispatcher";

    private string Handler => _unitCode == Municipal ? "handler" : _unitCode ?? "dispatcher";

    /// <summary>
    /// In 思明区 the district's inspector (the platform picks the nearest); elsewhere, where the demo
    /// city has no inspector, the district's street chief, named (one account a district: each
    /// sign-in costs the platform a password hash).
    /// </summary>
    private bool InspectorArea => place.Cell.District == "350203";

    private string FieldWorkerLogin => InspectorArea ? "inspector" : $"d{place.Cell.District}-chief";

    private async Task<string?> FieldWorkerIdAsync(CancellationToken ct) =>
        InspectorArea ? null : (await run.Platform.SessionAsync(FieldWorkerLogin, ct)).UserId;

    /// <summary>Where a dispatcher sends a case the first unit returned (or that had no unit): the territory, or its enforcement squad.</summary>
    private int? RightUnitId()
    {
        var district = place.Cell.District;
        var bureau = $"d{district}-bureau";
        var code = _wrongUnit == bureau ? $"d{district}-squad" : bureau;
        return run.Units.TryGetValue(code, out var unit) ? unit.Id : null;
    }

    /// <summary>Whether the routed unit can take cases (not the centre, a partner bureau or an operator company).</summary>
    private bool Dispatchable(string? code) =>
        code is not null && run.Units.TryGetValue(code, out var unit) && unit.Kind is not ("CommandCentre" or "PartnerBureau" or "OperatorCompany");

    /// <summary>
    /// The handler is done after a share of the condition's time limit on the working calendar
    /// (15–85 %, or 100–160 % for the late ones), so office-hour limits are worked in office hours.
    /// </summary>
    private DateTimeOffset HandlingDone(DateTimeOffset from)
    {
        var share = random.NextDouble() < StoryFigures.HandledLate ? 1 + 0.6 * random.NextDouble() : 0.15 + 0.7 * Math.Pow(random.NextDouble(), 1.3);
        return run.Calendar.Add(TimeZoneInfo.ConvertTime(from, run.Zone), condition.TimeLimit * share, condition.Unit);
    }

    private DateTimeOffset After(DateTimeOffset from, double meanMinutes) =>
        from + TimeSpan.FromMinutes(-Math.Log(1 - random.NextDouble()) * meanMinutes);

    private string Pick(string[] items) => items[random.Next(items.Length)];

    private static readonly string[] VoidReasons = ["不属于城市管理范畴", "信息不全，无法核实", "重复上报", "已自行处理完毕"];
    private static readonly string[] HandledNotes = ["已现场处置完毕", "已清理完毕，恢复原状", "已劝导整改到位", "已维修更换", "已依法查处并整改"];
}
