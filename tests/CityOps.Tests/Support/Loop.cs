using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CityOps.Tests.Support;

/// <summary>Intent helpers for the closed loop: make a move, upload a photo, find a user's id.</summary>
public static class Loop
{
    /// <summary>The smallest valid JPEG header and a random tail: a distinct photo each call.</summary>
    public static byte[] Photo()
    {
        var bytes = new byte[256];
        Random.Shared.NextBytes(bytes);
        bytes[0] = 0xFF; bytes[1] = 0xD8; bytes[2] = 0xFF; bytes[3] = 0xE0;
        return bytes;
    }

    public static async Task<string> UploadAsync(this HttpClient client, byte[] content, string type = "image/jpeg")
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue(type);
        var response = await client.PostAsync("/api/attachments", body);
        response.EnsureSuccessStatusCode();
        return (await response.JsonAsync())["sha256"]!.GetValue<string>();
    }

    public static async Task<HttpResponseMessage> MoveAsync(this HttpClient client, long caseId, string action, object? body = null, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/cases/{caseId}/{action}") { Content = JsonContent.Create(body ?? new { }) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request);
    }

    /// <summary>Makes a move that must succeed; returns the case as the mover now sees it.</summary>
    public static async Task<JsonNode> MustAsync(this HttpClient client, long caseId, string action, object? body = null)
    {
        var response = await client.MoveAsync(caseId, action, body);
        var json = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{action} → {(int)response.StatusCode}: {json}");
        return JsonNode.Parse(json)!;
    }

    public static async Task<string> MyIdAsync(this HttpClient client) =>
        (await (await client.GetAsync("/api/auth/me")).JsonAsync())["id"]!.GetValue<string>();

    public static async Task<long> ReportAsync(this HttpClient anonymous, string serviceCode, (double Lon, double Lat) at)
    {
        var response = await anonymous.PostOpen311Async(Api.Report(serviceCode, at, "循环测试 " + Guid.NewGuid().ToString("N")[..8]));
        response.EnsureSuccessStatusCode();
        return long.Parse((await response.JsonAsync())[0]!["service_request_id"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
