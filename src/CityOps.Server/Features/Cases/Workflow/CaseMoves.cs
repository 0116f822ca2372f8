using System.Text.Json;
using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Cases.Workflow;

/// <summary>
/// Makes one move on one case: checks state, role, unit, area and input, applies it, appends the
/// event to the case's chain and queues notifications, in one transaction guarded by the case's
/// version, so two racing moves cannot both win and a refused move changes nothing.
/// </summary>
public sealed class CaseMoves(CityOpsDb db, ReferenceDataCache cache, MoveEffects effects, TimeProvider clock, CaseSignals signals)
{
    public sealed record Result(Case Case, bool Replayed);

    /// <summary>The most files one move may cite.</summary>
    public const int MaxAttachments = 20;

    private static readonly CompiledQuery<Func<CityOpsDb, long, CancellationToken, Task<Case?>>> Tracked = new(() =>
        EF.CompileAsyncQuery((CityOpsDb db, long id, CancellationToken ct) => db.Cases.FirstOrDefault(x => x.Id == id)));

    private static readonly CompiledQuery<Func<CityOpsDb, long, CancellationToken, Task<Case?>>> Untracked = new(() =>
        EF.CompileAsyncQuery((CityOpsDb db, long id, CancellationToken ct) => db.Cases.AsNoTracking().FirstOrDefault(x => x.Id == id)));

    /// <summary>Which of the files exist, each with whether the case already cites it and whether the mover holds it (uploaded it).</summary>
    private static readonly CompiledQuery<Func<CityOpsDb, List<string>, long, string, IAsyncEnumerable<CitedFile>>> CitedFiles = new(() =>
        EF.CompileAsyncQuery((CityOpsDb db, List<string> wanted, long caseId, string userId) => db.Attachments.Where(a => wanted.Contains(a.Sha256))
            .Select(a => new CitedFile(a.Sha256, db.CaseAttachments.Any(l => l.Sha256 == a.Sha256 && l.CaseId == caseId),
                db.AttachmentHolders.Any(h => h.Sha256 == a.Sha256 && h.UserId == userId)))));

    private sealed record CitedFile(string Sha256, bool Linked, bool Held);

    public async Task<Result> MoveAsync(long caseId, string action, MoveInput input, CurrentUser user, string? idempotencyKey, CancellationToken ct)
    {
        var rule = Workflow.Find(action) ?? throw new MoveRefusedException(404, Messages.Format("MoveUnknown", action));
        // A role that may never make this move is refused before anything about the case is looked at or told.
        if (!user.IsAnyOf(rule.Roles)) throw new MoveRefusedException(403, Messages.Format("MoveNotYours", Messages.Action(rule.Action)), []);
        var keyErrors = new List<Intake.IntakeError>();
        Intake.IntakeValidator.Text(keyErrors, "Idempotency-Key", idempotencyKey, 128);
        if (keyErrors.Count > 0) throw new MoveRefusedException(400, keyErrors[0].Message, field: keyErrors[0].Field);
        // PostgreSQL stores the move with one statement of its own (CaseMoveWrite), so the case
        // need not be tracked there; SQLite stores it through SaveChanges.
        var statement = db.Database.IsNpgsql() ? CaseMoveWrite.For(db.Model) : null;
        var c = statement is null ? await Tracked.For(db)(db, caseId, ct) : await Untracked.For(db)(db, caseId, ct);
        var key = string.IsNullOrWhiteSpace(idempotencyKey) ? null : idempotencyKey.Trim();
        var fingerprint = key is null ? null : Fingerprint(input);
        if (c is null) throw new MoveRefusedException(404, Messages.Get("CaseNotFound"));
        if (!user.CanSee(c))
        {
            // A retry of a move that took the case out of this user's sight (a unit returning it)
            // is answered as that move was, not with "no such case".
            if (key is not null && await ReplayedAsync(caseId, key, fingerprint, rule, user, hidden: true, ct)) return new Result(c, true);
            throw new MoveRefusedException(404, Messages.Get("CaseNotFound"));
        }
        // A repeat of a move already made is answered as the move was. It is looked for only when
        // the move cannot be made now (a repeat almost always finds the case moved on) or when the
        // unique (case, key) index refuses the write, so a first attempt costs no extra query.
        try
        {
            var checkedVersion = c.Version;
            try
            {
                await ApplyAsync(c, rule, action, input, user, key, fingerprint, ct);
            }
            catch (MoveRefusedException refused) when (refused.Status == 400 && refused.Allowed.Count == 0)
            {
                // What the caller may do now, told with a refusal of their input as with a refusal of the
                // move: from the case as stored, which the refused move may have begun to change in memory.
                db.ChangeTracker.Clear();
                var stored = await Untracked.For(db)(db, caseId, ct);
                throw new MoveRefusedException(400, refused.Message, stored is null ? [] : Workflow.Allowed(stored, user), refused.Field);
            }
            if (statement is null) await db.SaveChangesAsync(ct);
            else await statement.SaveAsync(db, c, checkedVersion, ct);
        }
        catch (Exception ex) when (key is not null && ex is MoveRefusedException or DbUpdateException)
        {
            if (!await ReplayedAsync(caseId, key, fingerprint, rule, user, hidden: false, ct)) throw;
            return new Result(await db.Cases.AsNoTracking().FirstAsync(x => x.Id == caseId, ct), true);
        }
        signals.Raise();
        return new Result(c, false);
    }

