using CityOps.Server.Data;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Users;

/// <summary>Sign-in (Identity's bearer and cookie endpoints), the caller's profile, and user administration.</summary>
public static class UserEndpoints
{
    public sealed record MeResponse(string Id, string? Name, IReadOnlyList<string> Roles, int? UnitId, int? AreaId);
    public sealed record UserRow(string Id, string Email, string DisplayName, int? UnitId, int? AreaId, IList<string> Roles);
    public sealed record CreateUser(string? Email, string? DisplayName, string? Password, int? UnitId, int? AreaId, List<string>? Roles);
    public sealed record UpdateUser(string? DisplayName, int? UnitId, int? AreaId, List<string>? Roles);

    /// <summary>A person's name as events record it (their actor name holds 200).</summary>
    public const int MaxDisplayName = 100;

    public static void MapUsers(this WebApplication app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth");
        // Accounts are created by administrators, never by self-registration.
        auth.MapIdentityApi<AppUser>().AddEndpointFilter(async (ctx, next) =>
        {
            if (ctx.HttpContext.Request.Path.StartsWithSegments("/api/auth/register"))
                return TypedResults.Problem(Messages.Get("SelfRegistrationDisabled"), statusCode: 403);
            // Identity's request bodies mark what they need as required, but JSON null still binds and
            // its handlers then throw (e.g. forgotPassword with "email": null): refuse it here.
            if (ctx.Arguments.Select(MissingRequired).FirstOrDefault(m => m is not null) is { } missing)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [missing] = [Messages.Format("FieldRequired", missing)] });
            return await next(ctx);
        });
        auth.MapGet("/me", (HttpContext http) =>
        {
            var u = CurrentUser.From(http.User);
            return TypedResults.Ok(new MeResponse(u.Id!, u.Name, u.Roles, u.UnitId, u.AreaId));
        }).RequireAuthorization();

        var admin = app.MapGroup("/api/admin/users").WithTags("Administration").RequireAuthorization(Policies.Admin);
        admin.MapGet("/", ListAsync);
        admin.MapPost("/", CreateAsync);
        admin.MapPut("/{id}", UpdateAsync);
    }

    /// <summary>The first `required` property of a request body that is null, as its JSON name.</summary>
    private static string? MissingRequired(object? argument)
    {
        if (argument is null || argument.GetType().Namespace?.StartsWith("Microsoft.AspNetCore.Identity", StringComparison.Ordinal) != true) return null;
        var property = argument.GetType().GetProperties().FirstOrDefault(p =>
            p.GetCustomAttributes(inherit: false).Any(a => a.GetType().Name == "RequiredMemberAttribute") && p.GetValue(argument) is null);
        return property is null ? null : System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(property.Name);
    }

    private static async Task<Ok<List<UserRow>>> ListAsync(CityOpsDb db, int? unitId, string? role, int page = 1, int pageSize = 100)
    {
        var q = db.Users.AsNoTracking().AsQueryable();
        if (unitId is not null) q = q.Where(u => u.UnitId == unitId);
        if (role is not null)
        {
            var roleId = await db.Roles.Where(r => r.Name == role).Select(r => r.Id).FirstOrDefaultAsync();
            q = q.Where(u => db.UserRoles.Any(ur => ur.UserId == u.Id && ur.RoleId == roleId));
        }
        var rows = await q.OrderBy(u => u.Email).Skip((Math.Clamp(page, 1, 100_000) - 1) * Math.Clamp(pageSize, 1, 500)).Take(Math.Clamp(pageSize, 1, 500))
            .Select(u => new UserRow(u.Id, u.Email!, u.DisplayName, u.UnitId, u.AreaId,
                db.UserRoles.Where(ur => ur.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name!).ToList()))
            .ToListAsync();
        return TypedResults.Ok(rows);
    }

    internal static async Task<Results<Created<UserRow>, ValidationProblem, ProblemHttpResult>> CreateAsync(CreateUser body, UserManager<AppUser> users, CityOpsDb db)
    {
        var errors = await ValidateAsync(db, body.UnitId, body.AreaId, body.Roles ?? []);
        if (string.IsNullOrWhiteSpace(body.Email) || body.Email.Length > 256) errors["email"] = [Messages.Get("EmailInvalid")];
        if (string.IsNullOrWhiteSpace(body.DisplayName)) errors["displayName"] = [Messages.Get("NameRequired")];
        else if (body.DisplayName.Trim().Length > MaxDisplayName) errors["displayName"] = [Messages.Format("NameTooLong", MaxDisplayName)];
        if (string.IsNullOrEmpty(body.Password)) errors["password"] = [Messages.Format("FieldRequired", "password")];
        if (body.Roles is null || body.Roles.Count == 0) errors["roles"] = [Messages.Format("FieldRequired", "roles")];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var user = new AppUser { UserName = body.Email, Email = body.Email, DisplayName = body.DisplayName!, UnitId = body.UnitId, AreaId = body.AreaId, EmailConfirmed = true };
        // The account and its roles are written together or not at all.
        return await InOneTransactionAsync(db, async Task<Results<Created<UserRow>, ValidationProblem, ProblemHttpResult>> () =>
        {
            var result = await users.CreateAsync(user, body.Password!);
            if (result.Succeeded) result = await users.AddToRolesAsync(user, body.Roles!);
            if (result.Succeeded) return TypedResults.Created($"/api/admin/users/{user.Id}", new UserRow(user.Id, user.Email!, user.DisplayName, user.UnitId, user.AreaId, body.Roles!));
            return Raced(result) ? Conflict() : Invalid(result);
        });
    }

    internal static async Task<Results<Ok<UserRow>, NotFound, ValidationProblem, ProblemHttpResult>> UpdateAsync(string id, UpdateUser body, UserManager<AppUser> users, CityOpsDb db, SecurityStamps stamps)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return TypedResults.NotFound();
        var errors = await ValidateAsync(db, body.UnitId, body.AreaId, body.Roles ?? []);
        // What is given must be as valid as at creation: a name, at most MaxDisplayName long; at least one role.
        if (body.DisplayName is not null && string.IsNullOrWhiteSpace(body.DisplayName)) errors["displayName"] = [Messages.Get("NameRequired")];
        else if (body.DisplayName?.Trim().Length > MaxDisplayName) errors["displayName"] = [Messages.Format("NameTooLong", MaxDisplayName)];
        if (body.Roles is { Count: 0 }) errors["roles"] = [Messages.Format("FieldRequired", "roles")];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        if (body.DisplayName is not null) user.DisplayName = body.DisplayName.Trim();
        user.UnitId = body.UnitId ?? user.UnitId;
        user.AreaId = body.AreaId ?? user.AreaId;
        // Profile, roles and the revocation of current tokens are one change: a refused or raced
        // step leaves the account as it was, never without its roles.
        var answer = await InOneTransactionAsync(db, async Task<Results<Ok<UserRow>, NotFound, ValidationProblem, ProblemHttpResult>> () =>
        {
            var result = await users.UpdateAsync(user);
            if (result.Succeeded && body.Roles is not null)
            {
                result = await users.RemoveFromRolesAsync(user, await users.GetRolesAsync(user));
                if (result.Succeeded) result = await users.AddToRolesAsync(user, body.Roles);
            }
            // Role or unit changes take effect at the next sign-in; current tokens and cookies stop working (SecurityStamps).
            if (result.Succeeded) result = await users.UpdateSecurityStampAsync(user);
            if (result.Succeeded) return TypedResults.Ok(new UserRow(user.Id, user.Email!, user.DisplayName, user.UnitId, user.AreaId, await users.GetRolesAsync(user)));
            return Raced(result) ? Conflict() : Invalid(result);
        });
        stamps.Forget(user.Id); // committed (or not): read the stamp again at the account's next request
        return answer;
    }

    /// <summary>
    /// Runs Identity's steps (each saves on its own) in one transaction: a step that fails, or a
    /// concurrent change to the same account (stale stamp, duplicate role or name), rolls all back.
    /// </summary>
    private static async Task<TResult> InOneTransactionAsync<TResult>(CityOpsDb db, Func<Task<TResult>> steps) where TResult : IResult
    {
        await using var tx = await db.Database.BeginTransactionAsync();
        try
        {
            var result = await steps();
            if (((result as INestedHttpResult)?.Result ?? result) is IStatusCodeHttpResult { StatusCode: >= 200 and < 300 }) await tx.CommitAsync();
            else await tx.RollbackAsync();
            return result;
        }
        catch (DbUpdateException)
        {
            // Rolled back; ApiExceptionHandler answers a raced unique row (a role given twice, a name taken meanwhile) with 409.
            await tx.RollbackAsync();
            db.ChangeTracker.Clear();
            throw;
        }
    }

    private static bool Raced(IdentityResult result) => result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure));

    private static ProblemHttpResult Conflict() => TypedResults.Problem(Messages.Get("ConcurrentChange"), statusCode: StatusCodes.Status409Conflict);

    private static ValidationProblem Invalid(IdentityResult result) =>
        TypedResults.ValidationProblem(result.Errors.GroupBy(IdentityMessages.FieldOf).ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray()));

    private static async Task<Dictionary<string, string[]>> ValidateAsync(CityOpsDb db, int? unitId, int? areaId, List<string> roles)
    {
        var errors = new Dictionary<string, string[]>();
        var unknown = roles.Where(r => r is null || !Roles.All.Contains(r)).Select(r => r ?? "null").ToList();
        if (unknown.Count > 0) errors["roles"] = [Messages.Format("UnknownRoles", string.Join(", ", unknown))];
        if (unitId is not null && !await db.Units.AnyAsync(u => u.Id == unitId)) errors["unitId"] = [Messages.Get("UnknownUnit")];
        if (areaId is not null && !await db.Areas.AnyAsync(a => a.Id == areaId)) errors["areaId"] = [Messages.Get("UnknownArea")];
        return errors;
    }
}
