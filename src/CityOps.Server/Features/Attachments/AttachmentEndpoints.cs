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
    }

    public static void MapAttachments(this WebApplication app)
    {
        var g = app.MapGroup("/api/attachments").WithTags("Attachments").RequireAuthorization(Policies.Staff);
        g.MapPost("/", UploadAsync).WithSummary("Upload one photo or video as the raw request body (image/jpeg, image/png, image/webp, image/heic, video/mp4, video/quicktime)");
        g.MapGet("/{sha256}", async Task<Results<PhysicalFileHttpResult, NotFound>> (string sha256, CityOpsDb db, AttachmentStore store, CancellationToken ct) =>
        {
            var key = sha256.ToLowerInvariant();
            var a = await db.Attachments.AsNoTracking().FirstOrDefaultAsync(x => x.Sha256 == key, ct);
            return a is null ? TypedResults.NotFound() : TypedResults.PhysicalFile(Path.GetFullPath(store.PathOf(a.Sha256)), a.ContentType, enableRangeProcessing: true);
        });
    }

    private static async Task<Results<Created<Stored>, Ok<Stored>, ProblemHttpResult>> UploadAsync(
        HttpContext http, CityOpsDb db, AttachmentStore store, TimeProvider clock, string? fileName, CancellationToken ct)
    {
        var declared = http.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (declared is null || !AttachmentStore.Types.Contains(declared))
            return TypedResults.Problem(Messages.Get("AttachmentTypeNotAllowed"), statusCode: 415);
        var limit = store.MaxBytes(declared);
        if (http.Request.ContentLength > limit) return TypedResults.Problem(Messages.Format("AttachmentTooLarge", limit / 1024 / 1024), statusCode: 413);
        Geography.GeographyEndpoints.AllowLargeBody(http, limit);

        // Check the first bytes before storing anything; they are then written ahead of the rest.
        var head = new byte[16];
        var read = await http.Request.Body.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        var sniffed = AttachmentStore.Sniff(head.AsSpan(0, read));
        if (sniffed is null || (sniffed != declared && !(sniffed.StartsWith("video/", StringComparison.Ordinal) && declared.StartsWith("video/", StringComparison.Ordinal))))
            return TypedResults.Problem(Messages.Get("AttachmentContentMismatch"), statusCode: 415);

        string sha;
        long size;
        try
        {
            (sha, size) = await store.SaveAsync(head.AsMemory(0, read), http.Request.Body, limit, ct);
        }
        catch (InvalidDataException)
        {
            return TypedResults.Problem(Messages.Format("AttachmentTooLarge", limit / 1024 / 1024), statusCode: 413);
        }
        var existing = await db.Attachments.AsNoTracking().FirstOrDefaultAsync(a => a.Sha256 == sha, ct);
        if (existing is not null) return TypedResults.Ok(new Stored(sha, existing.ContentType, existing.Size, false));
        db.Attachments.Add(new Attachment
        {
            Sha256 = sha, ContentType = sniffed, Size = size, UploadedAt = clock.GetUtcNow(),
            FileName = fileName is { Length: <= 255 } ? fileName : null, UploadedById = CurrentUser.From(http.User).Id,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return TypedResults.Ok(new Stored(sha, sniffed, size, false)); // the same file raced in
        }
        return TypedResults.Created($"/api/attachments/{sha}", new Stored(sha, sniffed, size, true));
    }
}