    /// <summary>
    /// Whether this move by this user is already in the case's record under this key; forgets
    /// whatever the refused attempt changed. The key used for another move, by someone else or with
    /// other input, is refused with 422: answering it as a repeat would report a move that was never made. On a case
    /// this user cannot see (<paramref name="hidden"/>), only their own repeat is answered; any other
    /// use of the key is "no such case", so keys tell nothing about cases out of sight.
    /// </summary>
    private async Task<bool> ReplayedAsync(long caseId, string key, string? fingerprint, MoveRule rule, CurrentUser user, bool hidden, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var made = await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == caseId && e.IdempotencyKey == key)
            .Select(e => new { e.Action, e.ActorId, e.RequestFingerprint }).FirstOrDefaultAsync(ct);
        if (made is null) return false;
        // Events recorded before fingerprints were kept have none: their key alone decides.
        if (made.Action != rule.Action || made.ActorId != user.Id || (made.RequestFingerprint is not null && made.RequestFingerprint != fingerprint))
            throw hidden ? new MoveRefusedException(404, Messages.Get("CaseNotFound"))
                : new MoveRefusedException(422, Messages.Get("MoveKeyReused"), field: "Idempotency-Key");
        return true;
    }

    /// <summary>The input as sent (every field, in declaration order), hashed: a retry sends the same.</summary>
    private static string Fingerprint(MoveInput input) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(input)));

    private async Task ApplyAsync(Case c, MoveRule rule, string action, MoveInput input, CurrentUser user, string? key, string? fingerprint, CancellationToken ct)
    {
        if (input.Version is { } v && v != c.Version)
            throw new MoveRefusedException(409, Messages.Format("VersionStale", v, c.Version), Workflow.Allowed(c, user));
        if (!rule.From.Contains(c.State) || !Workflow.Fits(rule, c))
            throw new MoveRefusedException(409, Workflow.WhyRefused(rule, c) is { } why ? Messages.Get(why) : Messages.Format("MoveNotNow", Messages.Action(rule.Action), Messages.Get("State" + c.State)),
                Workflow.Allowed(c, user));
        if (!Workflow.IsParty(rule, c, user))
            throw new MoveRefusedException(403, Messages.Format("MoveNotYours", Messages.Action(rule.Action)), Workflow.Allowed(c, user));
        if (rule.ReasonRequired && string.IsNullOrWhiteSpace(input.Reason))
            throw new MoveRefusedException(400, Messages.Get("ReasonRequired"), field: "reason");
        CheckText(rule, input);
        CheckPublicText(rule, input);
        var attachments = await CheckAttachmentsAsync(c.Id, input.Attachments, user, ct);

        var now = clock.GetUtcNow();
        var from = c.State;
        var e = new CaseEvent
        {
            At = now, Action = rule.Action, ActorId = user.Id, ActorName = user.Name, ActorRole = user.PrimaryRole, FromState = from,
            ToState = from, Reason = input.Reason?.Trim(), Public = rule.Public, PrevHash = "", Hash = "", IdempotencyKey = key,
            RequestFingerprint = fingerprint,
        };
        var reference = await cache.GetAsync(ct);
        var (step, onTime) = (c.Clock.Step, effects.WithinLimit(c, now));
        c.UpdatedAt = now; // before the effects: the notices they write carry the move's time
        var data = await effects.ApplyAsync(rule, c, input, user, e, reference, now, ct);
        StepEnded(data, step, onTime, c.Clock.Step);
        if (attachments.Count > 0) data["attachments"] = attachments.Select(a => a.Sha256).ToList();
        foreach (var (sha, linked) in attachments)
            if (!linked) db.CaseAttachments.Add(new Attachments.CaseAttachment { Sha256 = sha, CaseId = c.Id });
        if (input.Notes is { Length: > 0 } notes) data["notes"] = notes;
        e.ToState = c.State;
        e.Data = data.Count == 0 ? null : JsonSerializer.Serialize(data);
        c.Version++;
        CaseChain.Append(c, e);
        effects.AfterMove(c, e, rule, reference, now);
        // A follow-on step the rules take by themselves (auto-dispatch after registration).
        if (rule.Action == "register") effects.AutoDispatch(c, reference, now);
    }

    /// <summary>
    /// Records whether the move ended a running step within its limit, so evaluation can count
    /// on-time registrations, dispatches, checks and handling from the record alone. Time spent
    /// suspended is not held against anyone; time used before it is.
    /// </summary>
    public static void StepEnded(Dictionary<string, object?> data, string? stepBefore, bool withinLimitBefore, string? stepAfter)
    {
        if (stepBefore is null || stepBefore == stepAfter) return;
        data["step"] = stepBefore;
        data["onTime"] = withinLimitBefore;
    }

    private static void CheckText(MoveRule rule, MoveInput input)
    {
        var errors = new List<Intake.IntakeError>();
        Intake.IntakeValidator.Text(errors, "reason", input.Reason, 2000);
        Intake.IntakeValidator.Text(errors, "notes", input.Notes, 4000);
        if (errors.Count > 0) throw new MoveRefusedException(400, errors[0].Message, field: errors[0].Field);
        // Only an extension reads a value; any other move ignores one, as it ignores fields it has no use for.
        if (rule.Action == "extend" && input.Value is { } value)
        {
            if (!double.IsFinite(value) || value <= 0 || value > 1000) throw new MoveRefusedException(400, Messages.Get("ValueInvalid"), field: "value");
            // Half an hour or half a day at the least, in halves: what a shift lead can weigh and a deadline can show.
            if (value * 2 != Math.Floor(value * 2)) throw new MoveRefusedException(400, Messages.Get("ExtendValueStep"), field: "value");
        }
        if (input.Lat is { } lat && input.Lon is { } lon && (!double.IsFinite(lat) || !double.IsFinite(lon)))
            throw new MoveRefusedException(400, Messages.Get("CoordinatesInvalid"), field: "lat");
    }

    /// <summary>What the public will read (a void's reason, the closing statement) may not carry a person's phone or identity number.</summary>
    private static void CheckPublicText(MoveRule rule, MoveInput input)
    {
        var (field, text) = rule.Action switch
        {
            "void" => ("reason", input.Reason),
            "close" => ("notes", input.Notes),
            _ => (null, null),
        };
        if (field is not null && PublicText.HasPersonalData(text)) throw new MoveRefusedException(400, Messages.Get("PublicTextPersonalData"), field: field);
    }

    /// <summary>
    /// The cited files, in the order given, each with whether an earlier move of this case already
    /// cited it. Each must be stored and the mover's to cite — uploaded by them, already cited by
    /// this case, or any file for those who see every case. Citing a file makes it readable to
    /// everyone who sees the case, so nobody may cite what they could not read; a file out of reach
    /// is refused as if it were not stored.
    /// </summary>
    private async Task<List<(string Sha256, bool Linked)>> CheckAttachmentsAsync(long caseId, List<string>? hashes, CurrentUser user, CancellationToken ct)
    {
        if (hashes is null || hashes.Count == 0) return [];
        if (hashes.Any(h => h is null || h.Length != 64)) throw new MoveRefusedException(400, Messages.Get("AttachmentUnknown"), field: "attachments");
        if (hashes.Count > MaxAttachments) throw new MoveRefusedException(400, Messages.Format("TooManyPhotos", MaxAttachments), field: "attachments");
        var wanted = hashes.Select(h => h.Trim().ToLowerInvariant()).Distinct().ToList();
        var everything = CaseViews.SeesEveryCase(user);
        var found = new Dictionary<string, bool>(StringComparer.Ordinal);
        await foreach (var file in CitedFiles.For(db)(db, wanted, caseId, user.Id ?? "").WithCancellation(ct))
            if (file.Linked || file.Held || everything) found[file.Sha256] = file.Linked;
        if (found.Count != wanted.Count) throw new MoveRefusedException(400, Messages.Get("AttachmentUnknown"), field: "attachments");
        return wanted.ConvertAll(h => (h, found[h]));
    }
}
