using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityOps.Server.Data.Seeding;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Users;
using CityOps.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Access;

/// <summary>
/// The demo city as the access tests need it, on a server of their own (they rotate a channel key,
/// delete a routing rule, add a user): every caller signed in, and cases placed so that each scoped
/// role has one case in reach and one out of it. One per database for the run.
/// </summary>
public sealed class AccessWorld
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<AccessWorld>>> Worlds = new();
    private static readonly Lazy<IReadOnlyList<GeneratedArea>> Cells =
        new(() => GeographySeed.DemoCity().Where(a => a.Level == AreaLevel.Cell).ToList());

    public static Task<AccessWorld> For(string db) => Worlds.GetOrAdd(db, d => new Lazy<Task<AccessWorld>>(() => CreateAsync(d))).Value;

    public const string Siming = "350203", Huli = "350206";
    public const string ProbePassword = "Probe-2026!x";

    public required CityOpsApp App { get; init; }
    /// <summary>By caller: <see cref="AccessTable.Anonymous"/> (no token) and each role's demo account.</summary>
    public required IReadOnlyDictionary<string, HttpClient> Clients { get; init; }
    /// <summary>By role: GET /api/auth/me.</summary>
    public required IReadOnlyDictionary<string, JsonNode> Me { get; init; }
    public required int MunicipalUnit { get; init; }
    public required int SimingSquad { get; init; }
    /// <summary>The demo street chief's community (12-digit code).</summary>
    public required string ChiefCommunity { get; init; }
    /// <summary>C0106 in the chief's community, dispatched to the municipal division and submitted by its handler with <see cref="CitedPhoto"/>.</summary>
    public required long MunicipalCase { get; init; }
    public required Guid MunicipalCaseToken { get; init; }
    public required (double Lon, double Lat) MunicipalCasePoint { get; init; }
    /// <summary>E0509 in 思明区 outside the chief's community, dispatched to the 思明区 enforcement squad.</summary>
    public required long SquadCase { get; init; }
    /// <summary>E0509 in 湖里区, dispatched to the 湖里区 squad: only the centre, leaders and administrators see it.</summary>
    public required long OtherDistrictCase { get; init; }
    public required string CitedPhoto { get; init; }
    /// <summary>Uploaded by the enforcement officer, cited nowhere.</summary>
    public required string UncitedPhoto { get; init; }
    /// <summary>The dispatch notice of <see cref="MunicipalCase"/> to the municipal division.</summary>
    public required long UnitNotice { get; init; }
    /// <summary>A 督办 order to the municipal division, about <see cref="MunicipalCase"/>.</summary>
    public required long SupervisionOrder { get; init; }
    public required int RoutingRule { get; init; }
    public required int ImportJob { get; init; }
    public required int Scheme { get; init; }
    /// <summary>An operator account made for the tests (a second operator; its own confirmation code and sign-in).</summary>
    public required string ProbeUserId { get; init; }
    public required string ProbeEmail { get; init; }
    public required string ProbeConfirmCode { get; init; }
    public required string RefreshToken { get; init; }
    public required int Year { get; init; }

    public HttpClient this[string caller] => Clients[caller];

    /// <summary>The caller's unit, or the municipal division for callers without one (leaders, administrators).</summary>
    public int UnitOf(string caller) => caller != AccessTable.Anonymous && Me[caller]["unitId"] is { } u ? u.GetValue<int>() : MunicipalUnit;

    /// <summary>A case the caller can see when the caller sees cases at all.</summary>
    public long CaseInReach(string caller) => caller == AccessTable.Enforcement ? SquadCase : MunicipalCase;

    public string PhotoInReach(string caller) => caller == AccessTable.Enforcement ? UncitedPhoto : CitedPhoto;

    /// <summary>A WGS-84 point strictly inside a demo grid cell whose code starts with <paramref name="prefix"/> and not with <paramref name="not"/>.</summary>
    public static (double Lon, double Lat) PointIn(string prefix, string? not = null)
    {
        var cells = Cells.Value.Where(c => c.Code.StartsWith(prefix, StringComparison.Ordinal) && (not is null || !c.Code.StartsWith(not, StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(cells);
        while (true)
        {
            var cell = cells[Random.Shared.Next(cells.Count)].Geometry;
            var e = cell.EnvelopeInternal;
            var p = cell.Factory.CreatePoint(new NetTopologySuite.Geometries.Coordinate(e.MinX + Random.Shared.NextDouble() * e.Width, e.MinY + Random.Shared.NextDouble() * e.Height));
            if (cell.Contains(p)) return (p.X, p.Y);
        }
    }

    /// <summary>Reports through Open311 and registers; the case must land with <paramref name="unitCode"/>.</summary>
    public static async Task<(long Id, Guid Token)> DispatchedCaseAsync(HttpClient anonymous, HttpClient op, string serviceCode, (double Lon, double Lat) at, string unitCode,
        Dictionary<string, string>? extra = null)
    {
        var form = Api.Report(serviceCode, at, "权限测试 " + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (k, v) in extra ?? []) form[k] = v;
        var response = await anonymous.PostOpen311Async(form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"report {serviceCode}: {(int)response.StatusCode} {body}");
        var row = JsonNode.Parse(body)![0]!;
        var id = long.Parse(row["service_request_id"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var moved = await op.MustAsync(id, "register", new { condition = "01" });
        Assert.True(moved["state"]!.GetValue<string>() == "Dispatched" && moved["routing"]!["unitCode"]!.GetValue<string>() == unitCode,
            $"case {id} ({serviceCode}) should be dispatched to {unitCode}: {moved.ToJsonString()}");
        return (id, Guid.Parse(row["token"]!.GetValue<string>()));
    }

    private static async Task<AccessWorld> CreateAsync(string db)
    {
        var app = await CityOpsApp.StartAsync(db);
        // Identity's 2fa endpoint makes an authenticator key the first time it is asked, and that
        // changes the account's security stamp, which ends its sign-ins (SecurityStamps). The walk
        // asks it as every role: give each account its key first, so the walk's tokens stay valid.
        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            foreach (var role in AccessTable.Callers.Skip(1))
                await users.ResetAuthenticatorKeyAsync(await users.FindByEmailAsync($"{role}@{UserSeed.DemoDomain}") ?? throw new InvalidOperationException(role));
        }
        var clients = new Dictionary<string, HttpClient> { [AccessTable.Anonymous] = app.CreateClient() };
        var me = new Dictionary<string, JsonNode>();
        foreach (var role in AccessTable.Callers.Skip(1))
        {
            clients[role] = await app.SignInAsync(role);
            me[role] = await (await clients[role].GetAsync("/api/auth/me")).JsonAsync();
        }
        var (anonymous, op, admin) = (clients[AccessTable.Anonymous], clients[AccessTable.Operator], clients[AccessTable.Admin]);
        var units = (await (await admin.GetAsync("/api/units")).JsonAsync()).AsArray();
        int UnitId(string code) => units.First(u => u!["code"]!.GetValue<string>() == code)!["id"]!.GetValue<int>();
        var chiefUnit = me[AccessTable.StreetChief]["unitId"]!.GetValue<int>();
        var community = units.First(u => u!["id"]!.GetValue<int>() == chiefUnit)!["areaCode"]!.GetValue<string>();
        Assert.StartsWith(Siming, community, StringComparison.Ordinal);

        var point = PointIn(community);
        var (municipal, token) = await DispatchedCaseAsync(anonymous, op, "C0106", point, "city-municipal");
        var department = clients[AccessTable.Department];
        var handler = clients[AccessTable.Handler];
        await department.MustAsync(municipal, "assign", new { userId = me[AccessTable.Handler]["id"]!.GetValue<string>() });
        var cited = await handler.UploadAsync(Loop.Photo());
        await handler.MustAsync(municipal, "submit", new { notes = "已处理", attachments = new[] { cited } });
        var (squad, _) = await DispatchedCaseAsync(anonymous, op, "E0509", PointIn(Siming, not: community), "d350203-squad");
        var (other, _) = await DispatchedCaseAsync(anonymous, op, "E0509", PointIn(Huli), "d350206-squad");
        var uncited = await clients[AccessTable.Enforcement].UploadAsync(Loop.Photo());

        var notices = (await (await department.GetAsync("/api/inbox")).JsonAsync()).AsArray();
        var notice = notices.FirstOrDefault(n => n!["caseId"]?.GetValue<long>() == municipal)
                     ?? throw new InvalidOperationException($"no notice of case {municipal} in the municipal division's inbox: {notices.ToJsonString()}");

        await clients[AccessTable.ShiftLead].MustAsync(municipal, "supervise", new { reason = "权限测试督办" });
        var order = (await (await clients[AccessTable.ShiftLead].GetAsync($"/api/supervision?caseId={municipal}")).JsonAsync()).AsArray().Single()!;

        var rule = await admin.PostAsJsonAsync("/api/admin/routing-rules", new { areaCode = community, category = "C0121", unitCode = "city-municipal", note = "access test" });
        Assert.True(rule.IsSuccessStatusCode, await rule.Content.ReadAsStringAsync());
        var import = await admin.PostAsync("/api/admin/geography/imports?level=Cell", new StringContent("""{"type":"FeatureCollection","features":[]}""", Encoding.UTF8, "application/geo+json"));
        Assert.True(import.IsSuccessStatusCode, await import.Content.ReadAsStringAsync());
        var schemes = (await (await admin.GetAsync("/api/evaluation/schemes")).JsonAsync()).AsArray();

        var probeEmail = $"probe-{Guid.NewGuid():N}"[..14] + "@access.test";
        var created = await admin.PostAsJsonAsync("/api/admin/users", new { email = probeEmail, displayName = "第二受理员（测试）", password = ProbePassword, roles = new[] { Roles.Operator }, unitId = UnitId("centre") });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var probeId = (await created.JsonAsync())["id"]!.GetValue<string>();
        string code;
        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var user = await users.FindByIdAsync(probeId) ?? throw new InvalidOperationException("probe user missing");
            code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GenerateEmailConfirmationTokenAsync(user)));
        }
        var login = await anonymous.PostAsJsonAsync("/api/auth/login", new { email = probeEmail, password = ProbePassword });
        Assert.True(login.IsSuccessStatusCode, await login.Content.ReadAsStringAsync());

        return new AccessWorld
        {
            App = app, Clients = clients, Me = me, MunicipalUnit = UnitId("city-municipal"), SimingSquad = UnitId("d350203-squad"), ChiefCommunity = community,
            MunicipalCase = municipal, MunicipalCaseToken = token, MunicipalCasePoint = point, SquadCase = squad, OtherDistrictCase = other,
            CitedPhoto = cited, UncitedPhoto = uncited, UnitNotice = notice["id"]!.GetValue<long>(), SupervisionOrder = order["id"]!.GetValue<long>(),
            RoutingRule = (await rule.JsonAsync())["id"]!.GetValue<int>(), ImportJob = (await import.JsonAsync())["id"]!.GetValue<int>(),
            Scheme = schemes[0]!["id"]!.GetValue<int>(), ProbeUserId = probeId, ProbeEmail = probeEmail, ProbeConfirmCode = code,
            RefreshToken = (await login.JsonAsync())["refreshToken"]!.GetValue<string>(),
            Year = DateTime.UtcNow.AddHours(8).Year,
        };
    }
}
