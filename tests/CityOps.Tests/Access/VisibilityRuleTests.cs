using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Users;

namespace CityOps.Tests.Access;

/// <summary>
/// The visibility rule exists twice: as a query filter for lists (<see cref="CaseViews.VisibleTo"/>)
/// and for one case at hand (<see cref="CaseViews.CanSee(CurrentUser, Case)"/>). They must agree for every role.
/// </summary>
public sealed class VisibilityRuleTests
{
    [Fact]
    public void The_list_filter_and_the_one_case_check_agree_for_every_role_unit_and_area()
    {
        int?[] values = [null, 1, 2, 3];
        // With the centre (routed, not yet dispatched), with the unit, closed, voided at the centre.
        CaseState[] states = [CaseState.Registered, CaseState.Handling, CaseState.Closed, CaseState.Voided];
        var cases = new List<Case>();
        long id = 0;
        foreach (var state in states)
        foreach (var unit in values)
        foreach (var community in values)
        foreach (var subdistrict in values)
        foreach (var district in values)
            cases.Add(new Case { Id = ++id, State = state, AssignedUnitId = unit, CommunityId = community, SubdistrictId = subdistrict, DistrictId = district, Description = "" });

        var checkedPairs = 0;
        var seen = 0;
        foreach (var role in Roles.All.Append("citizen"))
        foreach (var unit in values)
        foreach (var area in values)
        foreach (var below in new int?[][] { [], [2], [2, 3] })
        {
            var user = new CurrentUser("u", "u", [role], unit, area, below);
            var byQuery = cases.AsQueryable().VisibleTo(user).Select(c => c.Id).ToHashSet();
            foreach (var c in cases)
            {
                Assert.True(byQuery.Contains(c.Id) == user.CanSee(c),
                    $"{role} (unit {unit}, area {area}, oversees {string.Join(",", below)}) on case {c.State} unit {c.AssignedUnitId} community {c.CommunityId} subdistrict {c.SubdistrictId} district {c.DistrictId}");
                checkedPairs++;
            }
            seen += byQuery.Count;
        }
        Assert.Equal((Roles.All.Length + 1) * 16 * 3 * 256 * states.Length, checkedPairs);
        // Neither rule is trivially all or nothing, and a unit sees a case routed to it only once it is dispatched.
        Assert.InRange(seen, 1, checkedPairs - 1);
        var department = new CurrentUser("u", "u", [Roles.Department], 1, null, [2]);
        Assert.True(department.CanSee(new Case { State = CaseState.Handling, AssignedUnitId = 1, Description = "" }));
        Assert.True(department.CanSee(new Case { State = CaseState.Closed, AssignedUnitId = 2, Description = "" }));
        Assert.False(department.CanSee(new Case { State = CaseState.Registered, AssignedUnitId = 1, Description = "" }));
        Assert.False(department.CanSee(new Case { State = CaseState.Registered, AssignedUnitId = 2, Description = "" }));
    }
}
