using System.ComponentModel;
using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityOps.Server.Features.Intake;

/// <summary>The native intake door: JSON with the full model, for channels (X-Api-Key) and signed-in staff.</summary>
public static class NativeIntakeEndpoints
{
    public sealed record ReporterInput(string? Name, string? Phone, string? Email);

    public sealed record LocationInput(
        double? Lat, double? Lon,
        [property: Description("WGS84 (default), GCJ02, BD09 or CGCS2000")] string? CoordinateSystem);

    public sealed record ReportInput(
        [property: Description("Channel code; taken from the API key when one is sent")] string? Channel,
        [property: Description("The channel's own message id; a repeat returns the first case")] string? ExternalId,
        [property: Description("Category service code, e.g. E0511")] string? Category,
        [property: Description("Registration condition code within the category, e.g. 01")] string? Condition,
        string? Description, string? Address, LocationInput? Location, ReporterInput? Reporter,
        List<string>? Photos, string? DeviceId,
        [property: Description("Join this open case of the same category instead of opening a new one")] long? AttachTo = null);

    public sealed record ReportAccepted(IntakeOutcome Outcome, long CaseId, Guid Token, CaseViews.CaseDetail Case);

    public static void MapNativeIntake(this WebApplication app)
    {
        app.MapPost("/api/reports", SubmitAsync).WithTags("Intake").AllowAnonymous()
            .WithSummary("Report a problem through a channel (X-Api-Key) or as signed-in staff")
            .ProducesProblem(400).ProducesProblem(403).ProducesProblem(422).ProducesProblem(429)
            .RequireRateLimiting(IntakeRateLimit.Policy);
    }

    private static async Task<Results<Created<ReportAccepted>, Ok<ReportAccepted>, ProblemHttpResult, ValidationProblem>> SubmitAsync(
        ReportInput body, HttpContext http, IntakeService intake, ReferenceDataCache cache, CityOpsDb db, Cases.Workflow.Clocks clocks, TimeProvider clock, CancellationToken ct)
    {
        var reference = await cache.GetAsync(ct);
        var user = CurrentUser.From(http.User);
        Channel? channel;
        var key = http.Request.Headers["X-Api-Key"].ToString();
        if (key.Length > 0)
        {
            if (!reference.ChannelsByKeyHash.TryGetValue(ApiKeys.Hash(key), out channel))
                return TypedResults.Problem(Messages.Get("ApiKeyInvalid"), statusCode: 403);
        }
        else if (user.IsAnyOf(Roles.Reporters))
        {
            if (string.IsNullOrWhiteSpace(body.Channel) || !reference.ChannelsByCode.TryGetValue(body.Channel, out channel) || !channel.Active)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["channel"] = [Messages.Get("ChannelUnknown")] });
        }
        else
        {
            if (user.IsAuthenticated) return TypedResults.Problem(Messages.Get("RoleMayNotReport"), statusCode: 403);
            // Either a channel's key or a staff sign-in opens this door: the challenge names both.
            http.Response.Headers.WWWAuthenticate = new(["ApiKey header=\"X-Api-Key\"", "Bearer"]);
            return TypedResults.Problem(Messages.Get("ApiKeyRequired"), statusCode: 401);
        }

        if (!Coordinates.TryParse(body.Location?.CoordinateSystem, out var system))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["location.coordinateSystem"] = [Messages.Get("CoordinateSystemUnknown")] });
        var request = new IntakeRequest
        {
            ServiceCode = body.Category, ConditionCode = body.Condition, Lat = body.Location?.Lat, Lon = body.Location?.Lon, CoordinateSystem = system,
            Address = body.Address, Description = body.Description, ReporterName = body.Reporter?.Name, ReporterPhone = body.Reporter?.Phone,
            ReporterEmail = body.Reporter?.Email, DeviceId = body.DeviceId, ExternalId = body.ExternalId, MediaUrls = body.Photos ?? [],
            AttachTo = body.AttachTo,
        };
        try
        {
            var actor = new IntakeActor(channel, user.Id, user.Name, user.PrimaryRole);
            var result = await intake.SubmitAsync(request, actor, http.Request.Headers["Idempotency-Key"], ct);
            var detail = await CaseViews.DetailAsync(db, reference, result.Case.Id, user, clocks, clock.GetUtcNow(), ct);
            var accepted = new ReportAccepted(result.Outcome, result.Case.Id, result.Report.Token, detail!);
            // A replay is answered as the report was: 200 when it joined an open case.
            return result.JoinedOpenCase
                ? TypedResults.Ok(accepted)
                : TypedResults.Created($"/api/cases/{result.Case.Id}", accepted);
        }
        catch (IntakeRejected rejected) when (rejected.Status == 400)
        {
            return TypedResults.ValidationProblem(rejected.Errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()));
        }
        catch (IntakeRejected rejected)
        {
            return TypedResults.Problem(rejected.Message, statusCode: rejected.Status);
        }
    }
}
