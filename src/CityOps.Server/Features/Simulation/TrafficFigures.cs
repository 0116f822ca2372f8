namespace CityOps.Server.Features.Simulation;

/// <summary>How a channel's reports spread over the day and the week.</summary>
/// <param name="Name">citizen, office or device.</param>
/// <param name="Hours">Relative weight of each local hour 0–23 (normalised when used).</param>
/// <param name="RestDayFactor">A rest day's (weekend, public holiday) volume against a working day's.</param>
public sealed record DayProfile(string Name, double[] Hours, double RestDayFactor);

/// <summary>One intake channel's share of all reports and the profile it follows.</summary>
public sealed record ChannelShare(string Code, double Share, DayProfile Profile);

/// <summary>A dense place: reports fall around its centre (WGS-84) with a normal spread.</summary>
public sealed record HotSpot(string Name, string District, double Lon, double Lat, double SigmaMeters, double Weight);

/// <summary>
/// The figures behind the simulated city: volumes, daily and weekly shapes, the channel, category
/// and place mixes. Sources: DOMAIN §4 (Xiamen's 15 channels, 12345 and the inspectors' patrols the
/// largest), the seeded catalogue (Features/Categories/Seed/categories.json), Xiamen's six districts
/// with their 2020 census population, and the usual shape of a city hotline's day (quiet at night,
/// peaks in the morning and the afternoon, weekends lower). Change them here; the tests check the
/// generator keeps whatever they say.
/// </summary>
public static class TrafficFigures
{
    /// <summary>Complaints a year in Xiamen's city management (about 410 a day).</summary>
    public const int PerYear = 150_000;

    /// <summary>Citizens: almost nobody at 3 a.m., a morning peak at 9–11, a second at 14–17, a long evening tail.</summary>
    public static readonly DayProfile Citizen = new("citizen",
        [1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.5, 6.5, 7.0, 6.0, 4.0, 4.0, 5.5, 6.0, 5.8, 5.0, 3.8, 3.5, 3.2, 2.6, 1.8, 1.3],
        RestDayFactor: 0.8);

    /// <summary>Staff on duty (inspectors, street chiefs, offices): office hours 08:30–12:00 and 14:30–18:00, a thin rota at weekends.</summary>
    public static readonly DayProfile Office = new("office",
        [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 2.0, 6.0, 6.0, 5.5, 0.8, 0.8, 3.0, 6.0, 6.0, 5.5, 0.8, 0.3, 0.2, 0.1, 0.05, 0.05],
        RestDayFactor: 0.35);

    /// <summary>Cameras and sensors: round the clock, busier while the streets are.</summary>
    public static readonly DayProfile Device = new("device",
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.4, 2.2, 2.2, 2.2, 2.2, 2.2, 2.2, 2.2, 2.2, 2.2, 2.2, 2.2, 2.2, 2.2, 1.6, 1.6, 1.6, 1.6],
        RestDayFactor: 1.0);

    /// <summary>The 15 channels' shares (sum 1): 12345 and inspectors' patrols carry more than half.</summary>
    public static readonly IReadOnlyList<ChannelShare> Channels =
    [
        new("hotline12345", 0.30, Citizen),
        new("inspector", 0.28, Office),
        new("street-chief", 0.08, Office),
        new("wechat", 0.07, Citizen),
        new("app", 0.06, Citizen),
        new("camera-ai", 0.05, Device),
        new("web", 0.03, Citizen),
        new("frontage", 0.03, Office),
        new("referral", 0.03, Office),
        new("iot-sensor", 0.02, Device),
        new("weibo", 0.015, Citizen),
        new("mayor-mailbox", 0.015, Citizen),
        new("petition", 0.01, Office),
        new("media", 0.005, Citizen),
        new("leader", 0.005, Office),
    ];

    /// <summary>
    /// Relative weight of a category in what people report; every other active category of the
    /// catalogue weighs 1. Street order, refuse and parking lead, as in every Chinese city's 12345.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, double> Categories = new Dictionary<string, double>
    {
        ["E0509"] = 60, ["E0501"] = 45, ["E0505"] = 55, ["E0506"] = 35, ["E0511"] = 30, ["E0102"] = 50, ["E0104"] = 30,
        ["E0507"] = 30, ["E0504"] = 35, ["E0117"] = 25, ["E0116"] = 20, ["E0201"] = 30, ["E0205"] = 15, ["E0301"] = 35,
        ["E0112"] = 20, ["E0305"] = 20, ["E0508"] = 12, ["E0303"] = 10, ["E0302"] = 12, ["E0110"] = 10, ["E0103"] = 10,
        ["C0119"] = 25, ["C0402"] = 15, ["C0304"] = 15, ["C0301"] = 10, ["C0106"] = 8, ["C0103"] = 8, ["C0209"] = 8,
        ["C0211"] = 6, ["C0215"] = 5, ["E0603"] = 10, ["E0602"] = 4, ["E0206"] = 8,
    };

    /// <summary>Channels that only see some categories: what cameras and sensors detect, what the storefront system and street chiefs handle.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> ChannelCategories = new Dictionary<string, IReadOnlyDictionary<string, double>>
    {
        ["camera-ai"] = new Dictionary<string, double>
        {
            ["E0509"] = 30, ["E0501"] = 20, ["E0505"] = 25, ["E0506"] = 15, ["E0511"] = 15, ["E0102"] = 15, ["E0504"] = 15, ["E0507"] = 10,
        },
        ["iot-sensor"] = new Dictionary<string, double>
        {
            ["E0110"] = 30, ["E0301"] = 20, ["E0302"] = 20, ["C0103"] = 10, ["C0101"] = 10, ["C0111"] = 5, ["C0119"] = 10, ["E0105"] = 5,
        },
        ["frontage"] = new Dictionary<string, double> { ["E0116"] = 30, ["E0117"] = 30, ["E0504"] = 30 },
        ["street-chief"] = new Dictionary<string, double>
        {
            ["E0116"] = 20, ["E0117"] = 20, ["E0504"] = 20, ["E0509"] = 10, ["E0507"] = 10, ["E0506"] = 10, ["E0102"] = 10,
        },
    };

    /// <summary>Population of the six districts (2020 census, thousands): the spread of reports outside the hot spots.</summary>
    public static readonly IReadOnlyDictionary<string, double> Districts = new Dictionary<string, double>
    {
        ["350203"] = 1073, // 思明区
        ["350206"] = 1036, // 湖里区
        ["350211"] = 1033, // 集美区
        ["350205"] = 582,  // 海沧区
        ["350212"] = 856,  // 同安区
        ["350213"] = 585,  // 翔安区
    };

    /// <summary>Share of reports from the hot spots; the rest spread over the districts.</summary>
    public const double HotSpotShare = 0.3;

    /// <summary>Dense places of 思明区 and 湖里区: old town, station, seaside village, malls, bays.</summary>
    public static readonly IReadOnlyList<HotSpot> HotSpots =
    [
        new("中山路步行街", "350203", 118.0800, 24.4580, 300, 8),
        new("火车站", "350203", 118.1160, 24.4690, 350, 5),
        new("曾厝垵", "350203", 118.1290, 24.4360, 300, 5),
        new("莲坂", "350203", 118.1260, 24.4880, 350, 4),
        new("SM城市广场", "350206", 118.1320, 24.5030, 350, 5),
        new("湖里老街", "350206", 118.1050, 24.5120, 350, 4),
        new("五缘湾", "350206", 118.1760, 24.5210, 400, 3),
    ];
}
