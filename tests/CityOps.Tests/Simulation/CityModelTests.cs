using CityOps.Server.Data.Seeding;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Categories;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Simulation;

namespace CityOps.Tests.Simulation;

/// <summary>Places, categories and case stories drawn from the figures (pure, on the demo city's grid and catalogue).</summary>
public sealed class CityModelTests
{
    private static readonly Lazy<CityModel> City = new(() =>
    {
        var cells = GeographySeed.DemoCity().Where(a => a.Level == AreaLevel.Cell).Select(a => new SimCell(a.Code, a.Geometry)).ToList();
        var categories = CategorySeed.Build(CategorySeed.Load()).Categories
            .Select(c => new SimCategory(c.ServiceCode, c.NameZh, c.Conditions.Select(k => new SimCondition(k.Code, k.TimeLimit, k.TimeLimitUnit)).ToList()))
            .ToList();
        return new CityModel(cells, categories);
    });

    [Fact]
    public void Every_hot_spot_lies_in_its_district()
    {
        foreach (var spot in TrafficFigures.HotSpots)
        {
            var cell = City.Value.CellAt(spot.Lon, spot.Lat);
            Assert.True(cell is not null, $"{spot.Name} is outside the grid");
            Assert.Equal(spot.District, cell.District);
        }
        Assert.Contains(TrafficFigures.HotSpots, h => h.District == "350203");
        Assert.Contains(TrafficFigures.HotSpots, h => h.District == "350206");
    }

    [Fact]
    public void Places_cover_all_six_districts_and_crowd_the_hot_spots()
    {
        var random = new Random(3);
        var places = Enumerable.Range(0, 20_000).Select(_ => City.Value.PickPlace(random)).ToList();
        foreach (var p in places.Take(2_000))
            Assert.Equal(p.Cell.Code, City.Value.CellAt(p.Lon, p.Lat)?.Code); // strictly inside the cell it names
        var byDistrict = places.GroupBy(p => p.Cell.District).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(6, byDistrict.Count);
        var population = TrafficFigures.Districts.Values.Sum();
        foreach (var (district, people) in TrafficFigures.Districts)
        {
            var spread = (1 - TrafficFigures.HotSpotShare) * people / population;
            var hot = TrafficFigures.HotSpotShare * TrafficFigures.HotSpots.Where(h => h.District == district).Sum(h => h.Weight) / TrafficFigures.HotSpots.Sum(h => h.Weight);
            var share = (double)byDistrict[district] / places.Count;
            Assert.True(Math.Abs(share - (spread + hot)) < 0.02, $"{district}: {share:P1} against {spread + hot:P1}");
        }
        var hotShare = (double)places.Count(p => p.HotSpot is not null) / places.Count;
        Assert.InRange(hotShare, TrafficFigures.HotSpotShare - 0.02, TrafficFigures.HotSpotShare + 0.01);
        // Dense: a hot spot's reports fall within about a kilometre of its centre.
        var old = places.Where(p => p.HotSpot?.Name == "中山路步行街").ToList();
        Assert.True(old.Count > 500);
        Assert.True(old.Count(p => Coordinates.DistanceMeters(p.Lon, p.Lat, p.HotSpot!.Lon, p.HotSpot.Lat) < 1000) > 0.95 * old.Count);
    }

    [Fact]
    public void Categories_follow_the_weights_and_each_channel_its_own_pool()
    {
        var random = new Random(5);
        var general = Enumerable.Range(0, 20_000).Select(_ => City.Value.PickCategory("hotline12345", random).ServiceCode).ToList();
        var counts = general.GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        var total = City.Value.Categories.Sum(c => TrafficFigures.Categories.GetValueOrDefault(c.ServiceCode, 1));
        foreach (var code in new[] { "E0509", "E0505", "E0102", "C0119" })
        {
            var expected = TrafficFigures.Categories[code] / total;
            Assert.InRange((double)counts[code] / general.Count, expected * 0.85, expected * 1.15);
        }
        Assert.True(counts.Count > 60, $"{counts.Count} categories seen");
        var cameras = Enumerable.Range(0, 2_000).Select(_ => City.Value.PickCategory("camera-ai", random).ServiceCode).ToHashSet();
        Assert.Subset(TrafficFigures.ChannelCategories["camera-ai"].Keys.ToHashSet(), cameras);
        var storefront = Enumerable.Range(0, 500).Select(_ => City.Value.PickCategory("frontage", random).ServiceCode).ToHashSet();
        Assert.Equal(["E0116", "E0117", "E0504"], storefront.Order().ToArray());
        var manhole = City.Value.Categories.Single(c => c.ServiceCode == "C0101");
        var conditions = Enumerable.Range(0, 5_000).Select(_ => CityModel.PickCondition(manhole, random).Code).GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(manhole.Conditions.Count, conditions.Count);
        Assert.InRange(conditions["01"] / 5000.0, 0.17, 0.23);
    }

    [Fact]
    public void Case_stories_turn_as_often_as_the_figures_say()
    {
        var random = new Random(11);
        var citizen = Enumerable.Range(0, 20_000).Select(_ => CaseStory.Draw(random, "hotline12345")).ToList();
        var patrol = Enumerable.Range(0, 20_000).Select(_ => CaseStory.Draw(random, "inspector")).ToList();
        static void Near(double actual, double expected, string what) =>
            Assert.True(Math.Abs(actual - expected) < Math.Max(0.15 * expected, 0.004), $"{what}: {actual:P2} against {expected:P2}");
        double Share(List<CaseStory> s, Func<CaseStory, bool> f) => (double)s.Count(f) / s.Count;
        Near(Share(citizen, s => s.FactCheck), StoryFigures.FactCheckCitizen, "fact-checks");
        Near(Share(citizen, s => s.Void), StoryFigures.VoidCitizen + StoryFigures.FactCheckCitizen * StoryFigures.FactCheckFails * (1 - StoryFigures.VoidCitizen), "voids");
        Near(Share(citizen, s => s.WrongUnit), StoryFigures.WrongUnit, "wrong unit");
        Near(Share(citizen, s => s.UnitRework), StoryFigures.UnitRework, "unit rework");
        Near(Share(citizen, s => s.Verify), StoryFigures.Verify, "verifications");
        Near(Share(citizen, s => s.Callback), StoryFigures.Callback, "callbacks");
        Near(Share(citizen.Where(s => s.Reached).ToList(), s => s.Satisfaction == Satisfaction.Dissatisfied), 1 - StoryFigures.Satisfied - StoryFigures.BasicallySatisfied, "dissatisfied");
        Assert.All(citizen.Where(s => s.Reopen), s => Assert.Equal(Satisfaction.Dissatisfied, s.Satisfaction));
        Assert.DoesNotContain(patrol, s => s.Callback);
        Near(Share(patrol, s => s.Void), StoryFigures.VoidOther + StoryFigures.FactCheckOther * StoryFigures.FactCheckFails * (1 - StoryFigures.VoidOther), "patrol voids");
    }

    [Fact]
    public void A_catalogue_without_conditions_or_a_city_without_cells_is_refused()
    {
        var cell = new SimCell("350203001001001", GeometryIo.Factory.CreatePolygon([new(0, 0), new(1, 0), new(1, 1), new(0, 0)]));
        Assert.Throws<ArgumentException>(() => new CityModel([], [new SimCategory("X", "x", [new SimCondition("01", 1, TimeLimitUnit.WorkingDays)])]));
        Assert.Throws<ArgumentException>(() => new CityModel([cell], [new SimCategory("X", "x", [])]));
    }
}
