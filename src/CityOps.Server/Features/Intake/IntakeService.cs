using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Categories;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Supervision;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Intake;

public sealed class IntakeOptions
{
    /// <summary>A report of the same category this close to an open case joins it (metres).</summary>
    public double DuplicateRadiusMeters { get; set; } = 30;
    /// <summary>… if that case was reported within this many hours.</summary>
    public double DuplicateWindowHours { get; set; } = 72;
    public int Open311PageSizeDefault { get; set; } = 100;
    public int Open311PageSizeMax { get; set; } = 1000;
    /// <summary>Most new cases written in one transaction by <see cref="IntakeWriter"/> (1 writes each on its own).</summary>
    public int WriteBatchSize { get; set; } = 64;
    /// <summary>
    /// Transactions of new cases in flight at once on PostgreSQL (SQLite always one). One writer
    /// gathers everything that arrived during the previous commit into the next batch; larger
    /// batches cost PostgreSQL less per case than more, smaller ones in parallel (docs/benchmarks.md).
    /// </summary>
    public int WriteConcurrency { get; set; } = 1;
}

/// <summary>What the pipeline did with a report.</summary>
public sealed record IntakeResult(IntakeOutcome Outcome, Case Case, Report Report)
{
    /// <summary>Whether the report joined an open case, now or (for a replay) when it was first received.</summary>
    public bool JoinedOpenCase => Outcome == IntakeOutcome.Merged || (Outcome == IntakeOutcome.Replayed && Report.MergedIntoExisting);
}

/// <summary>Thrown when a report is refused; carries every invalid field.</summary>
public sealed class IntakeRejected(int status, IReadOnlyList<IntakeError> errors) : Exception(string.Join("; ", errors.Select(e => e.Message)))
{
    public int Status { get; } = status;
    public IReadOnlyList<IntakeError> Errors { get; } = errors;
}

