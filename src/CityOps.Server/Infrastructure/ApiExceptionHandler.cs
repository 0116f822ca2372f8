using CityOps.Server.Features.Intake.Open311;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Infrastructure;

/// <summary>
/// Last line of defence: turns request-shape failures (oversize bodies, bad forms, concurrency
/// conflicts, a record created twice at once) into 4xx in the right dialect (Open311 error list or ProblemDetails). Anything else
/// is a 500 with a trace id and no internals.
/// </summary>
public sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        // A query or route value the framework could not read as its type (page=abc, unit=2&unit=3):
        // the client is told which parameter, as a validation error names its field; not the type.
        var parameter = exception is BadHttpRequestException { InnerException: null } b && Unbound().Match(b.Message) is { Success: true } m ? m.Groups["name"].Value
            // A JSON body whose value cannot be read as its field's type ({"value":"abc"}): that field.
            : exception is BadHttpRequestException { InnerException: System.Text.Json.JsonException { Path: { } jsonPath } } ? FieldOf(jsonPath) : null;
        var (status, detail) = exception switch
        {
            BadHttpRequestException { StatusCode: 413 } => (413, Messages.Get("BodyTooLarge")),
            // The framework's own wording names parameters and types of this code: the client gets where its JSON broke, if it did.
            BadHttpRequestException { InnerException: System.Text.Json.JsonException { Path: var path, LineNumber: var line, BytePositionInLine: var at } } bad
                => (bad.StatusCode, Messages.Join(Messages.Get("MalformedRequest"), Messages.Format("JsonBrokenAt", path ?? "$", (line ?? 0) + 1, (at ?? 0) + 1))),
            BadHttpRequestException bad when parameter is not null => (bad.StatusCode, Messages.Format("ParameterUnreadable", parameter)),
            BadHttpRequestException bad => (bad.StatusCode, Messages.Get("MalformedRequest")),
            InvalidDataException => (400, Messages.Get("MalformedRequest")),
            // A body that breaks off or lies about its framing (chunk sizes past any number, a multipart body cut short):
            // thrown by the server's own readers, unlike an I/O failure of this machine, which stays a 500.
            IOException { Source: "Microsoft.AspNetCore.Server.Kestrel.Core" or "Microsoft.AspNetCore.WebUtilities" or "Microsoft.AspNetCore.Http" }
                => (400, Messages.Get("MalformedRequest")),
            System.Text.Json.JsonException => (400, Messages.Get("MalformedJson")),
            System.Xml.XmlException => (400, Messages.Get("MalformedRequest")),
            DbUpdateConcurrencyException => (409, Messages.Get("ConcurrentChange")),
            // Two requests created the same record at once: the check before the insert passed for both, the unique index kept one.
            DbUpdateException { InnerException: Microsoft.Data.Sqlite.SqliteException { SqliteExtendedErrorCode: 2067 or 1555 } or Npgsql.PostgresException { SqlState: "23505" } }
                => (409, Messages.Get("ConcurrentChange")),
            ApiException api => (api.Status, api.Message),
            // The database could not take the request in time — every pooled connection busy past the
            // connection string's Timeout, a statement past its Command Timeout, or SQLite's write lock
            // held past its Default Timeout. The client is told to come back rather than that it failed;
            // a retry under the same Idempotency-Key is safe either way. Time that ran out during the
            // commit itself leaves it unknown whether the database committed, and the answer says so.
            _ when IsBusy(exception) => (503, Messages.Get(InCommit(exception) ? "DatabaseBusyInCommit" : "DatabaseBusy")),
            _ => (500, Messages.Get("InternalError")),
        };
        if (status == 503)
            log.LogWarning(exception, "Database busy on {Method} {Path}; answered 503", http.Request.Method, http.Request.Path);
        else if (status >= 500)
            log.LogError(exception, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
        else
            log.LogInformation("Request rejected with {Status}: {Reason}", status, exception.Message);

        if (http.Response.HasStarted) return false;
        http.Response.StatusCode = status;
        if (status == 503) http.Response.Headers.RetryAfter = "2";
        if (http.Request.Path.StartsWithSegments("/open311"))
        {
            await Open311Errors.WriteAsync(http, status, detail);
            return true;
        }
        var context = new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = { Status = status, Detail = detail, Title = Messages.Get(status >= 500 ? "InternalErrorTitle" : "RequestRejected") },
        };
        if (parameter is not null && status == 400)
        {
            context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [parameter] = [detail] };
            context.ProblemDetails.Extensions["field"] = parameter;
        }
        return await problems.TryWriteAsync(context);
    }

    /// <summary>The field a JSON path names, as a client wrote it: <c>$.value</c> → value, <c>$.attachments[3]</c> → attachments, <c>$.location.lat</c> → location.lat; none for the body as a whole.</summary>
    internal static string? FieldOf(string path)
    {
        var field = JsonIndex().Replace(path, "").TrimStart('$').TrimStart('.');
        return field.Length == 0 ? null : field;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[\d+\]", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex JsonIndex();

    // The framework's wording (RequestDelegateFactory): Failed to bind parameter "int page" from "abc".
    // and Required parameter "int page" was not provided from query string.
    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:Failed to bind|Required) parameter ""[^""]*?(?<name>[A-Za-z_][A-Za-z0-9_]*)""", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Unbound();

    /// <summary>Whether the database could not take the work in time (pool exhausted, lock or statement timeout), anywhere in the chain.</summary>
    public static bool IsBusy(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is Npgsql.NpgsqlException { InnerException: TimeoutException } or Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 })
                return true;
        return false;
    }

    /// <summary>
    /// Whether the failure came while PostgreSQL was committing (an explicit COMMIT, or a statement
    /// that is its own transaction whose cancel went unanswered): it may have committed before the client gave up.
    /// </summary>
    public static bool InCommit(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is OutcomeUnknownException || x.StackTrace?.Contains("NpgsqlTransaction.Commit", StringComparison.Ordinal) == true)
                return true;
        return false;
    }
}

/// <summary>
/// A statement that was its own transaction ran out of time and the database did not answer the
/// cancel: it may still have committed, so what it wrote may or may not be stored. Wraps the timeout.
/// </summary>
public sealed class OutcomeUnknownException(Exception inner) : Exception(inner.Message, inner)
{
    /// <summary>Whether a timeout left the connection broken, so that the statement's outcome cannot be known.</summary>
    public static bool Unknown(Npgsql.NpgsqlConnection connection) => connection.FullState != System.Data.ConnectionState.Open;
}

/// <summary>A rule violation with its HTTP status; thrown from services, mapped by <see cref="ApiExceptionHandler"/>.</summary>
public sealed class ApiException(int status, string message, string? field = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Field { get; } = field;
}
