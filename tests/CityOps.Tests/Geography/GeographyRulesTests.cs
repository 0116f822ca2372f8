using CityOps.Server.Data.Seeding;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Intake;

namespace CityOps.Tests.Geography;

/// <summary>Pure rules: coordinate systems, the generated grid, point location, text checks, the event chain.</summary>
public sealed class GeographyRulesTests
{
    [Fact]
    public void Gcj02_and_Bd09_round_trip_to_wgs84_within_a_centimetre_and_gcj_is_offset_by_hundreds_of_metres()
    {
        var (lon, lat) = (118.0894, 24.4798); // Xiamen, Siming
        var gcj = Coordinates.Wgs84ToGcj02(lon, lat);
        var offset = Coordinates.DistanceMeters(lon, lat, gcj.Lon, gcj.Lat);
        Assert.InRange(offset, 100, 700);
        var back = Coordinates.Gcj02ToWgs84(gcj.Lon, gcj.Lat);
        Assert.True(Coordinates.DistanceMeters(lon, lat, back.Lon, back.Lat) < 0.01);
        var bd = Coordinates.FromWgs84(CoordinateSystem.Bd09, lon, lat);
        var fromBd = Coordinates.ToWgs84(CoordinateSystem.Bd09, bd.Lon, bd.Lat);
        Assert.True(Coordinates.DistanceMeters(lon, lat, fromBd.Lon, fromBd.Lat) < 1); // BD-09 → GCJ-02 is a published approximation
        Assert.Equal((2.35, 48.85), Coordinates.Wgs84ToGcj02(2.35, 48.85)); // outside China: unchanged
    }

    [Fact]
    public void The_demo_grid_nests_codes_and_numbers_cells_west_to_east_then_north_to_south()
    {
        var city = GeographySeed.DemoCity();
        Assert.Equal(6, city.Count(a => a.Level == AreaLevel.District));
        var cells = city.Where(a => a.Level == AreaLevel.Cell).ToList();
        Assert.True(cells.Count > 5000, $"{cells.Count} cells");
        Assert.All(cells, c => Assert.Matches("^[0-9]{15}$", c.Code));
        Assert.All(cells, c => Assert.StartsWith(c.ParentCode, c.Code, StringComparison.Ordinal));
        Assert.Equal(cells.Count, cells.Select(c => c.Code).Distinct().Count());
        // A full 500 m cell is about 250,000 m².
        var full = cells.Select(c => GeometryIo.AreaSquareMeters(c.Geometry)).Max();
        Assert.InRange(full, 240_000, 260_000);
        // Within one community: serials rise west→east along a row, and rows go north→south.
        var community = cells.GroupBy(c => c.ParentCode).First(g => g.Count() == 16).OrderBy(c => c.Code, StringComparer.Ordinal).ToList();
        var centres = community.Select(c => c.Geometry.Centroid).ToList();
        Assert.True(centres[0].X < centres[1].X && Math.Abs(centres[0].Y - centres[1].Y) < 1e-3);
        Assert.True(centres[0].Y > centres[4].Y);
        // Districts are covered without gaps: the cells' area equals the districts' area.
        var districts = city.Where(a => a.Level == AreaLevel.District).Sum(a => a.Geometry.Area);
        Assert.Equal(districts, cells.Sum(c => c.Geometry.Area), 6);
    }

    [Fact]
    public void The_city_map_finds_the_cell_of_any_point_and_nothing_outside()
    {
        var cells = GeographySeed.DemoCity().Where(a => a.Level == AreaLevel.Cell).Select((a, i) => (Id: i, a.Geometry)).ToList();
        var map = new CityMap(cells);
        var random = new Random(7);
        for (var n = 0; n < 2000; n++)
        {
            var (id, g) = cells[random.Next(cells.Count)];
            var p = g.InteriorPoint;
            Assert.Equal(id, map.Locate(p.X, p.Y));
        }
        Assert.Null(map.Locate(121.4737, 31.2304)); // Shanghai
        Assert.Null(map.Locate(double.NaN, 24.5));
    }

    [Fact]
    public void Text_that_no_column_can_hold_faithfully_is_refused_and_markup_is_not()
    {
        var errors = new List<IntakeError>();
        IntakeValidator.Text(errors, "d", "<script>alert(1)</script>'; DROP TABLE \"Cases\"; -- 😀", 4000);
        Assert.Empty(errors);
        IntakeValidator.Text(errors, "d", "a\ud800b", 4000);
        IntakeValidator.Text(errors, "d", "a\0b", 4000);
        IntakeValidator.Text(errors, "d", "a\uFFFDb", 4000);
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void An_edited_or_removed_event_breaks_the_case_chain()
    {
        var c = new Case { Key = Guid.NewGuid(), Description = "x" };
        for (var i = 0; i < 4; i++)
            CaseChain.Append(c, new CaseEvent { At = DateTimeOffset.UnixEpoch.AddHours(i), Action = "step" + i, ToState = CaseState.Reported, PrevHash = "", Hash = "" });
        Assert.Null(CaseChain.FindBreak(c.Key, c.Events, c.LastEventSeq, c.LastEventHash));
        c.Events[2].Reason = "changed later";
        Assert.Equal(3, CaseChain.FindBreak(c.Key, c.Events, c.LastEventSeq, c.LastEventHash));
        c.Events[2].Reason = null;
        Assert.Equal(4, CaseChain.FindBreak(c.Key, c.Events.Take(3).ToList(), c.LastEventSeq, c.LastEventHash));
        Assert.Equal(1, CaseChain.FindBreak(Guid.NewGuid(), c.Events, c.LastEventSeq, c.LastEventHash));
    }
}
