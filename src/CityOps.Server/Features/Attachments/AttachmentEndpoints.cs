using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Attachments;

/// <summary>Upload evidence (raw body with its content type), then cite its hash in a move.</summary>
public static class AttachmentEndpoints
{
    public sealed record Stored(string Sha256, string ContentType, long Size, bool New);

    public static void AddAttachments(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("CityOps:Attachments").Get<AttachmentOptions>() ?? new AttachmentOptions();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<AttachmentStore>();
        builder.Services.AddHostedService<UploadLeftovers>();
    }

    public static void MapAttachments(this WebApplication app)
    {
        var g = app.MapGroup("/api/attachments").WithTags("Attachments").RequireAuthorization(Policies.Staff);
        g.MapPost("/", UploadAsync).WithSummary("Upload one photo or video as the raw request body (image/jpeg, image/png, image/webp, image/heic, video/mp4, video/quicktime)");
        g.MapGet("/{sha256}", async Task<Results<PhysicalFileHttpResult, NotFound>> (string sha256, HttpContext http, CityOpsDb db, AttachmentStore store, CancellationToken ct) =>
        {
            var key = sha256.ToLowerInvariant();
            var a = await db.Attachments.AsNoTracking().FirstOrDefaultAsync(x => x.Sha256 == key, ct);
            return a is null || !await MaySeeAsync(db, a, CurrentUser.From(http.User), ct)
                ? TypedResults.NotFound()
                : TypedResults.PhysicalFile(Path.GetFullPath(store.PathOf(a.Sha256)), a.ContentType, enableRangeProcessing: true);
        });
    }

    /// <summary>
    /// Evidence belongs to its case: who sees every case sees every file; others see what they uploaded
    /// (first or again) and what a move of a case they may see cites. A file out of reach is 404, like the case.
    /// </summary>
    private static async Task<bool> MaySeeAsync(CityOpsDb db, Attachment a, CurrentUser user, CancellationToken ct)
    {
        if (Cases.CaseViews.SeesEveryCase(user)) return true;
        var sha = a.Sha256;
        if (user.Id is { } me && await db.AttachmentHolders.AnyAsync(h => h.Sha256 == sha && h.UserId == me, ct)) return true;
        var citing = db.CaseAttachments.Where(l => l.Sha256 == sha).Select(l => l.CaseId);
        return await Cases.CaseViews.VisibleTo(db.Cases.AsNoTracking(), user).AnyAsync(c => citing.Contains(c.Id), ct);
    }

    private static async Task<Results<Created<Stored>, Ok<Stored>, ProblemHttpResult>> UploadAsync(
        HttpContext http, CityOpsDb db, AttachmentStore store, TimeProvider clock, string? fileName, CancellationToken ct)
    {
        var declared = http.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (declared is not null && AttachmentStore.Types.Contains(declared)) Geography.GeographyEndpoints.AllowLargeBody(http, store.MaxBytes(declared));
        var (status, stored, problem) = await AcceptAsync(http.Request.Body, declared, http.Request.ContentLength, fileName, CurrentUser.From(http.User).Id, db, store, clock, ct);
        return status switch
        {
            201 => TypedResults.Created($"/api/attachments/{stored!.Sha256}", stored),
            200 => TypedResults.Ok(stored!),
            _ => TypedResults.Problem(problem, statusCode: status),
        };
    }

    /// <summary>
    /// Checks and stores one file (the API's upload and the web app's photo picker both come here):
    /// 201 stored, 200 already there, or 413/415 with the reason.
    /// </summary>
    public static async Task<(int Status, Stored? Stored, string? Problem)> AcceptAsync(Stream body, string? declared, long? length, string? fileName, string? userId,
        CityOpsDb db, AttachmentStore store, TimeProvider clock, CancellationToken ct)
    {
        if (declared is null || !AttachmentStore.Types.Contains(declared))
            return (415, null, Messages.Get("AttachmentTypeNotAllowed"));
        var limit = store.MaxBytes(declared);
        if (length > limit) return (413, null, Messages.Format("AttachmentTooLarge", limit / 1024 / 1024));

        // Check the first bytes before storing anything; they are then written ahead of the rest.
        var head = new byte[AttachmentStore.HeadLength];
        var read = await body.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        if (read < AttachmentStore.MinBytes) return (415, null, Messages.Get("AttachmentTooShort"));
        var sniffed = AttachmentStore.Sniff(head.AsSpan(0, read));
        if (sniffed is null || (sniffed != declared && !(sniffed.StartsWith("video/", StringComparison.Ordinal) && declared.StartsWith("video/", StringComparison.Ordinal))))
            return (415, null, Messages.Get("AttachmentContentMismatch"));

        string sha;
        long size;
        try
        {
            (sha, size) = await store.SaveAsync(head.AsMemory(0, read), body, limit, ct);
        }
        catch (InvalidDataException)
        {
            return (413, null, Messages.Format("AttachmentTooLarge", limit / 1024 / 1024));
        }
        var now = clock.GetUtcNow();
        var existing = await db.Attachments.AsNoTracking().FirstOrDefaultAsync(a => a.Sha256 == sha, ct);
        if (existing is not null)
        {
            // The same bytes again: whoever sent them holds them too, and may see and cite them.
            await HoldAsync(db, sha, userId, now, ct);
            return (200, new Stored(sha, existing.ContentType, existing.Size, false), null);
        }
        db.Attachments.Add(new Attachment
        {
            Sha256 = sha, ContentType = sniffed, Size = size, UploadedAt = now,
            FileName = fileName is { Length: <= 255 } ? fileName : null, UploadedById = userId,
        });
        if (userId is not null) db.AttachmentHolders.Add(new AttachmentHolder { Sha256 = sha, UserId = userId, At = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            await HoldAsync(db, sha, userId, now, ct); // the same file raced in
            return (200, new Stored(sha, sniffed, size, false), null);
        }
        return (201, new Stored(sha, sniffed, size, true), null);
    }

    private static async Task HoldAsync(CityOpsDb db, string sha, string? userId, DateTimeOffset now, CancellationToken ct)
    {
        if (userId is null || await db.AttachmentHolders.AnyAsync(h => h.Sha256 == sha && h.UserId == userId, ct)) return;
        db.AttachmentHolders.Add(new AttachmentHolder { Sha256 = sha, UserId = userId, At = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear(); // the same person sent the same bytes twice at once: one row is all it takes
        }
    }
}
