namespace CityOps.Tests.Support;

/// <summary>
/// Every integration test runs once per database: SQLite always, PostgreSQL when
/// CITYOPS_TEST_POSTGRES holds a connection string (reported as skipped otherwise).
/// </summary>
public static class Databases
{
    public const string Sqlite = "Sqlite";
    public const string Postgres = "Postgres";

    public static string? PostgresConnection => Environment.GetEnvironmentVariable("CITYOPS_TEST_POSTGRES") is { Length: > 0 } s ? s : null;

    public static IEnumerable<TheoryDataRow<string>> All =>
    [
        new(Sqlite),
        new(Postgres) { Skip = PostgresConnection is null ? "CITYOPS_TEST_POSTGRES is not set" : null },
    ];
}
