using System.Text.Json.Nodes;

namespace CityOps.Server.Features.Intake.Open311;

/// <summary>GeoReport v2 errors: a list of {code, description}, in the request's format.</summary>
public static class Open311Errors
{
    public static IResult Result(int status, IEnumerable<IntakeError> errors, bool xml) =>
        Open311Format.Result(Body(status, errors.Select(e => $"{e.Field}: {e.Message}")), "errors", xml, status);

    public static IResult Result(int status, string description, bool xml) =>
        Open311Format.Result(Body(status, [description]), "errors", xml, status);

    /// <summary>Used by the exception handler, which only knows the path.</summary>
    public static Task WriteAsync(HttpContext http, int status, string description)
    {
        var xml = http.Request.Path.Value?.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) == true;
        return Result(status, description, xml).ExecuteAsync(http);
    }

    private static JsonArray Body(int status, IEnumerable<string> descriptions) =>
        new(descriptions.Select(d => (JsonNode)new JsonObject { ["code"] = status, ["description"] = d }).ToArray());
}
