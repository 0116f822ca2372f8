using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using CityOps.Server.Data;
using CityOps.Server.Features.Intake.Open311;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Localization;
using Microsoft.Net.Http.Headers;
using Scalar.AspNetCore;

namespace CityOps.Server.Infrastructure;

/// <summary>Cross-cutting plumbing: errors, localisation, JSON, OpenAPI, health, time.</summary>
public static class InfrastructureSetup
{
    public static readonly CultureInfo[] SupportedCultures = [new("zh-CN"), new("en")];

    public static void AddInfrastructure(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }

        services.AddSingleton(TimeProvider.System);
        services.AddOptions<CityOptions>().Bind(builder.Configuration.GetSection("CityOps:City")).ValidateOnStart();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions["traceId"] = ctx.HttpContext.TraceIdentifier);
        // After the default writer: a client that accepts no JSON (Accept: application/xml) still gets the ProblemDetails.
        services.AddSingleton<IProblemDetailsWriter, FallbackProblemDetailsWriter>();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        // Binding failures (bad JSON, wrong content type) reach ApiExceptionHandler with their reason.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi();
        services.AddHealthChecks().AddDbContextCheck<CityOpsDb>("database");
        services.Configure<RequestLocalizationOptions>(o =>
        {
            o.DefaultRequestCulture = new RequestCulture("zh-CN");
            o.SupportedCultures = SupportedCultures;
            o.SupportedUICultures = SupportedCultures;
            o.ApplyCurrentCultureToResponseHeaders = true;
            // ?culture= and the web app's language cookie everywhere; the browser's Accept-Language only for API
            // clients, so the web app opens in Chinese until its user switches.
            o.RequestCultureProviders = [new QueryStringRequestCultureProvider(), new CookieRequestCultureProvider(), new ApiAcceptLanguageProvider()];
        });
    }

    public static void UseInfrastructure(this WebApplication app)
    {
        app.UseExceptionHandler();
        // Declared bodies over the limit are refused before anything reads them (Kestrel also caps streamed ones).
        var limit = app.Configuration.GetValue<long?>("Kestrel:Limits:MaxRequestBodySize") ?? 1_048_576;
        app.Use((http, next) =>
        {
            if (http.Request.ContentLength > limit && !http.Request.Path.StartsWithSegments("/api/admin/geography/imports")
                                                   && !http.Request.Path.StartsWithSegments("/api/attachments"))
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            // A JSON body in a character set .NET cannot decode would fail deep in model binding; refuse it here.
            if (UnknownJsonCharset(http.Request) is { } charset)
                throw new ApiException(StatusCodes.Status415UnsupportedMediaType, Messages.Format("CharsetUnsupported", charset));
            return next(http);
        });
        // Bodiless refusals (no route, wrong method, 401 challenges) in the door's dialect too.
        var problemPages = new StatusCodePagesOptions().HandleAsync;
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            if (http.Request.Path.StartsWithSegments("/open311"))
                await Open311Errors.WriteAsync(http, http.Response.StatusCode, Messages.Format("Open311CannotServe", http.Response.StatusCode));
            else
                await problemPages(context);
        });
        app.UseRequestLocalization();
        app.UseAuthentication();
        app.UseAuthorization();
    }

    private static string? UnknownJsonCharset(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.Charset.Length == 0
            || !(type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)))
            return null;
        var charset = type.Charset.Value!.Trim('"');
        try
        {
            _ = Encoding.GetEncoding(charset);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException) // unknown, or known but disabled (UTF-7)
        {
            return charset.Length > 40 ? charset[..40] + "…" : charset;
        }
    }

    public static void MapInfrastructure(this WebApplication app)
    {
        app.MapHealthChecks("/health").AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/scalar").AllowAnonymous();
    }
}

/// <summary>Accept-Language, for requests to the APIs (/api, /open311) only.</summary>
public sealed class ApiAcceptLanguageProvider : AcceptLanguageHeaderRequestCultureProvider
{
    public override Task<ProviderCultureResult?> DetermineProviderCultureResult(HttpContext httpContext) =>
        httpContext.Request.Path.StartsWithSegments("/api") || httpContext.Request.Path.StartsWithSegments("/open311")
            ? base.DetermineProviderCultureResult(httpContext)
            : Task.FromResult<ProviderCultureResult?>(null);
}
