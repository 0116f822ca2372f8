using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Supervision;

/// <summary>The in-app inbox: notices for the caller and for the caller's unit.</summary>
public static class InboxEndpoints
{
    public sealed record Notice(long Id, string Kind, string Text, long? CaseId, DateTimeOffset CreatedAt, bool Read);

    public static void MapInbox(this WebApplication app)
    {
        var g = app.MapGroup("/api/inbox").WithTags("Inbox").RequireAuthorization();
        g.MapGet("/", async (HttpContext http, CityOpsDb db, bool? unread, CancellationToken ct) =>
        {
            var u = CurrentUser.From(http.User);
            var q = db.Notifications.AsNoTracking().Where(n => n.UserId == u.Id || (u.UnitId != null && n.UnitId == u.UnitId))
                .Select(n => new { n, Read = n.UserId != null ? n.ReadAt != null : db.NotificationReads.Any(r => r.NotificationId == n.Id && r.UserId == u.Id) });
            if (unread == true) q = q.Where(x => !x.Read);
            return TypedResults.Ok(await q.OrderByDescending(x => x.n.Id).Take(200)
                .Select(x => new Notice(x.n.Id, x.n.Kind, x.n.Text, x.n.CaseId, x.n.CreatedAt, x.Read)).ToListAsync(ct));
        });
        g.MapPost("/{id:long}/read", async Task<Results<NoContent, NotFound>> (long id, HttpContext http, CityOpsDb db, TimeProvider clock, CancellationToken ct) =>
        {
            var u = CurrentUser.From(http.User);
            var now = clock.GetUtcNow();
            var n = await db.Notifications.AsNoTracking().Where(x => x.Id == id && (x.UserId == u.Id || (u.UnitId != null && x.UnitId == u.UnitId)))
                .Select(x => new { x.UserId, x.ReadAt }).FirstOrDefaultAsync(ct);
            if (n is null) return TypedResults.NotFound();
            // A personal notice is marked on its row; a unit's notice for this reader only (and on its row, when first read).
            if (n.ReadAt is null) await db.Notifications.Where(x => x.Id == id && x.ReadAt == null).ExecuteUpdateAsync(s => s.SetProperty(x => x.ReadAt, now), ct);
            if (n.UserId is null && !await db.NotificationReads.AnyAsync(r => r.NotificationId == id && r.UserId == u.Id, ct))
            {
                db.NotificationReads.Add(new NotificationRead { NotificationId = id, UserId = u.Id!, ReadAt = now });
                try
                {
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateException)
                {
                    db.ChangeTracker.Clear(); // the same reader marked it twice at once
                }
            }
            return TypedResults.NoContent();
        });
    }
}
