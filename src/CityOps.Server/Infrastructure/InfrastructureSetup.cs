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

    private const string ValidationTitle = "One or more validation errors occurred.";

    /// <summary>The titles ASP.NET Core gives a ProblemDetails by its status (ProblemDetailsDefaults), and a validation problem's.</summary>
    private static readonly HashSet<string> FrameworkTitles = new(StringComparer.Ordinal)
    {
        "Bad Request", "Unauthorized", "Forbidden", "Not Found", "Method Not Allowed", "Not Acceptable", "Request Timeout", "Conflict", "Gone",
        "Precondition Failed", "Payload Too Large", "Content Too Large", "Unsupported Media Type", "Unprocessable Entity", "Unprocessable Content",
        "Too Many Requests", "Upgrade Required", "An error occurred while processing your request.", "Bad Gateway", "Service Unavailable", "Gateway Timeout",
        ValidationTitle,
    };

    /// <summary>
    /// The host's options. Its content root (settings files, web assets) is the working folder, as
    /// ASP.NET Core has it, unless that folder has no appsettings.json and the program's own folder
    /// has: a server started from elsewhere (a service manager's default folder, a script in another
    /// directory) still reads its own settings instead of running silently on defaults. A content
    /// root given on the command line or in the environment is left to decide.
    /// </summary>
    public static WebApplicationOptions HostOptions(string[] args)
    {
        static bool Named(string? value) => !string.IsNullOrEmpty(value);
        var given = args.Any(a => a.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase))
            || Named(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT")) || Named(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
        var own = AppContext.BaseDirectory;
        var elsewhere = !given && !File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json")) && File.Exists(Path.Combine(own, "appsettings.json"));
        return new WebApplicationOptions { Args = args, ContentRootPath = elsewhere ? own : null };
    }

    public static void AddInfrastructure(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }

        services.AddSingleton(TimeProvider.System);
        // Every body is capped while it streams in, chunked ones too; uploads and imports raise the cap for their own request.
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = BodyLimit(builder.Configuration));
        services.AddOptions<CityOptions>().Bind(builder.Configuration.GetSection("CityOps:City")).ValidateOnStart();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Extensions["traceId"] = ctx.HttpContext.TraceIdentifier;
            // A refusal the framework makes without words (no such route, wrong method or body type, not signed in) gets them.
            ctx.ProblemDetails.Detail ??= ctx.ProblemDetails.Status switch
            {
                401 => Messages.Get("SignInNeeded"),
                403 => Messages.Get("NotPermitted"),
                404 => Messages.Get("NothingHere"),
                405 => Messages.Get("MethodNotAllowed"),
                415 => Messages.Get("BodyTypeUnsupported"),
                _ => null,
            };
            // The framework's English titles ("Not Found", "Conflict", "One or more validation errors occurred.") in the request's language.
            if (ctx.ProblemDetails.Title is { } title && FrameworkTitles.Contains(title))
                ctx.ProblemDetails.Title = (title == ValidationTitle ? Messages.Find("ProblemTitleValidation") : Messages.Find($"ProblemTitle{ctx.ProblemDetails.Status}")) ?? title;
        });
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
        // First, so every refusal below — the exception handler's, the door's, the bodiless pages' — is
        // in the request's language: a culture set further in does not flow back out to them.
        app.UseRequestLocalization();
        app.UseExceptionHandler();
        // Declared bodies over the limit are refused before anything reads them (Kestrel caps streamed ones at the same size).
        var limit = BodyLimit(app.Configuration);
        app.Use(async (http, next) =>
        {
            var request = http.Request;
            var import = request.Path.StartsWithSegments("/api/admin/geography/imports");
            if (request.ContentLength > limit && !import && !request.Path.StartsWithSegments("/api/attachments"))
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            // A JSON body in a character set .NET cannot decode would fail deep in model binding; refuse it here.
            if (UnknownJsonCharset(request) is { } charset)
                throw new ApiException(StatusCodes.Status415UnsupportedMediaType, Messages.Format("CharsetUnsupported", charset));
            // NUL is no valid input anywhere, and PostgreSQL cannot even compare a text with one: refuse it at the door
            // (query, headers, JSON string escapes) rather than as a database error deep inside a handler.
            if (NulIn(request) || (!import && IsJson(request) && await NulEscapeInBodyAsync(request, http.RequestAborted)))
                throw new ApiException(StatusCodes.Status400BadRequest, Messages.Get("TextInvalidCharacters"));
            await next(http);
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
        app.UseAuthentication();
        Features.Users.SecurityStamps.UseCurrentStamps(app);
        app.UseAuthorization();
    }

    private static bool NulIn(HttpRequest request)
    {
        foreach (var (key, values) in request.Query)
            if (key.Contains('\0', StringComparison.Ordinal) || values.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true)) return true;
        foreach (var (_, values) in request.Headers)
            if (values.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true)) return true;
        return false;
    }

    private static bool IsJson(HttpRequest request) => MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && IsJson(type);

    private static bool IsJson(MediaTypeHeaderValue type) =>
        type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a JSON body holds the escape \u0000 (an unescaped backslash, then u0000). The body is kept for the handler.</summary>
    private static async Task<bool> NulEscapeInBodyAsync(HttpRequest request, CancellationToken ct)
    {
        request.EnableBuffering();
        var buffer = new byte[16 * 1024];
        int read, backslashes = 0, matched = -1; // matched: how much of "u0000" follows an escaping backslash
        while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var b = buffer[i];
                if (matched >= 0)
                {
                    if (b == "u0000"[matched]) { if (++matched == 5) { request.Body.Position = 0; return true; } continue; }
                    matched = -1;
                }
                if (b == '\\') { backslashes++; continue; }
                if (b == 'u' && backslashes % 2 == 1) matched = 1;
                backslashes = 0;
            }
        }
        request.Body.Position = 0;
        return false;
    }

    /// <summary>The largest request body, in bytes, outside uploads and imports (1 MiB unless configured).</summary>
    private static long BodyLimit(IConfiguration configuration) => configuration.GetValue<long?>("Kestrel:Limits:MaxRequestBodySize") ?? 1_048_576;

    /// <summary>
    /// A JSON body's character set that .NET cannot decode, or null. On the way, a quoted charset
    /// (<c>charset="utf-8"</c>, as valid as the bare one under RFC 9110, but taken by the framework's
    /// readers for part of the name) is given to them bare, whatever the media type.
    /// </summary>
    private static string? UnknownJsonCharset(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.Charset.Length == 0) return null;
        var charset = type.Charset.Value!.Trim('"');
        if (charset.Length != type.Charset.Length)
        {
            type.Charset = charset;
            request.ContentType = type.ToString();
        }
        if (!IsJson(type)) return null;
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
