using System.Text.Json;
using Json.Schema;

namespace CityOps.Tests.Support;

/// <summary>The official Open311 GeoReport v2 JSON schemas (copied under Open311/Schemas).</summary>
public static class Open311Schemas
{
    private static readonly Lazy<Dictionary<string, JsonSchema>> Schemas = new(Load);

    private static Dictionary<string, JsonSchema> Load()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Open311", "Schemas");
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        var result = new Dictionary<string, JsonSchema>();
        // Leaves first, so the lists' relative $refs resolve.
        foreach (var name in new[] { "request", "service", "service-definition", "requests", "services" })
        {
            var path = Path.Combine(folder, name + ".json");
            result[name] = JsonSchema.FromFile(path, options, new Uri(path));
        }
        return result;
    }

    /// <summary>Asserts that <paramref name="json"/> is valid against the named schema, listing every error.</summary>
    public static void AssertValid(string schema, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = Schemas.Value[schema].Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        var errors = result.Details?.Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).ToList() ?? [];
        Assert.True(result.IsValid, $"Not valid against {schema}.json:\n{string.Join("\n", errors)}\n{json[..Math.Min(json.Length, 2000)]}");
    }
}
