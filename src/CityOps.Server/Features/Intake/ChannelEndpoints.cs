using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Intake;

/// <summary>Channel administration. A new key is returned once and stored only as a hash.</summary>
public static class ChannelEndpoints
{
    public sealed record ChannelRow(int Id, string Code, string NameZh, string NameEn, SourceType SourceType, bool Active, string? KeyPrefix, DateTimeOffset? KeyCreatedAt);
    public sealed record ChannelInput(string Code, string NameZh, string NameEn, SourceType SourceType, bool Active = true);
    public sealed record NewKey(string Channel, string ApiKey, string Notice);

    public static void MapChannels(this WebApplication app)
    {
        var g = app.MapGroup("/api/admin/channels").WithTags("Administration").RequireAuthorization(Policies.Admin);
        g.MapGet("/", async (CityOpsDb db, CancellationToken ct) => TypedResults.Ok(await db.Channels.AsNoTracking().OrderBy(c => c.Id)
            .Select(c => new ChannelRow(c.Id, c.Code, c.NameZh, c.NameEn, c.SourceType, c.Active, c.ApiKeyPrefix, c.ApiKeyCreatedAt)).ToListAsync(ct)));
        g.MapPost("/", CreateAsync);
        g.MapPut("/{code}", UpdateAsync);
        g.MapPost("/{code}/key", RotateKeyAsync).WithSummary("Issues a new API key for the channel (shown once; the old key stops working)");
    }

    private static async Task<Results<Created<ChannelRow>, ValidationProblem>> CreateAsync(ChannelInput input, CityOpsDb db, ReferenceDataCache cache, CancellationToken ct)
    {
        var errors = Validate(input);
        if (await db.Channels.AnyAsync(c => c.Code == input.Code, ct)) errors["code"] = [Messages.Get("CodeTaken")];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var c = new Channel { Code = input.Code, NameZh = input.NameZh, NameEn = input.NameEn, SourceType = input.SourceType, Active = input.Active };
        db.Channels.Add(c);
        await db.SaveChangesAsync(ct);
        cache.Invalidate();
        return TypedResults.Created($"/api/admin/channels/{c.Code}", new ChannelRow(c.Id, c.Code, c.NameZh, c.NameEn, c.SourceType, c.Active, null, null));
    }

    private static async Task<Results<Ok<ChannelRow>, NotFound, ValidationProblem>> UpdateAsync(string code, ChannelInput input, CityOpsDb db, ReferenceDataCache cache, CancellationToken ct)
    {
        var c = await db.Channels.FirstOrDefaultAsync(x => x.Code == code, ct);
        if (c is null) return TypedResults.NotFound();
        var errors = Validate(input with { Code = code });
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        (c.NameZh, c.NameEn, c.SourceType, c.Active) = (input.NameZh, input.NameEn, input.SourceType, input.Active);
        await db.SaveChangesAsync(ct);
        cache.Invalidate();
        return TypedResults.Ok(new ChannelRow(c.Id, c.Code, c.NameZh, c.NameEn, c.SourceType, c.Active, c.ApiKeyPrefix, c.ApiKeyCreatedAt));
    }

    internal static async Task<Results<Ok<NewKey>, NotFound>> RotateKeyAsync(string code, CityOpsDb db, ReferenceDataCache cache, TimeProvider clock, CancellationToken ct)
    {
        var c = await db.Channels.FirstOrDefaultAsync(x => x.Code == code, ct);
        if (c is null) return TypedResults.NotFound();
        var key = ApiKeys.NewKey();
        (c.ApiKeyHash, c.ApiKeyPrefix, c.ApiKeyCreatedAt) = (ApiKeys.Hash(key), ApiKeys.Prefix(key), clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        cache.Invalidate();
        return TypedResults.Ok(new NewKey(c.Code, key, Messages.Get("KeyShownOnce")));
    }

    private static Dictionary<string, string[]> Validate(ChannelInput i)
    {
        var e = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(i.Code) || i.Code.Length > 32 || !i.Code.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-'))
            e["code"] = [Messages.Get("CodeInvalid")];
        if (string.IsNullOrWhiteSpace(i.NameZh) || i.NameZh.Length > 100) e["nameZh"] = [Messages.Get("NameRequired")];
        if (string.IsNullOrWhiteSpace(i.NameEn) || i.NameEn.Length > 100) e["nameEn"] = [Messages.Get("NameRequired")];
        if (!Enum.IsDefined(i.SourceType)) e["sourceType"] = [Messages.Get("ValueInvalid")];
        return e;
    }
}
