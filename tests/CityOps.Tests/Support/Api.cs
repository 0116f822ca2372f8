using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Data.Seeding;
using CityOps.Server.Features.Geography;

namespace CityOps.Tests.Support;

/// <summary>Intent helpers: sign in as a demo account, post an Open311 report, find a point in a district.</summary>
public static class Api
{
    public const string WebKey = "demo-web-key";
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<HttpClient> SignInAsync(this CityOpsApp app, string login)
    {
        var client = app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { email = $"{login}@{UserSeed.DemoDomain}", password = UserSeed.DemoPassword });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static Task<HttpResponseMessage> PostOpen311Async(this HttpClient client, Dictionary<string, string> form, string format = "json", string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/open311/v2/requests.{format}") { Content = new FormUrlEncodedContent(form) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    public static Dictionary<string, string> Report(string serviceCode, (double Lon, double Lat) at, string description = "测试上报") => new()
    {
        ["api_key"] = WebKey,
        ["service_code"] = serviceCode,
        ["lat"] = at.Lat.ToString("R", CultureInfo.InvariantCulture),
        ["long"] = at.Lon.ToString("R", CultureInfo.InvariantCulture),
        ["description"] = description,
    };

    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("Empty body");

    /// <summary>A WGS-84 point strictly inside a demo grid cell of the given district, different on each call.</summary>
    public static (double Lon, double Lat) PointIn(string districtCode)
    {
        var cells = CellsOf(districtCode);
        while (true)
        {
            var cell = cells[Random.Shared.Next(cells.Count)].Geometry;
            var e = cell.EnvelopeInternal;
            var p = cell.Factory.CreatePoint(new NetTopologySuite.Geometries.Coordinate(
                e.MinX + Random.Shared.NextDouble() * e.Width, e.MinY + Random.Shared.NextDouble() * e.Height));
            if (cell.Contains(p)) return (p.X, p.Y);
        }
    }

    public static IReadOnlyList<GeneratedArea> CellsOf(string districtCode) =>
        GeographySeed.DemoCity().Where(a => a.Level == AreaLevel.Cell && a.Code.StartsWith(districtCode, StringComparison.Ordinal)).ToList();
}
