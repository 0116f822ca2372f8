using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace CityOps.Bench;

/// <summary>
/// Writes years of case records shaped like the closed loop (report, register, auto-dispatch,
/// assign, submit, confirm, close, callback; with voids, returns, overdue, extensions and rework at
/// realistic shares) by binary COPY, into a database the server migrated and seeded.
/// </summary>
public static class Record
{
    private const string Hash = "5f2b0c8e9d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";

    private sealed record Ev(int Seq, DateTimeOffset At, string Action, string Actor, string Role, string? From, string To, int? Unit, string? Data);

    public static async Task<(int Cases, long Events)> FillAsync(string conn, int firstYear, int years, int perYear)
    {
        // Ten years take minutes to COPY and index: no command timeout.
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(conn) { CommandTimeout = 0 }.ConnectionString);
        await c.OpenAsync();
        var channel = await ScalarAsync<int>(c, "SELECT min(\"Id\") FROM \"Channels\"");
        var conditions = await ListAsync(c, "SELECT \"CategoryId\", \"Id\" FROM \"RegistrationConditions\" ORDER BY \"Id\"", r => (r.GetInt32(0), r.GetInt32(1)));
        var units = await ListAsync(c, "SELECT \"Id\" FROM \"Units\" WHERE \"Kind\" IN ('Department', 'EnforcementSquad', 'Territory') ORDER BY \"Id\"", r => r.GetInt32(0));
        var cells = await ListAsync(c, "SELECT \"Id\", \"CommunityId\", \"SubdistrictId\", \"DistrictId\" FROM \"Areas\" WHERE \"Level\" = 'Cell' ORDER BY \"Id\"",
            r => (r.GetInt32(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3)));
        var staff = await ListAsync(c, """
            SELECT u."Id", r."Name" FROM "AspNetUsers" u JOIN "AspNetUserRoles" ur ON ur."UserId" = u."Id" JOIN "AspNetRoles" r ON r."Id" = ur."RoleId"
            WHERE r."Name" IN ('operator', 'dispatcher', 'handler') ORDER BY u."Id"
            """, r => (Id: r.GetString(0), Role: r.GetString(1)));
        string[] Of(string role) => staff.Where(s => s.Role == role).Select(s => s.Id).DefaultIfEmpty("bench-" + role).ToArray();
        var (operators, dispatchers, handlers) = (Of("operator"), Of("dispatcher"), Of("handler"));
        if (conditions.Count == 0 || units.Count == 0 || cells.Count == 0) throw new BenchException("the seeded database has no conditions, units or cells");

