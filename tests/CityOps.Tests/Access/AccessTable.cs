namespace CityOps.Tests.Access;

/// <summary>One row of the access policy: who may call this endpoint at all, and what narrows it further.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">The endpoint's route with its parameters named (<c>{id}</c>), or with a literal where the row covers one value of a parameter (the moves).</param>
/// <param name="Allowed">Callers who get past the door: <see cref="AccessTable.Anonymous"/> and role names.</param>
/// <param name="Scope">What the server narrows for an allowed caller (their unit's cases …), and how it answers beyond it.</param>
/// <param name="Closed">Refused to everyone with 403, also to strangers (a door that is switched off, not locked).</param>
public sealed record AccessRule(string Method, string Path, IReadOnlyList<string> Allowed, string? Scope = null, bool Closed = false);

/// <summary>
/// The access policy of the API (/api and /open311), written down independently of the code it checks:
/// endpoint and method → which of the twelve roles, and strangers, may call it. AccessMatrixTests walks
/// every endpoint of the real server with every role's token and anonymously and compares the answers
/// with this table (allowed: neither 401 nor 403; refused: 401 for a stranger, 403 for a role without
/// the right), fails on an endpoint that has no row here, and checks that docs/access.md shows exactly
/// this table. Change the policy here first.
/// </summary>
public static class AccessTable
{
    public const string Anonymous = "anonymous";

    // The twelve roles (DOMAIN §1), spelled out so that a change to the server's role lists shows up here as a failure.
    public const string Operator = "operator", Dispatcher = "dispatcher", ShiftLead = "shiftlead", Department = "department", Handler = "handler",
        Inspector = "inspector", StreetChief = "streetchief", Enforcement = "enforcement", Leader = "leader", Partner = "partner", Company = "company", Admin = "admin";

    /// <summary>Every caller the test walks with, in the table's column order.</summary>
    public static readonly string[] Callers =
        [Anonymous, Operator, Dispatcher, ShiftLead, Department, Handler, Inspector, StreetChief, Enforcement, Leader, Partner, Company, Admin];

    private static readonly string[] SignedIn = Callers[1..];
    private static readonly string[] Everyone = Callers;
    private static readonly string[] Nobody = [];
    /// <summary>Every role but partner bureaus and operator companies.</summary>
    private static readonly string[] Staff = [Operator, Dispatcher, ShiftLead, Department, Handler, Inspector, StreetChief, Enforcement, Leader, Admin];
    /// <summary>Who sees every case and every evaluation figure: the command centre, leaders, administrators.</summary>
    private static readonly string[] SeeAll = [Operator, Dispatcher, ShiftLead, Leader, Admin];
    private static readonly string[] AdminOnly = [Admin];
    private static readonly string[] Operators = [Operator, ShiftLead];
    private static readonly string[] Dispatchers = [Dispatcher, ShiftLead];
    private static readonly string[] UnitStaff = [Department, Handler, Enforcement, StreetChief];
    private static readonly string[] UnitLeads = [Department, Enforcement, StreetChief];
    private static readonly string[] FieldStaff = [Inspector, StreetChief];

    private const string CaseScope = "centre, leader, admin: every case; department, handler, enforcement: their unit's; inspector, street chief: their unit's and their area's; any other case is 404";
    private const string MoveScope = "a case the caller sees (else 404), and only as its party: owner, assigned unit, handler or task holder (else 403; workflow.md)";

