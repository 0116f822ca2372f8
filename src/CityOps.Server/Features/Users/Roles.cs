namespace CityOps.Server.Features.Users;

/// <summary>The roles of DOMAIN §1. Names are also the demo login names ({role}@demo.cityops).</summary>
public static class Roles
{
    public const string Operator = "operator";          // 受理员
    public const string Dispatcher = "dispatcher";      // 派遣员
    public const string ShiftLead = "shiftlead";        // 值班长
    public const string Department = "department";      // 处置部门
    public const string Handler = "handler";            // 处置人员
    public const string Inspector = "inspector";        // 监督员
    public const string StreetChief = "streetchief";    // 街长
    public const string Enforcement = "enforcement";    // 执法队员
    public const string Leader = "leader";              // 领导
    public const string Partner = "partner";            // 协同部门
    public const string Company = "company";            // 运营企业
    public const string Admin = "admin";                // 管理员

    public static readonly string[] All =
        [Operator, Dispatcher, ShiftLead, Department, Handler, Inspector, StreetChief, Enforcement, Leader, Partner, Company, Admin];

    /// <summary>Roles that see reporters' names and phone numbers unmasked (they call citizens back).</summary>
    public static readonly string[] SeePersonalData = [Operator, Dispatcher, ShiftLead, Admin];

    /// <summary>Roles that may register reports through the native API on behalf of a channel.</summary>
    public static readonly string[] Reporters = [Operator, Dispatcher, ShiftLead, Inspector, StreetChief, Enforcement, Admin];

    /// <summary>A unit's staff who hand out and sign off its work, and see what its subordinate units have.</summary>
    public static readonly string[] UnitLeads = [Department, Enforcement, StreetChief];

    /// <summary>Every staff role (all but partner bureaus and operator companies).</summary>
    public static readonly string[] Staff = [Operator, Dispatcher, ShiftLead, Department, Handler, Inspector, StreetChief, Enforcement, Leader, Admin];
}

public static class Policies
{
    public const string Admin = "admin";
    public const string Staff = "staff";
    public const string Reporter = "reporter";
    public const string WebStaff = "web-staff";
}
