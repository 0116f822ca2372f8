using CityOps.Server.Features.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Localization;

namespace CityOps.Server.Components;

/// <summary>The web app: Blazor with interactive server rendering, signed in by the Identity cookie.</summary>
public static class WebAppSetup
{
    public static void AddWebApp(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents(o => o.DetailedErrors = builder.Environment.IsDevelopment());
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, RevalidatingSignIn>();
        builder.Services.AddSingleton<LocalTime>();
        builder.Services.AddOptions<Features.Cases.Pages.MapOptions>().Bind(builder.Configuration.GetSection(Features.Cases.Pages.MapOptions.Section));
        builder.Services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/login";
            o.AccessDeniedPath = "/denied";
            o.Cookie.Name = "cityops";
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.ExpireTimeSpan = TimeSpan.FromHours(10);
            o.SlidingExpiration = true;
            // Identity's own check reads the stamp every 30 minutes; this one follows an edit at once here, within the recheck interval elsewhere.
            o.Events.OnValidatePrincipal = SecurityStamps.ValidateCookieAsync;
        });
    }

    public static void MapWebApp(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

        app.MapPost("/account/logout", async (SignInManager<AppUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("~/login");
        }).ExcludeFromDescription();

        // The language switch: a cookie the localisation middleware reads on every request.
        app.MapGet("/culture/{name}", (string name, string? returnUrl, HttpContext http) =>
        {
            var culture = Infrastructure.InfrastructureSetup.SupportedCultures.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Name ?? "zh-CN";
            http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName, CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
            var local = returnUrl is { Length: > 0 } u && u[0] == '/' && (u.Length == 1 || (u[1] != '/' && u[1] != '\\'));
            return TypedResults.LocalRedirect(local ? "~" + returnUrl : "~/");
        }).ExcludeFromDescription();
    }
}
