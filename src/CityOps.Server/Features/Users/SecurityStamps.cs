using System.Collections.Concurrent;
using System.Security.Claims;
using CityOps.Server.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Users;

public sealed class SignInOptions
{
    public const string Section = "CityOps:SignIn";

    /// <summary>How long a user's security stamp is trusted before it is read again; what another instance's edit may take to reach this one.</summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Whether a sign-in (bearer token, cookie or web-app circuit) still carries its account's current
/// security stamp. An administrator's edit of a user (roles, unit, area) changes the stamp, so what
/// was issued before it stops working: at once on the instance that made the edit, and within
/// <see cref="SignInOptions.RecheckInterval"/> on the others. Identity checks the stamp itself only
/// when a refresh token is used, and its bearer tokens live an hour.
/// </summary>
public sealed class SecurityStamps(TimeProvider clock, IOptions<SignInOptions> options, IOptions<IdentityOptions> identity)
{
    /// <summary>A stamp as read at a time; or, forgotten, the time an edit here made every earlier read worthless.</summary>
    private readonly record struct Known(string? Stamp, DateTimeOffset At, bool Forgotten);

    private readonly ConcurrentDictionary<string, Known> _known = new(StringComparer.Ordinal);

    private static readonly CompiledQuery<Func<CityOpsDb, string, CancellationToken, Task<string?>>> StampOf = new(() =>
        EF.CompileAsyncQuery((CityOpsDb db, string id, CancellationToken ct) => db.Users.Where(u => u.Id == id).Select(u => u.SecurityStamp).FirstOrDefault()));

    public TimeSpan Interval => options.Value.RecheckInterval;

    /// <summary>True unless the principal is an Identity sign-in whose stamp is no longer the account's (or whose account is gone).</summary>
    public async ValueTask<bool> IsCurrentAsync(ClaimsPrincipal principal, IServiceProvider services, CancellationToken ct)
    {
        if (principal.Identity?.IsAuthenticated != true) return true;
        var stamp = principal.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (stamp is null || id is null) return true; // not issued by Identity (a channel's API key)
        var now = clock.GetUtcNow();
        if (_known.TryGetValue(id, out var known) && !known.Forgotten && now - known.At < Interval) return known.Stamp == stamp;
        var db = services.GetRequiredService<CityOpsDb>();
        var current = await StampOf.For(db)(db, id, ct);
        // A read that began before an edit here was forgotten must not put the old stamp back.
        var read = new Known(current, now, false);
        _known.AddOrUpdate(id, read, (_, was) => was.Forgotten && was.At > now ? was : read);
        return current == stamp;
    }

    /// <summary>The account was just changed here: read its stamp again at its next request.</summary>
    public void Forget(string userId) => _known[userId] = new Known(null, clock.GetUtcNow(), true);

    /// <summary>An API request whose token or cookie is out of date goes on as a stranger's: 401 where a sign-in is needed.</summary>
    public static void UseCurrentStamps(WebApplication app) => app.Use(async (http, next) =>
    {
        var stamps = http.RequestServices.GetRequiredService<SecurityStamps>();
        if (!await stamps.IsCurrentAsync(http.User, http.RequestServices, http.RequestAborted))
            http.User = new ClaimsPrincipal(new ClaimsIdentity());
        await next(http);
    });

    /// <summary>The web app's cookie: an out-of-date one is refused and removed (the page asks to sign in again).</summary>
    public static async Task ValidateCookieAsync(CookieValidatePrincipalContext context)
    {
        var http = context.HttpContext;
        var stamps = http.RequestServices.GetRequiredService<SecurityStamps>();
        if (context.Principal is null || await stamps.IsCurrentAsync(context.Principal, http.RequestServices, http.RequestAborted)) return;
        context.RejectPrincipal();
        await http.SignOutAsync(IdentityConstants.ApplicationScheme);
    }
}

/// <summary>An open web-app page (a Blazor circuit) checks its sign-in's stamp every recheck interval and signs out when it is out of date.</summary>
public sealed class RevalidatingSignIn(ILoggerFactory logs, IServiceScopeFactory scopes, SecurityStamps stamps)
    : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => stamps.Interval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await stamps.IsCurrentAsync(state.User, scope.ServiceProvider, ct);
    }
}

/// <summary>
/// Identity's user manager, telling <see cref="SecurityStamps"/> of every change it stores to an
/// account (a new password, a reset, a first authenticator key change the stamp), so this instance
/// reads the stamp again at once rather than trusting what it read for up to the recheck interval.
/// </summary>
public sealed class CityOpsUserManager(IUserStore<AppUser> store, IOptions<IdentityOptions> options, IPasswordHasher<AppUser> hasher,
    IEnumerable<IUserValidator<AppUser>> userValidators, IEnumerable<IPasswordValidator<AppUser>> passwordValidators, ILookupNormalizer normalizer,
    IdentityErrorDescriber errors, IServiceProvider services, ILogger<UserManager<AppUser>> logger, SecurityStamps stamps)
    : UserManager<AppUser>(store, options, hasher, userValidators, passwordValidators, normalizer, errors, services, logger)
{
    protected override async Task<IdentityResult> UpdateUserAsync(AppUser user)
    {
        var result = await base.UpdateUserAsync(user);
        // Inside a caller's transaction (the users API) the change is not yet committed; that caller forgets again after its commit.
        if (result.Succeeded) stamps.Forget(user.Id);
        return result;
    }
}
