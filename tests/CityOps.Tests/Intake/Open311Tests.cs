using System.Net;
using System.Xml.Linq;
using CityOps.Tests.Support;

namespace CityOps.Tests.Intake;

/// <summary>An Open311 GeoReport v2 client's view: services, posting, reading back, in JSON and XML.</summary>
public sealed class Open311Tests
{
    private const string Siming = "350203";
    // 施工噪声扰民 goes to a city department; 门前三包 to a community street chief; 违法建设 has no row and falls to the territory.
    private const string StorefrontCode = "E0116";

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Services_list_every_category_and_validate_against_the_official_schema(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var client = app.CreateClient();
        var json = await client.GetStringAsync("/open311/v2/services.json");
        Open311Schemas.AssertValid("services", json);
        var services = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsArray();
        Assert.True(services.Count >= 60, $"only {services.Count} services");
        Assert.Contains(services, s => s!["service_code"]!.GetValue<string>() == StorefrontCode);

        var definition = await client.GetStringAsync($"/open311/v2/services/{StorefrontCode}.json");
        Open311Schemas.AssertValid("service-definition", definition);
        Assert.Contains("\"singlevaluelist\"", definition, StringComparison.Ordinal);

        var xml = XDocument.Parse(await client.GetStringAsync("/open311/v2/services.xml"));
        Assert.Equal(services.Count, xml.Root!.Elements("service").Count());
        Assert.Equal("discovery", XDocument.Parse(await client.GetStringAsync("/open311/v2/discovery.xml")).Root!.Name.LocalName);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_report_in_Siming_is_stored_open_routed_to_a_Siming_unit_and_valid_in_json_and_xml(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var client = app.CreateClient();
        var at = Api.PointIn(Siming);
        var post = await client.PostOpen311Async(Api.Report(StorefrontCode, at, "店门口堆放杂物 <b>bold</b>' OR 1=1 --"));
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        var id = (await post.JsonAsync())[0]!["service_request_id"]!.GetValue<string>();

        var json = await client.GetStringAsync($"/open311/v2/requests/{id}.json?extensions=true");
        Open311Schemas.AssertValid("requests", json);
        var request = System.Text.Json.Nodes.JsonNode.Parse(json)![0]!;
        Assert.Equal("open", request["status"]!.GetValue<string>());
        Assert.Equal("店门口堆放杂物 <b>bold</b>' OR 1=1 --", request["description"]!.GetValue<string>());
        var ext = request["extended_attributes"]!;
        Assert.Equal(Siming, ext["district"]!.GetValue<string>());
        Assert.StartsWith(Siming, ext["grid_cell"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(15, ext["grid_cell"]!.GetValue<string>().Length);
        Assert.Equal("web", ext["channel"]!.GetValue<string>());
        Assert.Equal("StorefrontStreetChief", ext["routing_reason"]!.GetValue<string>());
        // The community street chief of the very community the point fell in.
        var operatorClient = await app.SignInAsync("operator");
        var detail = await (await operatorClient.GetAsync($"/api/cases/{id}")).JsonAsync();
        Assert.Equal($"c{ext["community"]!.GetValue<string>()}-chief", detail["routing"]!["unitCode"]!.GetValue<string>());
        Assert.Equal(detail["routing"]!["unitName"]!.GetValue<string>(), request["agency_responsible"]!.GetValue<string>());
        Assert.Single(request["notes"]!.AsArray());
        Assert.Equal(at.Lat, request["lat"]!.GetValue<double>(), 9);

        var xml = XDocument.Parse(await client.GetStringAsync($"/open311/v2/requests/{id}.xml?extensions=true"));
        var element = xml.Root!.Element("request")!;
        Assert.Equal(id, element.Element("service_request_id")!.Value);
        Assert.Equal("open", element.Element("status")!.Value);
        Assert.Equal(Siming, element.Element("extended_attributes")!.Element("district")!.Value);
        Assert.Equal(request["agency_responsible"]!.GetValue<string>(), element.Element("agency_responsible")!.Value);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task The_same_post_with_the_same_idempotency_key_returns_the_same_case(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var client = app.CreateClient();
        var form = Api.Report("E0301", Api.PointIn("350206"));
        var key = Guid.NewGuid().ToString();
        var first = await (await client.PostOpen311Async(form, idempotencyKey: key)).JsonAsync();
        var second = await client.PostOpen311Async(form, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(first[0]!["service_request_id"]!.GetValue<string>(), (await second.JsonAsync())[0]!["service_request_id"]!.GetValue<string>());

        var listed = await client.GetStringAsync($"/open311/v2/requests.json?service_request_id={first[0]!["service_request_id"]}&extensions=true");
        Assert.Equal(1, System.Text.Json.Nodes.JsonNode.Parse(listed)![0]!["extended_attributes"]!["report_count"]!.GetValue<int>());

        // The same key with a different report is refused, not silently mapped to the first case.
        form["description"] = "另一件事";
        var reused = await client.PostOpen311Async(form, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Lists_page_filter_and_look_up_tokens(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var client = app.CreateClient();
        var tokens = new List<string>();
        for (var i = 0; i < 3; i++)
            tokens.Add((await (await client.PostOpen311Async(Api.Report("C0201", Api.PointIn("350211")))).JsonAsync())[0]!["token"]!.GetValue<string>());

        var page = await client.GetStringAsync("/open311/v2/requests.json?service_code=C0201&page_size=2&page=1");
        Open311Schemas.AssertValid("requests", page);
        Assert.Equal(2, System.Text.Json.Nodes.JsonNode.Parse(page)!.AsArray().Count);
        var closed = await client.GetStringAsync("/open311/v2/requests.json?service_code=C0201&status=closed");
        Assert.Empty(System.Text.Json.Nodes.JsonNode.Parse(closed)!.AsArray());

        // service_request_id overrides every other filter (GeoReport v2): these open cases are listed even under status=closed.
        var ids = new List<string>();
        foreach (var t in tokens)
            ids.Add(System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync($"/open311/v2/tokens/{t}.json"))![0]!["service_request_id"]!.GetValue<string>());
        var byId = await client.GetStringAsync($"/open311/v2/requests.json?service_request_id={string.Join(',', ids)}&status=closed&service_code=C0101");
        Assert.Equal(ids.Order(), System.Text.Json.Nodes.JsonNode.Parse(byId)!.AsArray().Select(r => r!["service_request_id"]!.GetValue<string>()).Order());

        // A report with an address only is not routed yet, and its notice says so.
        var addressOnly = (await (await client.PostOpen311Async(new Dictionary<string, string>
        {
            ["api_key"] = "demo-web-key", ["service_code"] = "C0201", ["address_string"] = "湖里区某小区门口", ["description"] = "只有地址的上报",
        })).JsonAsync())[0]!;
        Assert.Equal(CityOps.Server.Infrastructure.Messages.Get("Open311NeedsLocation"), addressOnly["service_notice"]!.GetValue<string>());

        var token = await client.GetStringAsync($"/open311/v2/tokens/{tokens[0]}.json");
        Assert.Contains("service_request_id", token, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/open311/v2/tokens/{Guid.NewGuid()}.json")).StatusCode);
    }
}
