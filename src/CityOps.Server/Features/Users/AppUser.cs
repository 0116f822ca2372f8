using Microsoft.AspNetCore.Identity;

namespace CityOps.Server.Features.Users;

/// <summary>A person who signs in: staff of a unit, a street chief, an inspector, a leader …</summary>
public sealed class AppUser : IdentityUser
{
    public string DisplayName { get; set; } = "";
    /// <summary>The unit the person works for; its cases are theirs to see.</summary>
    public int? UnitId { get; set; }
    /// <summary>Patrol or responsibility area (inspectors, street chiefs); null = the unit's.</summary>
    public int? AreaId { get; set; }
}
