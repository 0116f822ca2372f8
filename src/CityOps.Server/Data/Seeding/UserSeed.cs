using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Units;
using CityOps.Server.Features.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Data.Seeding;

public sealed class AdminOptions
{
    /// <summary>First administrator, created on start when no admin exists (production).</summary>
    public string? Email { get; set; }
    public string? Password { get; set; }
}

/// <summary>Roles, demo accounts (Development) and the first administrator (production).</summary>
public sealed class UserSeed(UserManager<AppUser> userManager, IHostEnvironment env, Microsoft.Extensions.Options.IOptions<AdminOptions> admin, ILogger<UserSeed> log)
{
    public const string DemoPassword = "Demo-2026!";
    public const string DemoDomain = "demo.cityops";

    public async Task EnsureRolesAsync(CityOpsDb db, CancellationToken ct)
    {
        var existing = await db.Roles.Select(r => r.Name).ToListAsync(ct);
        foreach (var role in Roles.All.Except(existing.OfType<string>()))
            db.Roles.Add(new IdentityRole(role) { NormalizedName = role.ToUpperInvariant(), ConcurrencyStamp = Guid.NewGuid().ToString() });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>One account per role and per unit, all sharing one salted hash of the demo password.</summary>
    public async Task SeedDemoAccountsAsync(CityOpsDb db, IReadOnlyList<Unit> units, IReadOnlyList<Area> areas, CancellationToken ct)
    {
        var hash = new PasswordHasher<AppUser>().HashPassword(new AppUser(), DemoPassword);
        var roleIds = await db.Roles.ToDictionaryAsync(r => r.Name!, r => r.Id, ct);
        var byCode = units.ToDictionary(u => u.Code);
        var siming = areas.First(a => a.Code == "350203");
        var simingChief = units.First(u => u.Kind == UnitKind.StreetChief && u.StreetChiefLevel == StreetChiefLevel.Community
                                           && areas.First(a => a.Id == u.AreaId).DistrictId == siming.Id);

        var accounts = new List<(string Login, string Name, string Role, Unit? Unit)>
        {
            (Roles.Operator, "受理员（演示）", Roles.Operator, byCode["centre"]),
            (Roles.Dispatcher, "派遣员（演示）", Roles.Dispatcher, byCode["centre"]),
            (Roles.ShiftLead, "值班长（演示）", Roles.ShiftLead, byCode["centre"]),
            (Roles.Department, "市政处（演示）", Roles.Department, byCode["city-municipal"]),
            (Roles.Handler, "处置人员（演示）", Roles.Handler, byCode["city-municipal"]),
            (Roles.Inspector, "思明区监督员（演示）", Roles.Inspector, byCode["d350203-bureau"]),
            (Roles.StreetChief, simingChief.NameZh, Roles.StreetChief, simingChief),
            (Roles.Enforcement, "思明区执法队员（演示）", Roles.Enforcement, byCode["d350203-squad"]),
            (Roles.Leader, "领导（演示）", Roles.Leader, null),
            (Roles.Partner, "交通运输局（演示）", Roles.Partner, byCode["partner-transport"]),
            (Roles.Company, "哈啰出行（演示）", Roles.Company, byCode["company-hellobike"]),
            (Roles.Admin, "管理员（演示）", Roles.Admin, null),
        };
        accounts.AddRange(units.Select(u => (u.Code, u.NameZh, RoleOf(u), (Unit?)u)));

        foreach (var (login, name, role, unit) in accounts)
        {
            var email = $"{login}@{DemoDomain}";
            var user = new AppUser
            {
                UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(),
                EmailConfirmed = true, PasswordHash = hash, SecurityStamp = Guid.NewGuid().ToString("N"), ConcurrencyStamp = Guid.NewGuid().ToString(),
                DisplayName = name, UnitId = unit?.Id, AreaId = role == Roles.Inspector ? siming.Id : unit?.AreaId,
            };
            db.Users.Add(user);
            db.UserRoles.Add(new IdentityUserRole<string> { UserId = user.Id, RoleId = roleIds[role] });
        }
        await db.SaveChangesAsync(ct);
    }

    public static string RoleOf(Unit u) => u.Kind switch
    {
        UnitKind.CommandCentre => Roles.ShiftLead,
        UnitKind.StreetChief => Roles.StreetChief,
        UnitKind.PartnerBureau => Roles.Partner,
        UnitKind.OperatorCompany => Roles.Company,
        _ => Roles.Department,
    };

    /// <summary>Outside Development: no demo password may work, and a first admin comes from configuration.</summary>
    public async Task EnsureAccountsAsync(CityOpsDb db, bool demo, CancellationToken ct)
    {
        if (demo && env.IsProduction())
            throw new InvalidOperationException("CityOps:City:SeedDemo must be false in Production: demo accounts share a published password.");
        if (!env.IsDevelopment())
        {
            var demoUser = await db.Users.FirstOrDefaultAsync(u => u.NormalizedEmail!.EndsWith("@" + DemoDomain.ToUpperInvariant()), ct);
            if (demoUser is not null && await userManager.CheckPasswordAsync(demoUser, DemoPassword))
                throw new InvalidOperationException($"Refusing to start: account {demoUser.Email} still has the demo password.");
        }
        var a = admin.Value;
        if (string.IsNullOrEmpty(a.Email) || string.IsNullOrEmpty(a.Password)) return;
        if (a.Password == DemoPassword) throw new InvalidOperationException("Refusing to start: CityOps:Admin:Password is the demo password.");
        if (await userManager.FindByEmailAsync(a.Email) is not null) return;
        var user = new AppUser { UserName = a.Email, Email = a.Email, EmailConfirmed = true, DisplayName = "Administrator" };
        var created = await userManager.CreateAsync(user, a.Password);
        if (!created.Succeeded) throw new InvalidOperationException("Cannot create the first administrator: " + string.Join("; ", created.Errors.Select(e => e.Description)));
        await userManager.AddToRoleAsync(user, Roles.Admin);
        log.LogInformation("Created the first administrator {Email}", a.Email);
    }
}
