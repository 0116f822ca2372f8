using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using static CityOps.Server.Features.Supervision.SupervisionOrders;

namespace CityOps.Server.Features.Supervision;

/// <summary>
/// 督办 orders and their acknowledgement (签收) over HTTP (the rules are <see cref="SupervisionOrders"/>'):
/// the unit an order went to says it has taken it in hand, once, with an optional reply; the centre
/// sees which orders are still unanswered.
/// </summary>
public static class SupervisionEndpoints
{
    public sealed record Acknowledgement(string? Reply);

    public static void MapSupervision(this WebApplication app)
    {
        var g = app.MapGroup("/api/supervision").WithTags("Supervision").RequireAuthorization(Policies.Staff);
        g.MapGet("/", ListAsync)
            .WithSummary("督办 orders, newest first: every order for the centre, leaders and administrators; for a unit, those to it, to a unit below it, or naming it as superior. ?pending=true: not yet acknowledged; ?caseId=");
        g.MapPost("/{id:long}/acknowledge", AcknowledgeAsync)
            .WithSummary("The unit the order went to acknowledges it (签收), with an optional reply (up to 1,000 characters); once");
    }

    private static async Task<Results<Ok<List<OrderRow>>, ValidationProblem>> ListAsync(HttpContext http, CityOpsDb db, bool? pending, long? caseId,
        CancellationToken ct, int page = 1, int pageSize = 100)
    {
        var errors = new Dictionary<string, string[]>();
        if (page is < 1 or > 100_000) errors["page"] = [Messages.Get("PageInvalid")];
        if (pageSize is < 1 or > 500) errors["pageSize"] = [Messages.Format("PageSizeInvalid", 500)];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (rows, _) = await SupervisionOrders.ListAsync(db, CurrentUser.From(http.User), pending, caseId, page, pageSize, counted: false, ct);
        return TypedResults.Ok(rows);
    }

    private static async Task<Results<Ok<OrderRow>, NotFound, ProblemHttpResult, ValidationProblem>> AcknowledgeAsync(long id, Acknowledgement? body, HttpContext http,
        CityOpsDb db, TimeProvider clock, CancellationToken ct)
    {
        var answer = await SupervisionOrders.AcknowledgeAsync(db, CurrentUser.From(http.User), id, body?.Reply, clock.GetUtcNow(), ct);
        return answer.Outcome switch
        {
            Outcome.Acknowledged => TypedResults.Ok(answer.Order!),
            Outcome.NotFound => TypedResults.NotFound(),
            Outcome.NotYours => TypedResults.Problem(Messages.Get("SupervisionNotYours"), statusCode: StatusCodes.Status403Forbidden),
            Outcome.AlreadyAcknowledged => TypedResults.Problem(Messages.Get("SupervisionAcknowledged"), statusCode: StatusCodes.Status409Conflict),
            _ => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reply"] = [answer.Error!] }),
        };
    }
}
