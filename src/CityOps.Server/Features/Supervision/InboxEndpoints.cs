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
            var q = db.Notifications.AsNoTracking().Where(n => n.UserId == u.Id || (u.UnitId != null && n.UnitId == u.UnitId));
            if (unread == true) q = q.Where(n => n.ReadAt == null);
            return TypedResults.Ok(await q.OrderByDescending(n => n.Id).Take(200)
                .Select(n => new Notice(n.Id, n.Kind, n.Text, n.CaseId, n.CreatedAt, n.ReadAt != null)).ToListAsync(ct));
        });
        g.MapPost("/{id:long}/read", async Task<Results<NoContent, NotFound>> (long id, HttpContext http, CityOpsDb db, TimeProvider clock, CancellationToken ct) =>
        {
            var u = CurrentUser.From(http.User);
            var now = clock.GetUtcNow();
            var n = await db.Notifications.Where(x => x.Id == id && (x.UserId == u.Id || (u.UnitId != null && x.UnitId == u.UnitId)))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ReadAt, now), ct);
            return n == 0 ? TypedResults.NotFound() : TypedResults.NoContent();
        });
    }
}