/// <summary>
/// The one intake pipeline behind every door: validate, replay a repeated message, place the
/// point on the grid, route it, merge it into an open duplicate or open a case, and record the
/// first step of the case's chain — all in one transaction, so a report is either wholly stored
/// or not at all.
/// </summary>
public sealed class IntakeService(CityOpsDb db, ReferenceDataCache cache, Cases.Workflow.Clocks clocks, IOptions<Cases.Workflow.WorkflowOptions> workflow,
    TimeProvider clock, IOptions<IntakeOptions> options, ILogger<IntakeService> log, CaseSignals signals, IntakeWriter writer, OpeningCases opening,
    Cases.Workflow.Notifier notifier)
{
    public async Task<IntakeResult> SubmitAsync(IntakeRequest request, IntakeActor actor, string? idempotencyKey, CancellationToken ct)
    {
        var reference = await cache.GetAsync(ct);
        var errors = IntakeValidator.Validate(request, reference, out var category);
        IntakeValidator.Text(errors, "Idempotency-Key", idempotencyKey, 128);
        if (errors.Count > 0) throw new IntakeRejected(400, errors);

        // Repeats are rare: try the write first and let the unique index on (channel, key) catch a
        // repeat, instead of paying a look-up on every report.
        var fingerprint = Fingerprint(request, actor.Channel.Id);

        RouteOutcome? route = null;
        double? lat = null, lon = null;
        if (request.Lat is { } rawLat && request.Lon is { } rawLon)
        {
            (lon, lat) = Coordinates.ToWgs84(request.CoordinateSystem, rawLon, rawLat);
            route = reference.Routing.Route(lon.Value, lat.Value, category!.Id);
            if (route is null) throw new IntakeRejected(400, [new("lat", Messages.Get("OutsideCity"))]);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StoreAsync(request, actor, idempotencyKey, fingerprint, category!, route, lat, lon, reference, ct);
            }
            catch (DbUpdateException ex) when (attempt < MaxAttempts && !ApiExceptionHandler.IsBusy(ex)) // a busy database is not asked again here: the client is told to retry
            {
                // Either the message was received before (unique key) or a merge target moved
                // (version): look for the earlier report, else try again. Many reports of one
                // incident arrive together and all join one case, one version at a time: a short
                // random pause spreads the retries out so each gets its turn.
                db.ChangeTracker.Clear();
                log.LogDebug(ex, "Intake attempt {Attempt} conflicted; retrying", attempt);
                var replay = await FindReplayAsync(actor.Channel.Id, idempotencyKey, request.ExternalId, fingerprint, ct);
                if (replay is not null) return replay;
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), ct); // real time: it spreads real contention
            }
        }
    }

    /// <summary>Turns of reports joining one case (striped by case id; shared by every request of this process).</summary>
    private static readonly KeyedTurns MergeTurn = new(64);

    /// <summary>How often a report is tried before a conflict is given to the client (409).</summary>
    private const int MaxAttempts = 12;

    private async Task<IntakeResult> StoreAsync(IntakeRequest r, IntakeActor actor, string? idempotencyKey, string fingerprint,
        Category category, RouteOutcome? route, double? lat, double? lon, ReferenceData reference, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var report = new Report
        {
            ChannelId = actor.Channel.Id, ExternalId = Blank(r.ExternalId), IdempotencyKey = Blank(idempotencyKey), Fingerprint = fingerprint,
            Token = Guid.NewGuid(), ReporterName = Blank(r.ReporterName), ReporterPhone = Blank(r.ReporterPhone), ReporterEmail = Blank(r.ReporterEmail),
            DeviceId = Blank(r.DeviceId), AccountId = Blank(r.AccountId), Description = r.Description?.Trim() ?? "", Address = Blank(r.Address),
            Lat = lat, Lon = lon, CoordinateSystem = r.CoordinateSystem, OriginalLat = r.Lat, OriginalLon = r.Lon,
            AttributesJson = r.Attributes.Count == 0 ? null : JsonSerializer.Serialize(r.Attributes), ReceivedAt = now,
        };
        var condition = r.ConditionCode is null ? null : category.Conditions.FirstOrDefault(c => c.Code == r.ConditionCode);

        // A report that may open a case holds its place first, so a report of the same incident
        // arriving at the same instant waits, then finds this one's case and joins it.
        var radius = options.Value.DuplicateRadiusMeters;
        using var place = r.AttachTo is null && route is not null && radius > 0 ? await opening.HoldAsync(category.Id, lat!.Value, lon!.Value, radius, ct) : null;
        var existing = r.AttachTo is { } target ? await AttachTargetAsync(target, category.Id, ct)
            : route is null ? null : await FindDuplicateAsync(category.Id, lat!.Value, lon!.Value, now, ct);
        // Reports joining one case take turns on this instance (one version at a time), so a burst
        // of calls about one incident queues here instead of failing each other's version checks.
        using var turn = existing is null ? null : await MergeTurn.EnterAsync(existing.Id, ct);
        if (existing is not null)
        {
            await db.Entry(existing).ReloadAsync(ct); // as the report before this one left it
            if (!existing.IsOpen)
            {
                if (r.AttachTo is not null) throw new IntakeRejected(400, [new("attachTo", Messages.Get("AttachTargetInvalid"))]);
                throw new DbUpdateConcurrencyException(Messages.Get("ConcurrentChange")); // closed meanwhile: look again
            }
        }
        if (existing is not null)
        {
            report.MergedIntoExisting = true;
            existing.Reports.Add(report);
            existing.ReportCount++;
            existing.UpdatedAt = now;
            existing.Version++;
            AddPhotos(existing, report, r.MediaUrls, now);
            CaseChain.Append(existing, NewEvent(actor, now, "merge", existing.State, existing.State, existing.AssignedUnitId,
                Messages.GetForStaff("EventMergedReport"), new { channel = actor.Channel.Code, distanceLimit = options.Value.DuplicateRadiusMeters }));
            if (Urges(existing))
                notifier.ToAnswering(existing, reference, "repeat", NoticeText.Of("NoticeRepeatReports", existing.Id, existing.ReportCount), now);
            await db.SaveChangesAsync(ct);
            signals.Raise();
            return new IntakeResult(IntakeOutcome.Merged, existing, report);
        }

        var state = route is null ? CaseState.NeedsLocation : CaseState.Reported;
        var c = new Case
        {
            Key = Guid.NewGuid(), State = state, ChannelId = actor.Channel.Id, CategoryId = category.Id, ConditionId = condition?.Id,
            Description = report.Description, Address = report.Address, Lat = lat, Lon = lon,
            CellId = route?.CellId, CommunityId = route?.CommunityId, SubdistrictId = route?.SubdistrictId, DistrictId = route?.DistrictId,
            AssignedUnitId = route?.UnitId, RoutingReason = route?.Reason ?? RoutingReason.NeedsLocation,
            RoutingDetail = route is { } ro ? RoutingText.Detail(ro, reference) : null,
            ReportedAt = now, UpdatedAt = now,
        };
        c.Reports.Add(report);
        AddPhotos(c, report, r.MediaUrls, now);
        var step = workflow.Value.Step("register");
        clocks.Start(c.Clock, "register", step.Value, step.Unit, now);
        CaseChain.Append(c, NewEvent(actor, now, "report", null, state, c.AssignedUnitId, c.RoutingDetail,
            new { channel = actor.Channel.Code, category = category.ServiceCode, cell = route is null ? null : reference.Routing.Locate(lon!.Value, lat!.Value)?.Code, reason = c.RoutingReason.ToString() }));
        await writer.WriteAsync(c, ct);
        signals.Raise();
        return new IntakeResult(IntakeOutcome.Created, c, report);
    }

    /// <summary>
    /// 催办: citizens keep reporting a registered case that is not dealt with yet. Whoever answers for
    /// it now is told at the second report and each time the count doubles (2, 4, 8 …), so a burst of
    /// calls about one incident is a handful of notices, not an inbox full. A report still in the pool
    /// shows its count to the operator who takes it up.
    /// </summary>
    private static bool Urges(Case c) =>
        c.State is CaseState.Registered or CaseState.Dispatched or CaseState.Handling or CaseState.Handled or CaseState.Feedback or CaseState.Verifying
        && System.Numerics.BitOperations.IsPow2(c.ReportCount);

    private async Task<Case?> FindDuplicateAsync(int categoryId, double lat, double lon, DateTimeOffset now, CancellationToken ct)
    {
        var radius = options.Value.DuplicateRadiusMeters;
        if (radius <= 0) return null;
        return (await NearbyOpenAsync(db.Cases, categoryId, lat, lon, radius, now.AddHours(-options.Value.DuplicateWindowHours), ct)).FirstOrDefault().Case;
    }

    /// <summary>Open cases of a category within <paramref name="radius"/> metres of a WGS-84 point, nearest first.</summary>
    public static async Task<List<(Case Case, double Distance)>> NearbyOpenAsync(IQueryable<Case> cases, int categoryId, double lat, double lon, double radius,
        DateTimeOffset since, CancellationToken ct)
    {
        var dLat = radius / 110574.0;
        var dLon = radius / (111320.0 * Math.Cos(lat * Math.PI / 180));
        var candidates = await cases
            .Where(c => c.CategoryId == categoryId && c.Lat >= lat - dLat && c.Lat <= lat + dLat && c.Lon >= lon - dLon && c.Lon <= lon + dLon
                        && c.ReportedAt >= since && c.State != CaseState.Closed && c.State != CaseState.Voided)
            .Take(50).ToListAsync(ct); // no ORDER BY: it would tempt the planner off the (category, lat, lon) index
        return candidates
            .Select(c => (Case: c, Distance: Coordinates.DistanceMeters(lon, lat, c.Lon!.Value, c.Lat!.Value)))
            .Where(x => x.Distance <= radius).OrderBy(x => x.Distance).ToList();
    }

    private async Task<Case> AttachTargetAsync(long caseId, int categoryId, CancellationToken ct)
    {
        var target = await db.Cases.FirstOrDefaultAsync(c => c.Id == caseId, ct);
        return target is { IsOpen: true } && target.CategoryId == categoryId
            ? target
            : throw new IntakeRejected(400, [new("attachTo", Messages.Get("AttachTargetInvalid"))]);
    }

    private async Task<IntakeResult?> FindReplayAsync(int channelId, string? key, string? externalId, string fingerprint, CancellationToken ct)
    {
        key = Blank(key);
        externalId = Blank(externalId);
        if (key is null && externalId is null) return null;
        var report = await db.Reports.AsNoTracking()
            .Where(r => r.ChannelId == channelId && ((key != null && r.IdempotencyKey == key) || (externalId != null && r.ExternalId == externalId)))
            .FirstOrDefaultAsync(ct);
        if (report is null) return null;
        if (report.Fingerprint != fingerprint)
            throw new IntakeRejected(422, [new(key is not null ? "Idempotency-Key" : "external_id", Messages.Get("IdempotencyKeyReused"))]);
        var c = await db.Cases.AsNoTracking().FirstAsync(x => x.Id == report.CaseId, ct);
        return new IntakeResult(IntakeOutcome.Replayed, c, report);
    }

    private static void AddPhotos(Case c, Report report, IReadOnlyList<string> urls, DateTimeOffset now)
    {
        foreach (var url in urls) c.Photos.Add(new CasePhoto { Url = url, AddedAt = now, Report = report });
    }

    private static CaseEvent NewEvent(IntakeActor actor, DateTimeOffset now, string action, CaseState? from, CaseState to, int? unit, string? reason, object data) => new()
    {
        At = now, Action = action, ActorId = actor.UserId ?? "channel:" + actor.Channel.Code, ActorName = actor.UserName ?? actor.Channel.NameZh,
        ActorRole = actor.Role ?? "channel", FromState = from, ToState = to, UnitId = unit, Reason = reason,
        Data = JsonSerializer.Serialize(data), Public = true, PrevHash = "", Hash = "",
    };

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>SHA-256 of the request's content: a retry matches, a different report under the same key does not.</summary>
    public static string Fingerprint(IntakeRequest r, int channelId)
    {
        var sb = new StringBuilder();
        void F(string? v) => sb.Append(v?.Length ?? -1).Append(':').Append(v).Append('|');
        F(channelId.ToString(CultureInfo.InvariantCulture));
        F(r.ServiceCode?.Trim().ToUpperInvariant());
        F(r.ConditionCode);
        F(r.Lat?.ToString("R", CultureInfo.InvariantCulture));
        F(r.Lon?.ToString("R", CultureInfo.InvariantCulture));
        F(r.CoordinateSystem.ToString());
        F(Blank(r.Address));
        F(r.Description?.Trim());
        F(Blank(r.ReporterName));
        F(Blank(r.ReporterPhone));
        F(Blank(r.ReporterEmail));
        F(Blank(r.ExternalId));
        foreach (var m in r.MediaUrls) F(m);
        foreach (var (k, v) in r.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal)) { F(k); F(v); }
        // Appended only when given, so that fingerprints stored before these were counted still
        // match the retries of their reports.
        if (Blank(r.DeviceId) is { } device) { F("device"); F(device); }
        if (Blank(r.AccountId) is { } account) { F("account"); F(account); }
        if (r.AttachTo is { } target) { F("attachTo"); F(target.ToString(CultureInfo.InvariantCulture)); }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}

/// <summary>One turn at a time per key, over a fixed number of stripes (keys sharing a stripe share turns).</summary>
internal sealed class KeyedTurns(int stripes)
{
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, stripes).Select(_ => new SemaphoreSlim(1, 1))];

    public async Task<IDisposable> EnterAsync(long key, CancellationToken ct)
    {
        var stripe = _stripes[(int)((ulong)key % (ulong)_stripes.Length)];
        await stripe.WaitAsync(ct);
        return new Turn(stripe);
    }

    private sealed class Turn(SemaphoreSlim stripe) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) stripe.Release();
        }
    }
}