        var rng = new Random(7 + firstYear);
        long id = await ScalarAsync<long>(c, "SELECT coalesce(max(\"Id\"), 0) FROM \"Cases\"");
        var caseCopy = await c.BeginBinaryImportAsync("""
            COPY "Cases" ("Id", "Key", "State", "ChannelId", "CategoryId", "ConditionId", "Description", "Lat", "Lon", "CellId", "CommunityId", "SubdistrictId",
              "DistrictId", "AssignedUnitId", "RoutingReason", "ReportCount", "Pending", "ReportedAt", "UpdatedAt", "ClosedAt", "LastEventSeq", "LastEventHash",
              "Version", "Clock_Unit", "Clock_Limit", "Clock_UsedBefore", "Clock_Paused", "Clock_WarningRaised", "Clock_OverdueRaised", "Clock_Number",
              "ReworkCount", "ReturnCount", "ExtensionCount", "SuspensionCount", "SupervisionCount") FROM STDIN (FORMAT BINARY)
            """);
        var events = new List<Ev>(16);
        var allEvents = new List<(long CaseId, Ev E)>(perYear * years * 10);
        var firstId = id;
        for (var y = firstYear; y < firstYear + years; y++)
        {
            var start = new DateTimeOffset(y, 1, 1, 0, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();
            var span = new DateTimeOffset(y + 1, 1, 1, 0, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime() - start;
            for (var i = 0; i < perYear; i++)
            {
                id++;
                var reported = start + TimeSpan.FromSeconds(Math.Floor(rng.NextDouble() * span.TotalSeconds));
                var (category, condition) = conditions[rng.Next(conditions.Count)];
                var (cell, community, sub, district) = cells[rng.Next(cells.Count)];
                var unit = units[rng.Next(units.Count)];
                var (state, closedAt) = Path(rng, events, reported, unit, units, operators[rng.Next(operators.Length)], dispatchers[rng.Next(dispatchers.Length)], handlers[rng.Next(handlers.Length)]);
                var last = events[^1];
                await caseCopy.StartRowAsync();
                await caseCopy.WriteAsync(id, NpgsqlDbType.Bigint);
                await caseCopy.WriteAsync(Guid.NewGuid(), NpgsqlDbType.Uuid);
                await caseCopy.WriteAsync(state, NpgsqlDbType.Varchar);
                await caseCopy.WriteAsync(channel, NpgsqlDbType.Integer);
                await caseCopy.WriteAsync(category, NpgsqlDbType.Integer);
                await caseCopy.WriteAsync(condition, NpgsqlDbType.Integer);
                await caseCopy.WriteAsync("压测：路灯不亮，井盖松动，请尽快处理", NpgsqlDbType.Varchar);
                await caseCopy.WriteAsync(24.45 + rng.NextDouble() * 0.1, NpgsqlDbType.Double);
                await caseCopy.WriteAsync(118.08 + rng.NextDouble() * 0.1, NpgsqlDbType.Double);
                foreach (var area in new[] { cell, community, sub, district }) await caseCopy.WriteAsync(area, NpgsqlDbType.Integer);
                await caseCopy.WriteAsync(last.Unit ?? unit, NpgsqlDbType.Integer);
                await caseCopy.WriteAsync("RoutingTable", NpgsqlDbType.Varchar);
                await caseCopy.WriteAsync(1, NpgsqlDbType.Integer);
                await caseCopy.WriteAsync("None", NpgsqlDbType.Varchar);
                await caseCopy.WriteAsync(reported, NpgsqlDbType.TimestampTz);
                await caseCopy.WriteAsync(last.At, NpgsqlDbType.TimestampTz);
                if (closedAt is { } closed) await caseCopy.WriteAsync(closed, NpgsqlDbType.TimestampTz); else await caseCopy.WriteNullAsync();
                await caseCopy.WriteAsync(events.Count, NpgsqlDbType.Integer);
                await caseCopy.WriteAsync(Hash, NpgsqlDbType.Varchar);
                await caseCopy.WriteAsync(events.Count, NpgsqlDbType.Integer);
                await caseCopy.WriteAsync("WorkingHours", NpgsqlDbType.Varchar);
                await caseCopy.WriteAsync(8.0, NpgsqlDbType.Double);
                await caseCopy.WriteAsync(0.0, NpgsqlDbType.Double);
                for (var b = 0; b < 3; b++) await caseCopy.WriteAsync(false, NpgsqlDbType.Boolean);
                for (var n = 0; n < 6; n++) await caseCopy.WriteAsync(0, NpgsqlDbType.Integer);
                foreach (var e in events) allEvents.Add((id, e));
            }
        }
        await caseCopy.CompleteAsync();
        await caseCopy.DisposeAsync();

        await using (var ev = await c.BeginBinaryImportAsync("""
            COPY "CaseEvents" ("CaseId", "Seq", "At", "Action", "ActorId", "ActorName", "ActorRole", "FromState", "ToState", "UnitId", "Data", "Public", "PrevHash", "Hash")
            FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var (caseId, e) in allEvents)
            {
                await ev.StartRowAsync();
                await ev.WriteAsync(caseId, NpgsqlDbType.Bigint);
                await ev.WriteAsync(e.Seq, NpgsqlDbType.Integer);
                await ev.WriteAsync(e.At, NpgsqlDbType.TimestampTz);
                await ev.WriteAsync(e.Action, NpgsqlDbType.Varchar);
                await ev.WriteAsync(e.Actor, NpgsqlDbType.Varchar);
                await ev.WriteAsync("压测用户", NpgsqlDbType.Varchar);
                await ev.WriteAsync(e.Role, NpgsqlDbType.Varchar);
                if (e.From is null) await ev.WriteNullAsync(); else await ev.WriteAsync(e.From, NpgsqlDbType.Varchar);
                await ev.WriteAsync(e.To, NpgsqlDbType.Varchar);
                if (e.Unit is null) await ev.WriteNullAsync(); else await ev.WriteAsync(e.Unit.Value, NpgsqlDbType.Integer);
                if (e.Data is null) await ev.WriteNullAsync(); else await ev.WriteAsync(e.Data, NpgsqlDbType.Varchar);
                await ev.WriteAsync(e.Action is "report" or "register" or "dispatch" or "confirm" or "close", NpgsqlDbType.Boolean);
                await ev.WriteAsync(Hash, NpgsqlDbType.Varchar);
                await ev.WriteAsync(Hash, NpgsqlDbType.Varchar);
            }
            await ev.CompleteAsync();
        }
        await using (var seq = new NpgsqlCommand("SELECT setval(pg_get_serial_sequence('\"Cases\"', 'Id'), (SELECT max(\"Id\") FROM \"Cases\"))", c))
            await seq.ExecuteScalarAsync();
        return ((int)(id - firstId), allEvents.Count);
    }

    /// <summary>One case's moves; shares follow a busy city's usual mix.</summary>
    private static (string State, DateTimeOffset? ClosedAt) Path(Random rng, List<Ev> events, DateTimeOffset t, int unit, List<int> units, string op, string dispatcher, string handler)
    {
        events.Clear();
        void Add(TimeSpan after, string action, string actor, string role, string? from, string to, int? u = null, string? data = null)
        {
            t += after;
            events.Add(new(events.Count + 1, t, action, actor, role, from, to, u, data));
        }
        TimeSpan Min(int lo, int hi) => TimeSpan.FromMinutes(rng.Next(lo, hi));
        string OnTime(string step, bool onTime) => $"{{\"step\":\"{step}\",\"onTime\":{(onTime ? "true" : "false")}}}";

        Add(TimeSpan.Zero, "report", "channel:web", "channel", null, "Reported", unit, """{"reportId":1,"channel":"web","routing":"路由表：市政处置部门"}""");
        if (rng.NextDouble() < 0.04)
        {
            Add(Min(5, 40), "void", op, "operator", "Reported", "Voided", data: null);
            return ("Voided", t);
        }
        Add(Min(5, 40), "register", op, "operator", "Reported", "Registered", data: $"{{\"condition\":\"01\",{OnTime("register", rng.NextDouble() > 0.05)[1..]}");
        Add(TimeSpan.Zero, "dispatch", "system", "system", "Registered", "Dispatched", unit, OnTime("dispatch", true));
        if (rng.NextDouble() < 0.03)
        {
            Add(Min(20, 120), "return", "unit", "department", "Dispatched", "Registered", unit);
            unit = units[rng.Next(units.Count)];
            Add(Min(10, 60), "dispatch", dispatcher, "dispatcher", "Registered", "Dispatched", unit, OnTime("dispatch", rng.NextDouble() > 0.1));
        }
        Add(Min(10, 180), "assign", "unit", "department", "Dispatched", "Handling");
        var overdue = rng.NextDouble() < 0.05;
        if (rng.NextDouble() < 0.03) Add(Min(30, 240), "approve", "lead", "shiftlead", "Handling", "Handling", data: """{"request":"Extension","value":4}""");
        if (overdue) Add(Min(60, 600), "overdue", "system", "system", "Handling", "Handling", unit, """{"step":"handle","dueAt":"x","clock":3}""");
        Add(Min(60, 2880), "submit", handler, "handler", "Handling", "Handled", data: """{"notes":"已处理"}""");
        Add(Min(5, 60), "confirm", "unit", "department", "Handled", "Feedback", data: OnTime("handle", !overdue));
        if (rng.NextDouble() < 0.04)
        {
            Add(Min(30, 240), "rework", op, "operator", "Feedback", "Dispatched");
            Add(Min(60, 1440), "submit", handler, "handler", "Handling", "Handled", data: """{"notes":"返工完成"}""");
            Add(Min(5, 60), "confirm", "unit", "department", "Handled", "Feedback", data: OnTime("handle", rng.NextDouble() > 0.2));
        }
        Add(Min(30, 240), "close", op, "operator", "Feedback", "Closed");
        var closed = t;
        var reached = rng.NextDouble() < 0.95;
        var satisfaction = rng.NextDouble() switch { < 0.85 => "Satisfied", < 0.95 => "BasicallySatisfied", _ => "Dissatisfied" };
        Add(Min(60, 4320), "callback", op, "operator", "Closed", "Closed",
            data: reached ? $"{{\"reached\":true,\"satisfaction\":\"{satisfaction}\",\"effective\":{(rng.NextDouble() < 0.985 ? "true" : "false")}}}" : """{"reached":false,"satisfaction":null,"effective":null}""");
        return ("Closed", closed);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<List<T>> ListAsync<T>(NpgsqlConnection c, string sql, Func<NpgsqlDataReader, T> read)
    {
        var list = new List<T>();
        await using var cmd = new NpgsqlCommand(sql, c);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add(read(r));
        return list;
    }
}
