using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CityOps.Server.Features.Cases.Workflow;

/// <summary>One endpoint per move: POST /api/cases/{id}/{action}.</summary>
public static class MoveEndpoints
{
    public static void MapMoves(this WebApplication app)
    {
        app.MapPost("/api/cases/{id:long}/{action}", MoveAsync).WithTags("Cases").RequireAuthorization(Policies.Staff)
            .WithSummary("Make a move of the closed loop: " + string.Join(", ", Workflow.Rules.Select(r => r.Action)))
            .WithDescription("Send Idempotency-Key to make retries safe (the same key for another move gets 422) and `version` (or If-Match) to refuse a move on a stale view. A move that is not allowed now gets 409 with `allowedActions`.")
            .ProducesProblem(400).ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422);
    }

    private static async Task<Results<Ok<CaseViews.MoveOutcome>, ProblemHttpResult>> MoveAsync(
        long id, string action, [FromBody] MoveInput? input, HttpContext http, CaseMoves moves, CityOpsDb db, ReferenceDataCache cache, Clocks clocks, TimeProvider clock, CancellationToken ct)
    {
        var user = CurrentUser.From(http.User);
        input ??= new MoveInput();
        if (http.Request.Headers["Idempotency-Key"].Count > 1)
            return TypedResults.Problem(Messages.Get("IdempotencyKeyOne"), statusCode: 400, title: Messages.Get("MoveRefused"),
                extensions: new Dictionary<string, object?> { ["field"] = "Idempotency-Key" });
        var (ok, tagged) = IfMatch(http.Request.Headers.IfMatch.ToString());
        if (!ok)
            return TypedResults.Problem(Messages.Get("IfMatchInvalid"), statusCode: 400, title: Messages.Get("MoveRefused"),
                extensions: new Dictionary<string, object?> { ["field"] = "If-Match" });
        if (tagged is { } v)
        {
            if (input.Version is { } given && given != v)
                return TypedResults.Problem(Messages.Format("IfMatchDisagrees", v, given), statusCode: 400, title: Messages.Get("MoveRefused"),
                    extensions: new Dictionary<string, object?> { ["field"] = "If-Match" });
            input = input with { Version = v };
        }
        try
        {
            var result = await moves.MoveAsync(id, action, input, user, http.Request.Headers["Idempotency-Key"], ct);
            http.Response.Headers.ETag = $"\"{result.Case.Version}\"";
            if (result.Replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
            return TypedResults.Ok(CaseViews.Outcome(result.Case, await cache.GetAsync(ct), user, clocks, clock.GetUtcNow(), result.Replayed));
        }
        catch (MoveRefusedException refused)
        {
            var extensions = new Dictionary<string, object?> { ["allowedActions"] = refused.Allowed };
            if (refused.Field is not null) extensions["field"] = refused.Field;
            return TypedResults.Problem(refused.Message, statusCode: refused.Status, title: Messages.Get("MoveRefused"), extensions: extensions);
        }
        catch (Microsoft.EntityFrameworkCore.DbUpdateException)
        {
            // Another move on this case won the race (version) or the same Idempotency-Key raced in.
            db.ChangeTracker.Clear();
            return TypedResults.Problem(Messages.Get("ConcurrentChange"), statusCode: 409, title: Messages.Get("MoveRefused"));
        }
    }

    /// <summary>
    /// The version an If-Match header names: one entity tag as this API sends it in ETag ("7", or
    /// W/"7"); "*" or no header names none. Anything else (a list, a tag this API never sent) is
    /// refused rather than ignored: a stale view must not move the case for want of a parse.
    /// </summary>
    internal static (bool Ok, int? Version) IfMatch(string header)
    {
        var h = header.Trim();
        if (h.Length == 0 || h == "*") return (true, null);
        if (h.StartsWith("W/", StringComparison.Ordinal)) h = h[2..];
        if (h.Length >= 3 && h[0] == '"' && h[^1] == '"' && int.TryParse(h.AsSpan(1, h.Length - 2), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var v))
            return (true, v);
        return (false, null);
    }
}
