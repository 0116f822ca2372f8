using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOps.Server.Data.Seeding;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Geography;

namespace CityOps.Server.Features.Simulation;

/// <summary>
/// Complaints and patrol reports through the 15 channels, at the volume and in the daily and
/// weekly shape of <see cref="TrafficPattern"/>, each through the door its channel uses: Open311
/// with the channel's key for the website, app, WeChat (GCJ-02 points, as mini programs give) and
/// Weibo; the native API with the channel's key for the hotline (GCJ-02, from the operator's map
/// click), mailbox, petitions, media, leaders, referrals, cameras, sensors, street chiefs and the
/// storefront system; the signed-in inspector for patrol reports in 思明区. Every new case is then
/// followed round the loop by a <see cref="CaseWalk"/>.
/// </summary>
public sealed class ComplaintSource : ITrafficSource
{
    private static readonly HashSet<string> Open311Channels = new(["web", "app", "wechat", "weibo"], StringComparer.Ordinal);
    private static readonly HashSet<string> Gcj02Channels = new(["wechat", "hotline12345"], StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, byte> _followed = new();

    public string Kind => "complaints";

    public async Task RunAsync(SimulationRun run, CancellationToken ct)
    {
        var walks = new ConcurrentDictionary<Task, byte>();
        long n = 0;
        try
        {
            foreach (var arrival in run.Pattern.Arrivals(run.Clock.Start, run.RandomFor("arrivals", 0)))
            {
                if (run.End is { } end && arrival.At >= end) break;
                await run.Clock.WaitUntilAsync(arrival.At, ct);
                var index = n++;
                var task = Task.Run(() => ReportAndWalkAsync(run, arrival, index, ct), CancellationToken.None);
                walks.TryAdd(task, 0);
                _ = task.ContinueWith(t => walks.TryRemove(t, out _), TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        // The walks end by themselves: closed, voided, or their next step after the drain days.
        await Task.WhenAll(walks.Keys);
    }

    private async Task ReportAndWalkAsync(SimulationRun run, Arrival arrival, long index, CancellationToken ct)
    {
        var random = run.RandomFor("case", index);
        var place = run.City.PickPlace(random);
        var category = run.City.PickCategory(arrival.Channel, random);
        var condition = CityModel.PickCondition(category, random);
        var story = CaseStory.Draw(random, arrival.Channel);
        var started = false;
        try
        {
            var (caseId, unit, merged) = await ReportAsync(run, arrival.Channel, category, place, index, random, ct);
            if (caseId is not { } id) return;
            // A report that joined an open case (the platform's duplicate rule) is not followed a second time.
            var isNew = !merged && _followed.TryAdd(id, 0);
            run.Stats.Reported(arrival.Channel, category.ServiceCode, place.Cell.District, merged: !isNew);
            if (!isNew) return;
            run.Stats.CaseStarted();
            started = true;
            var walk = new CaseWalk(run, id, arrival.Channel, condition, place, story, random) { RoutedUnit = unit };
            switch (await walk.RunAsync(CaseState.Reported, arrival.At, ct))
            {
                case WalkEnd.Finished: run.Stats.CaseFinished(); break;
                case WalkEnd.GaveUp: run.Stats.CaseAbandoned(); break;
            }
            // Closed and voided cases take no more reports; the set stays as small as the open cases.
            _followed.TryRemove(id, out _);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped: the case stays open (counted as still open).
        }
        catch (SimulationException ex)
        {
            // A demo account could not sign in (its answer is counted already).
            run.Stats.Note(ex.Message);
            if (started) run.Stats.CaseAbandoned();
        }
    }

    /// <summary>Posts the report through its channel's door; returns the case id and, where the answer says, the routed unit.</summary>
    private static async Task<(long? CaseId, string? Unit, bool Merged)> ReportAsync(
        SimulationRun run, string channel, SimCategory category, ReportPlace place, long index, Random random, CancellationToken ct)
    {
        var key = $"sim-{run.RunId}-r{index}";
        var (lon, lat) = Gcj02Channels.Contains(channel) ? Coordinates.Wgs84ToGcj02(place.Lon, place.Lat) : (place.Lon, place.Lat);
        var system = Gcj02Channels.Contains(channel) ? "GCJ02" : "WGS84";
        var description = Describe(channel, category, place, random);
        var (name, phone) = Reporter(random);
        if (Open311Channels.Contains(channel))
        {
            var form = new Dictionary<string, string>
            {
                ["api_key"] = ChannelSeed.DemoKey(channel), ["service_code"] = category.ServiceCode,
                ["lat"] = lat.ToString("0.0000000", CultureInfo.InvariantCulture), ["long"] = lon.ToString("0.0000000", CultureInfo.InvariantCulture),
                ["coordinate_system"] = system, ["description"] = description, ["first_name"] = name, ["phone"] = phone,
            };
            var answer = await run.Platform.SendAsync("report (Open311)", () => WithKey(new HttpRequestMessage(HttpMethod.Post, "/open311/v2/requests.json")
            {
                Content = new FormUrlEncodedContent(form),
            }, key), null, ct);
            var id = answer.Ok ? answer.Json()?[0]?["service_request_id"]?.GetValue<string>() : null;
            return (id is null ? null : long.Parse(id, CultureInfo.InvariantCulture), null, false);
        }

        var signedIn = channel == "inspector" && place.Cell.District == "350203";
        var citizen = CaseStory.FromCitizen(channel);
        var body = new JsonObject
        {
            ["category"] = category.ServiceCode,
            ["description"] = description,
            ["location"] = new JsonObject { ["lat"] = lat, ["lon"] = lon, ["coordinateSystem"] = system },
        };
        if (signedIn) body["channel"] = channel;
        if (citizen) body["reporter"] = new JsonObject { ["name"] = name, ["phone"] = phone };
        if (channel is "camera-ai" or "iot-sensor")
            body["deviceId"] = $"{(channel == "camera-ai" ? "CAM" : "IOT")}-{place.Cell.District}-{random.Next(1, 400):0000}";
        if (channel is "mayor-mailbox" or "petition" or "media" or "leader" or "referral")
            body["externalId"] = $"{channel}-{run.RunId}-{index}";
        var native = await run.Platform.SendAsync("report", () =>
        {
            var request = WithKey(new HttpRequestMessage(HttpMethod.Post, "/api/reports") { Content = JsonContent.Create(body) }, key);
            if (!signedIn) request.Headers.Add("X-Api-Key", ChannelSeed.DemoKey(channel));
            return request;
        }, signedIn ? "inspector" : null, ct);
        if (!native.Ok || native.Json() is not { } json) return (null, null, false);
        return (json["caseId"]?.GetValue<long>(), json["case"]?["routing"]?["unitCode"]?.GetValue<string>(), json["outcome"]?.GetValue<string>() == "Merged");
    }

    private static HttpRequestMessage WithKey(HttpRequestMessage request, string key)
    {
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    private static string Describe(string channel, SimCategory category, ReportPlace place, Random random)
    {
        var where = place.HotSpot is { } spot ? spot.Name + "附近" : "";
        return channel switch
        {
            "camera-ai" => $"视频智能识别：{where}疑似{category.NameZh}（置信度 0.{random.Next(80, 99)}）",
            "iot-sensor" => $"物联感知报警：{where}{category.NameZh}",
            "inspector" or "street-chief" or "frontage" => $"巡查发现{where}{category.NameZh}",
            _ => $"{where}{category.NameZh}，{Complaints[random.Next(Complaints.Length)]}",
        };
    }

    private static (string Name, string Phone) Reporter(Random random) =>
        (Surnames[random.Next(Surnames.Length)] + (random.Next(2) == 0 ? "先生" : "女士"),
         "1" + "3589"[random.Next(4)] + random.Next(0, 1_000_000_000).ToString("000000000", CultureInfo.InvariantCulture));

    private static readonly string[] Surnames = ["林", "陈", "黄", "张", "李", "王", "吴", "刘", "蔡", "杨", "郑", "许", "洪", "苏", "曾"];

    private static readonly string[] Complaints =
        ["影响通行，请尽快处理", "已持续多日，希望有关部门处理", "存在安全隐患", "严重影响市容", "附近居民反映强烈", "晚上尤其严重", "多次反映未解决"];
}
