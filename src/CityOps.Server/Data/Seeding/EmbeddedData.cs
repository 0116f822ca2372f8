namespace CityOps.Server.Data.Seeding;

/// <summary>Reference files shipped inside the server assembly (see each Seed/SOURCE.md).</summary>
public static class EmbeddedData
{
    public static Stream Open(string fileName) =>
        typeof(EmbeddedData).Assembly.GetManifestResourceStream(fileName)
        ?? throw new InvalidOperationException($"Embedded resource {fileName} is missing.");
}
