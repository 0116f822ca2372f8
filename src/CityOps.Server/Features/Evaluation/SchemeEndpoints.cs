using System.Text.Json;
using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Evaluation;

/// <summary>
/// Evaluation schemes: read by all staff, added by leaders and administrators. A scheme is never
/// edited; a new version takes effect from a date no earlier than this year's first day, so a
/// closed year keeps the scheme it was scored by.
/// </summary>
public static class SchemeEndpoints
{
    public sealed record SchemeInput(string? Name, DateOnly? EffectiveFrom, List<WeightedIndicator>? Indicators, List<GradeBand>? Grades, List<Deduction>? Deductions);
    public sealed record SchemeView(int Id, string Name, DateOnly EffectiveFrom, DateTimeOffset CreatedAt, string? CreatedBy, SchemeDefinition Definition);

    public static void Map(RouteGroupBuilder g)
    {
        g.MapGet("/schemes", ListAsync);
        g.MapGet("/schemes/{id:int}", GetAsync);
        g.MapPost("/schemes", CreateAsync).RequireAuthorization(p => p.RequireRole(Roles.Admin, Roles.Leader))
            .WithSummary("Adds a scheme version; weights must add up to 100, one grade band must start at 0.");
    }

    private static async Task<Ok<List<SchemeView>>> ListAsync(CityOpsDb db, CancellationToken ct) =>
        TypedResults.Ok((await db.EvaluationSchemes.AsNoTracking().OrderBy(s => s.EffectiveFrom).ThenBy(s => s.Id).ToListAsync(ct)).Select(View).ToList());

    private static async Task<Results<Ok<SchemeView>, NotFound>> GetAsync(int id, CityOpsDb db, CancellationToken ct) =>
        await db.EvaluationSchemes.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct) is { } s ? TypedResults.Ok(View(s)) : TypedResults.NotFound();

    private static async Task<Results<Created<SchemeView>, ValidationProblem>> CreateAsync(SchemeInput input, HttpContext http, CityOpsDb db,
        EvaluationService svc, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(input.Name) || input.Name.Trim().Length > 100) errors["name"] = [Messages.Get("SchemeNameRequired")];
        if (input.EffectiveFrom is not { } from) errors["effectiveFrom"] = [Messages.Get("DayInvalid")];
        else if (from < new DateOnly(svc.Today.Year, 1, 1)) errors["effectiveFrom"] = [Messages.Get("SchemeBackdated")];
        var definition = new SchemeDefinition(input.Indicators!, input.Grades!, input.Deductions ?? []);
        foreach (var group in SchemeRules.Validate(definition).GroupBy(e => e.Field))
            errors[group.Key] = group.Select(e => Messages.Get(e.Key)).Distinct().ToArray();
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var scheme = new EvaluationScheme
        {
            Name = input.Name!.Trim(), EffectiveFrom = input.EffectiveFrom!.Value, CreatedAt = clock.GetUtcNow(),
            CreatedBy = CurrentUser.From(http.User).Name, Definition = JsonSerializer.Serialize(definition, SchemeRules.Json),
        };
        db.EvaluationSchemes.Add(scheme);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/evaluation/schemes/{scheme.Id}", View(scheme));
    }

    private static SchemeView View(EvaluationScheme s) => new(s.Id, s.Name, s.EffectiveFrom, s.CreatedAt, s.CreatedBy, s.Parse());
}
