using System.Globalization;
using System.Threading.RateLimiting;
using CityOps.Server.Data;
using CityOps.Server.Features.Intake.Open311;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Intake;

/// <summary>CityOps:Intake:RateLimit — how many reports one channel key may post from one client address per window.</summary>
public sealed class IntakeRateLimitOptions
{
    /// <summary>Off: every report is taken (benchmarks switch it off).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The fixed window the permits are counted in.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Reports per window for one channel key from one client address, unless the channel has its own number.</summary>
    public int PermitLimit { get; set; } = 20;

    /// <summary>
    /// Per channel code: reports per window from one address; 0 takes every report. The defaults are
    /// the gateways that post on behalf of many people (the hotline, the patrol apps, machines).
    /// Defined here only: configuration adds to these or changes them (<c>Channels:web = 60</c>).
    /// </summary>
    public Dictionary<string, int> Channels { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["hotline12345"] = 600,
        ["inspector"] = 300,
        ["street-chief"] = 300,
        ["frontage"] = 300,
        ["camera-ai"] = 600,
        ["iot-sensor"] = 600,
    };

    public int LimitFor(string channel) => Channels.TryGetValue(channel, out var limit) ? limit : PermitLimit;
}

/// <summary>
/// Rate limits on the public intake doors (Open311 POST, and /api/reports with a channel key), with
/// ASP.NET Core's rate limiter: one fixed window per channel and client address (<see cref="WindowLimiter"/>, which says when it ends). Signed-in staff
/// entering reports by hand are not limited. A refused report gets 429 with Retry-After and the door's
/// own error format, and nothing is stored.
/// </summary>
public static class IntakeRateLimit
{
    public const string Policy = "intake";
    private const string PartitionItem = "cityops:intake-partition";

    /// <summary>Who is posting: the channel (empty for a missing key, "?" for an unknown one) and the client address.</summary>
    private sealed record Partition(string Channel, string Address);

    public static void AddIntakeRateLimit(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<IntakeRateLimitOptions>(builder.Configuration.GetSection("CityOps:Intake:RateLimit"));
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy<string, IntakePolicy>(Policy);
        });
    }

    /// <summary>Finds the caller's channel before the limiter runs (the Open311 key is in the form body, read here once).</summary>
    public static void UseIntakeRateLimit(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == Policy
                && http.RequestServices.GetRequiredService<IOptions<IntakeRateLimitOptions>>().Value.Enabled)
                await ResolveAsync(http);
            await next(http);
        });
        app.UseRateLimiter();
    }

    private static async Task<IFormCollection> ReadFormAsync(HttpContext http)
    {
        try
        {
            return await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (NotSupportedException)
        {
            // A part declared in UTF-7, which .NET refuses to decode (other unknown charsets fall back to UTF-8).
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, Messages.Format("CharsetUnsupported", "UTF-7"));
        }
    }

    private static async Task ResolveAsync(HttpContext http)
    {
        string key;
        if (http.Request.Path.StartsWithSegments(Open311Endpoints.Prefix))
            key = http.Request.HasFormContentType ? (await ReadFormAsync(http))["api_key"].ToString() : "";
        else
            key = http.Request.Headers["X-Api-Key"].ToString();
        // Staff signed in and posting without a key type reports in by hand: not limited.
        if (key.Length == 0 && http.User.Identity?.IsAuthenticated == true) return;
        var channel = "";
        if (key.Length > 0)
        {
            var reference = await http.RequestServices.GetRequiredService<ReferenceDataCache>().GetAsync(http.RequestAborted);
            channel = reference.ChannelsByKeyHash.TryGetValue(ApiKeys.Hash(key), out var c) ? c.Code : "?";
        }
        http.Items[PartitionItem] = new Partition(channel, http.Connection.RemoteIpAddress?.ToString() ?? "");
    }

    private sealed class IntakePolicy(IOptions<IntakeRateLimitOptions> options) : IRateLimiterPolicy<string>
    {
        public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => RejectAsync;

        public RateLimitPartition<string> GetPartition(HttpContext http)
        {
            var o = options.Value;
            if (!o.Enabled || http.Items[PartitionItem] is not Partition p) return RateLimitPartition.GetNoLimiter("");
            var limit = o.LimitFor(p.Channel);
            var name = $"{p.Channel}|{p.Address}";
            return limit <= 0
                ? RateLimitPartition.GetNoLimiter(name)
                : RateLimitPartition.Get(name, _ => new WindowLimiter(limit, o.Window));
        }
    }

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        var window = http.RequestServices.GetRequiredService<IOptions<IntakeRateLimitOptions>>().Value.Window;
        var after = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : window;
        var seconds = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var message = Messages.Format("IntakeRateLimited", seconds);
        if (http.Request.Path.StartsWithSegments(Open311Endpoints.Prefix))
        {
            await Open311Errors.WriteAsync(http, StatusCodes.Status429TooManyRequests, message);
            return;
        }
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = Messages.Get("IntakeRateLimitedTitle"), Detail = message },
        });
    }
}
