using System.Security.Claims;
using CityOps.Server.Data;
using CityOps.Server.Data.Seeding;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Users;

public static class UsersSetup
{
    public static void AddUsers(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Policies.Staff, p => p.RequireRole(Roles.Staff))
            .AddPolicy(Policies.Reporter, p => p.RequireRole(Roles.Reporters))
            // Pages of the web app: signed in by the cookie, so a stranger is sent to the sign-in page rather than given a 401.
            .AddPolicy(Policies.WebStaff, p => p.AddAuthenticationSchemes(IdentityConstants.ApplicationScheme).RequireRole(Roles.Staff));
        services.AddIdentityApiEndpoints<AppUser>(o =>
            {
                o.Password.RequiredLength = 10;
                o.Lockout.MaxFailedAccessAttempts = 10;
                o.User.RequireUniqueEmail = true;
            })
            .AddRoles<IdentityRole>()
            .AddErrorDescriber<IdentityMessages>()
            .AddEntityFrameworkStores<CityOpsDb>()
            .AddUserManager<CityOpsUserManager>()
            .AddClaimsPrincipalFactory<CityOpsClaimsFactory>();
        // One key ring for every instance on the database: a cookie or token issued by one instance is read by the others.
        services.AddDataProtection().SetApplicationName("CityOps").PersistKeysToDbContext<CityOpsDb>().ProtectKeysAsConfigured(builder.Configuration);
        services.AddSingleton<ILookupNormalizer, SafeLookupNormalizer>();
        services.Configure<SignInOptions>(builder.Configuration.GetSection(SignInOptions.Section));
        services.AddSingleton<SecurityStamps>();
        services.AddScoped<Microsoft.AspNetCore.Authentication.IClaimsTransformation, OverseenUnits>();
        services.Configure<AdminOptions>(builder.Configuration.GetSection("CityOps:Admin"));
        services.AddScoped<UserSeed>();
        services.AddScoped<ReferenceDataSeeder>();
    }
}

/// <summary>Puts the user's unit and area into the sign-in (cookie or bearer token) so checks need no query.</summary>
public sealed class CityOpsClaimsFactory(UserManager<AppUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<AppUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(AppUser user)
    {
        var id = await base.GenerateClaimsAsync(user);
        if (user.UnitId is { } unit) id.AddClaim(new Claim(CurrentUser.UnitClaim, unit.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (user.AreaId is { } area) id.AddClaim(new Claim(CurrentUser.AreaClaim, area.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        id.AddClaim(new Claim(CurrentUser.DisplayNameClaim, user.DisplayName));
        return id;
    }
}

/// <summary>
/// Who is calling, read from the principal's claims. <paramref name="Oversees"/>: the units below the
/// caller's own in the unit tree, for a unit's leads (<see cref="OverseenUnits"/>).
/// </summary>
public sealed record CurrentUser(string? Id, string? Name, IReadOnlyList<string> Roles, int? UnitId, int? AreaId, IReadOnlyList<int?>? Oversees = null)
{
    public const string UnitClaim = "cityops:unit";
    public const string OverseesClaim = "cityops:oversees";
    public const string AreaClaim = "cityops:area";
    public const string DisplayNameClaim = "cityops:name";

    public static readonly CurrentUser Anonymous = new(null, null, [], null, null);

    public bool IsAuthenticated => Id is not null;
    public bool IsIn(string role) => Roles.Contains(role);
    public bool IsAnyOf(IEnumerable<string> roles) => roles.Any(Roles.Contains);
    public bool SeesPersonalData => IsAnyOf(Users.Roles.SeePersonalData);
    public string? PrimaryRole => Roles.FirstOrDefault();

    public static CurrentUser From(ClaimsPrincipal p)
    {
        if (p.Identity?.IsAuthenticated != true) return Anonymous;
        static int? Int(string? v) => int.TryParse(v, out var i) ? i : null;
        return new CurrentUser(
            p.FindFirstValue(ClaimTypes.NameIdentifier),
            p.FindFirstValue(DisplayNameClaim) ?? p.Identity.Name,
            p.FindAll(ClaimTypes.Role).Select(c => c.Value).ToList(),
            Int(p.FindFirstValue(UnitClaim)),
            Int(p.FindFirstValue(AreaClaim)),
            p.FindAll(OverseesClaim).Select(c => Int(c.Value)).Where(v => v is not null).ToList());
    }
}

/// <summary>
/// Adds to a unit lead's sign-in, at each request, the units below theirs (a district bureau: its
/// squads and street offices; a street chief: the chiefs of the level below), from the current unit
/// tree: a superior sees the cases its subordinates have, as it is sent their 督办 orders.
/// </summary>
public sealed class OverseenUnits(ReferenceDataCache cache) : Microsoft.AspNetCore.Authentication.IClaimsTransformation
{
    public async Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true || principal.HasClaim(c => c.Type == CurrentUser.OverseesClaim)) return principal;
        if (!int.TryParse(principal.FindFirstValue(CurrentUser.UnitClaim), System.Globalization.CultureInfo.InvariantCulture, out var unit)) return principal;
        if (!Roles.UnitLeads.Any(principal.IsInRole)) return principal;
        var below = (await cache.GetAsync(CancellationToken.None)).Below(unit);
        if (below.Length == 0) return principal;
        var transformed = principal.Clone();
        transformed.AddIdentity(new ClaimsIdentity(below.Select(b => new Claim(CurrentUser.OverseesClaim, b.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        return transformed;
    }
}
