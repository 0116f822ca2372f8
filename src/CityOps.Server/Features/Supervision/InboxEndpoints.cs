using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityOps.Server.Features.Supervision;

/// <summary>The in-app inbox over HTTP (the rules are <see cref="Inbox"/>'): notices for the caller and for the caller's unit.</summary>
public static class InboxEndpoints
{
    public sealed record MarkedRead(int Count);

    public static void MapInbox(this WebApplication app)
    {
        var g = app.MapGroup("/api/inbox").WithTags("Inbox").RequireAuthorization();
        g.MapGet("/", async (HttpContext http, CityOpsDb db, bool? unread, CancellationToken ct) =>
                TypedResults.Ok(await Inbox.ListAsync(db, CurrentUser.From(http.User), unread == true, ct)))
            .WithSummary("The latest 200 notices to the caller and to the caller's unit, newest first; ?unread=true: only those of them the caller has not read");
        g.MapPost("/{id:long}/read", async Task<Results<NoContent, NotFound>> (long id, HttpContext http, CityOpsDb db, TimeProvider clock, CancellationToken ct) =>
                await Inbox.MarkReadAsync(db, CurrentUser.From(http.User), id, clock.GetUtcNow(), ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithSummary("Marks one notice read for the caller (a unit's notice stays unread for the unit's other people)");
        g.MapPost("/read", async (HttpContext http, CityOpsDb db, TimeProvider clock, CancellationToken ct) =>
                TypedResults.Ok(new MarkedRead(await Inbox.MarkAllReadAsync(db, CurrentUser.From(http.User), clock.GetUtcNow(), ct))))
            .WithSummary("Marks every unread notice of the caller's inbox read for the caller; answers how many were unread");
    }
}
