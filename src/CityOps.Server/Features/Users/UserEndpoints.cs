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

    public static void MapUsers(this WebApplication app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth");
        // Accounts are created by administrators, never by self-registration.
        auth.MapIdentityApi<AppUser>().AddEndpointFilter(async (ctx, next) =>
            ctx.HttpContext.Request.Path.StartsWithSegments("/api/auth/register")
                ? TypedResults.Problem(Messages.Get("SelfRegistrationDisabled"), statusCode: 403)
                : await next(ctx));
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

    internal static async Task<Results<Created<UserRow>, ValidationProblem>> CreateAsync(CreateUser body, UserManager<AppUser> users, CityOpsDb db)
    {
        var errors = await ValidateAsync(db, body.UnitId, body.AreaId, body.Roles ?? []);
        if (string.IsNullOrWhiteSpace(body.Email)) errors["email"] = [Messages.Get("EmailInvalid")];
        if (string.IsNullOrWhiteSpace(body.DisplayName)) errors["displayName"] = [Messages.Get("NameRequired")];
        if (string.IsNullOrEmpty(body.Password)) errors["password"] = [Messages.Format("FieldRequired", "password")];
        if (body.Roles is null || body.Roles.Count == 0) errors["roles"] = [Messages.Format("FieldRequired", "roles")];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var user = new AppUser { UserName = body.Email, Email = body.Email, DisplayName = body.DisplayName!, UnitId = body.UnitId, AreaId = body.AreaId, EmailConfirmed = true };
        var result = await users.CreateAsync(user, body.Password!);
        if (!result.Succeeded)
            return TypedResults.ValidationProblem(result.Errors.GroupBy(IdentityMessages.FieldOf).ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray()));
        await users.AddToRolesAsync(user, body.Roles!);
        return TypedResults.Created($"/api/admin/users/{user.Id}", new UserRow(user.Id, user.Email!, user.DisplayName, user.UnitId, user.AreaId, body.Roles!));
    }

    internal static async Task<Results<Ok<UserRow>, NotFound, ValidationProblem>> UpdateAsync(string id, UpdateUser body, UserManager<AppUser> users, CityOpsDb db)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return TypedResults.NotFound();
        var errors = await ValidateAsync(db, body.UnitId, body.AreaId, body.Roles ?? []);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        if (body.DisplayName is not null) user.DisplayName = body.DisplayName;
        user.UnitId = body.UnitId ?? user.UnitId;
        user.AreaId = body.AreaId ?? user.AreaId;
        await users.UpdateAsync(user);
        if (body.Roles is not null)
        {
            await users.RemoveFromRolesAsync(user, await users.GetRolesAsync(user));
            await users.AddToRolesAsync(user, body.Roles);
        }
        // Role or unit changes take effect at the next sign-in; revoke current tokens now.
        await users.UpdateSecurityStampAsync(user);
        return TypedResults.Ok(new UserRow(user.Id, user.Email!, user.DisplayName, user.UnitId, user.AreaId, await users.GetRolesAsync(user)));
    }

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