    public static readonly IReadOnlyList<AccessRule> Rules =
    [
        // Signing in (ASP.NET Core Identity's endpoints); accounts are made by administrators.
        new("POST", "/api/auth/login", Everyone),
        new("POST", "/api/auth/refresh", Everyone, "a valid refresh token"),
        new("POST", "/api/auth/register", Nobody, "self-registration is switched off", Closed: true),
        new("GET", "/api/auth/confirmEmail", Everyone, "a valid confirmation code"),
        new("POST", "/api/auth/resendConfirmationEmail", Everyone, "answers the same whether the account exists or not"),
        new("POST", "/api/auth/forgotPassword", Everyone, "answers the same whether the account exists or not"),
        new("POST", "/api/auth/resetPassword", Everyone, "a valid reset code"),
        new("POST", "/api/auth/manage/2fa", SignedIn, "own account"),
        new("GET", "/api/auth/manage/info", SignedIn, "own account"),
        new("POST", "/api/auth/manage/info", SignedIn, "own account"),
        new("GET", "/api/auth/me", SignedIn, "own account"),

        // Intake.
        new("POST", "/open311/v2/requests.{format}", Everyone, "a channel key (api_key); none or a wrong one is Open311's 403"),
        new("POST", "/api/reports", [Operator, Dispatcher, ShiftLead, Inspector, StreetChief, Enforcement, Admin], "or a stranger with a channel key (X-Api-Key)"),

        // Open311, public: no reporter data, ever.
        new("GET", "/open311/v2/discovery.{format}", Everyone),
        new("GET", "/open311/v2/services.{format}", Everyone),
        new("GET", "/open311/v2/services/{code}.{format}", Everyone),
        new("GET", "/open311/v2/requests.{format}", Everyone),
        new("GET", "/open311/v2/requests/{id}.{format}", Everyone),
        new("GET", "/open311/v2/tokens/{token}.{format}", Everyone),

        // Cases.
        new("GET", "/api/cases", Staff, CaseScope),
        new("GET", "/api/cases/{id}", Staff, CaseScope),
        new("GET", "/api/cases/{id}/history", Staff, CaseScope),
        new("GET", "/api/audit/verify", [ShiftLead, Leader, Admin]),
        new("POST", "/api/attachments", Staff),
        new("GET", "/api/attachments/{sha256}", Staff, "centre, leader, admin: all; others: what they uploaded (first or again) and what a move of a case they see cites; else 404"),
        new("GET", "/api/inbox", SignedIn, "the caller's own notices and their unit's"),
        new("POST", "/api/inbox/{id}/read", SignedIn, "the caller's own notices and their unit's; else 404"),
        new("POST", "/api/inbox/read", SignedIn, "the caller's own notices and their unit's, for the caller only"),
        new("GET", "/api/supervision", Staff, "centre, leader, admin: all orders; a unit: those to it, to a unit below it, or naming it as superior"),
        new("POST", "/api/supervision/{id}/acknowledge", [Department, Handler, Inspector, StreetChief, Enforcement],
            "staff of the unit the order went to (an order to the centre: the centre's); the centre and leaders read an order to a unit but do not answer it (403); out of sight 404"),

        // The moves of the closed loop (workflow.md), one row per action.
        new("POST", "/api/cases/{id}/locate", Operators, MoveScope),
        new("POST", "/api/cases/{id}/claim", Operators, MoveScope),
        new("POST", "/api/cases/{id}/transfer", Operators, MoveScope),
        new("POST", "/api/cases/{id}/factcheck", Operators, MoveScope),
        new("POST", "/api/cases/{id}/factcheck-report", FieldStaff, MoveScope),
        new("POST", "/api/cases/{id}/register", Operators, MoveScope),
        new("POST", "/api/cases/{id}/void", Operators, MoveScope),
        new("POST", "/api/cases/{id}/dispatch", Dispatchers, MoveScope),
        new("POST", "/api/cases/{id}/return", [.. Dispatchers, .. UnitStaff], MoveScope),
        new("POST", "/api/cases/{id}/recall", Dispatchers, MoveScope),
        new("POST", "/api/cases/{id}/assign", UnitLeads, MoveScope),
        new("POST", "/api/cases/{id}/submit", UnitStaff, MoveScope),
        new("POST", "/api/cases/{id}/confirm", UnitLeads, MoveScope),
        new("POST", "/api/cases/{id}/rework", [Operator, Dispatcher, ShiftLead, .. UnitStaff], MoveScope),
        new("POST", "/api/cases/{id}/verify", Operators, MoveScope),
        new("POST", "/api/cases/{id}/verify-report", FieldStaff, MoveScope),
        new("POST", "/api/cases/{id}/close", Operators, MoveScope),
        new("POST", "/api/cases/{id}/callback", Operators, MoveScope),
        new("POST", "/api/cases/{id}/extend", UnitStaff, MoveScope),
        new("POST", "/api/cases/{id}/suspend", UnitStaff, MoveScope),
        new("POST", "/api/cases/{id}/approve", [ShiftLead], MoveScope),
        new("POST", "/api/cases/{id}/reject", [ShiftLead], MoveScope),
        new("POST", "/api/cases/{id}/resume", [ShiftLead, .. UnitStaff], MoveScope),
        new("POST", "/api/cases/{id}/supervise", [ShiftLead, Leader], MoveScope),

        // Evaluation (evaluation.md).
        new("GET", "/api/evaluation/units", Staff, "others than centre, leader, admin: their own unit's row"),
        new("GET", "/api/evaluation/areas", SeeAll),
        new("GET", "/api/evaluation/people", Staff, "others than centre, leader, admin: their own row"),
        new("GET", "/api/evaluation/rankings", Staff),
        new("GET", "/api/evaluation/trend", Staff, "others than centre, leader, admin: their own unit or self, else 403"),
        new("GET", "/api/evaluation/cases", Staff, "others than centre, leader, admin: their own unit or self, else 403"),
        new("GET", "/api/evaluation/callbacks", [Operator, ShiftLead, Leader, Admin], "reporters masked for the leader"),
        new("GET", "/api/evaluation/export.xlsx", SeeAll),
        new("GET", "/api/evaluation/export.csv", SeeAll),
        new("GET", "/api/evaluation/schemes", Staff),
        new("GET", "/api/evaluation/schemes/{id}", Staff),
        new("POST", "/api/evaluation/schemes", [Leader, Admin]),

        // Reference data.
        new("GET", "/api/areas", Staff),
        new("GET", "/api/areas/{code}", Staff),
        new("GET", "/api/areas/layers/{level}", Staff),
        new("GET", "/api/areas/{code}/geojson", Staff),
        new("GET", "/api/categories", Staff),
        new("GET", "/api/units", Staff),
        new("GET", "/api/routing/resolve", Staff),

        // Administration.
        new("PUT", "/api/admin/areas/{code}", AdminOnly),
        new("POST", "/api/admin/geography/imports", AdminOnly),
        new("GET", "/api/admin/geography/imports/{id}", AdminOnly),
        new("POST", "/api/admin/categories", AdminOnly),
        new("PUT", "/api/admin/categories/{serviceCode}", AdminOnly),
        new("POST", "/api/admin/units", AdminOnly),
        new("PUT", "/api/admin/units/{code}", AdminOnly),
        new("GET", "/api/admin/routing-rules", AdminOnly),
        new("POST", "/api/admin/routing-rules", AdminOnly),
        new("DELETE", "/api/admin/routing-rules/{id}", AdminOnly),
        new("GET", "/api/admin/channels", AdminOnly),
        new("POST", "/api/admin/channels", AdminOnly),
        new("PUT", "/api/admin/channels/{code}", AdminOnly),
        new("POST", "/api/admin/channels/{code}/key", AdminOnly),
        new("GET", "/api/admin/users", AdminOnly),
        new("POST", "/api/admin/users", AdminOnly),
        new("PUT", "/api/admin/users/{id}", AdminOnly),
        new("GET", "/api/admin/calendar", AdminOnly),
        new("GET", "/api/admin/calendar/years/{year}", AdminOnly),
        new("PUT", "/api/admin/calendar/years/{year}", AdminOnly),
        new("DELETE", "/api/admin/calendar/years/{year}", AdminOnly, "a year stored by an administrator (else 404)"),
    ];
}
