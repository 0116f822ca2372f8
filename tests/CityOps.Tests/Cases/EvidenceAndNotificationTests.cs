using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Cases;

/// <summary>Evidence uploads and their checks; webhook delivery from the outbox to a real HTTP receiver.</summary>
public sealed class EvidenceAndNotificationTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Evidence_is_stored_once_by_hash_and_wrong_types_or_sizes_are_refused(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var handler = await app.SignInAsync("handler");
        var photo = Loop.Photo();
        var first = await handler.UploadAsync(photo);
        var again = await handler.PostAsync("/api/attachments", Content(photo, "image/jpeg"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode); // already stored: same hash, nothing rewritten
        Assert.Equal(first, (await again.JsonAsync())["sha256"]!.GetValue<string>());
        Assert.Equal(photo, await handler.GetByteArrayAsync($"/api/attachments/{first}"));

        // The same new photo sent eight times at once (a phone retrying over a bad link): stored once, every send answered.
        var burst = Loop.Photo();
        var sends = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => handler.PostAsync("/api/attachments", Content(burst, "image/jpeg"))));
        Assert.All(sends, s => Assert.True(s.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{(int)s.StatusCode}"));
        Assert.Single(sends, s => s.StatusCode == HttpStatusCode.Created);
        var hashes = await Task.WhenAll(sends.Select(async s => (await s.JsonAsync())["sha256"]!.GetValue<string>()));
        Assert.Single(hashes.Distinct());
        Assert.Equal(burst, await handler.GetByteArrayAsync($"/api/attachments/{hashes[0]}"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await handler.PostAsync("/api/attachments", Content(photo, "application/x-msdownload"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await handler.PostAsync("/api/attachments", Content("MZ\x90\0 not a jpeg"u8.ToArray(), "image/jpeg"))).StatusCode);
        // The first bytes must show the type whole: a bare JPEG start, a start without a marker, AVIF or audio in an ISO box are refused.
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await handler.PostAsync("/api/attachments", Content([0xFF, 0xD8, 0xFF], "image/jpeg"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await handler.PostAsync("/api/attachments", Content(Padded([0xFF, 0xD8, 0xFF, 0x00]), "image/jpeg"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await handler.PostAsync("/api/attachments", Content(Padded("\0\0\0\u001cftypavif\0\0\0\0avifmif1miaf"u8.ToArray()), "image/heic"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await handler.PostAsync("/api/attachments", Content(Padded("\0\0\0\u001cftypmif1\0\0\0\0mif1avifmiaf"u8.ToArray()), "image/heic"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await handler.PostAsync("/api/attachments", Content(Padded("\0\0\0\u0018ftypM4A \0\0\0\0M4A isom"u8.ToArray()), "video/mp4"))).StatusCode);
        // A box that says it runs to the end (size 0) or past what is read, where an AVIF brand could hide, is refused too.
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await handler.PostAsync("/api/attachments", Content(Padded("\0\0\0\0ftypmif1\0\0\0\0miafavif"u8.ToArray()), "image/heic"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await handler.PostAsync("/api/attachments",
            Content(Padded([0, 0, 1, 4, .. "ftypmif1\0\0\0\0"u8.ToArray(), .. Enumerable.Repeat("miaf"u8.ToArray(), 60).SelectMany(b => b), .. "avif"u8.ToArray()]), "image/heic"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await handler.PostAsync("/api/attachments", Content(Padded("\0\0\0\u0018ftypheic\0\0\0\0mif1heic"u8.ToArray()), "image/heic"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await handler.PostAsync("/api/attachments", Content(Padded("\0\0\0\u0018ftypisom\0\0\u0002\0isomiso2"u8.ToArray()), "video/mp4"))).StatusCode);
        var huge = new byte[11 * 1024 * 1024];
        photo.CopyTo(huge, 0);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await handler.PostAsync("/api/attachments", Content(huge, "image/jpeg"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().PostAsync("/api/attachments", Content(photo, "image/jpeg"))).StatusCode);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Files_cited_by_moves_are_indexed_to_their_case_and_the_migration_indexes_older_citations(string db)
    {
        await using var app = await CityOpsApp.StartAsync(db);
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        await op.MustAsync(id, "register", new { condition = "02" });
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        var (before, after, uncited) = (await handler.UploadAsync(Loop.Photo()), await handler.UploadAsync(Loop.Photo()), await handler.UploadAsync(Loop.Photo()));
        await handler.MustAsync(id, "submit", new { notes = "已修复", attachments = new[] { before, after, before.ToUpperInvariant() } });
        await unit.MustAsync(id, "rework", new { reason = "未清理干净" }); // back to the same handler
        await handler.MustAsync(id, "submit", new { notes = "已返工", attachments = new[] { after } }); // cited again: still one link

        async Task<string[]> LinksAsync()
        {
            using var scope = app.Services.CreateScope();
            var ctx = scope.ServiceProvider.GetRequiredService<CityOps.Server.Data.CityOpsDb>();
            return [.. (await ctx.CaseAttachments.Where(l => l.CaseId == id).Select(l => l.Sha256).ToListAsync()).Order(StringComparer.Ordinal)];
        }
        string[] cited = [.. new[] { before, after }.Order(StringComparer.Ordinal)];
        Assert.Equal(cited, await LinksAsync());
        Assert.Equal(HttpStatusCode.OK, (await unit.GetAsync($"/api/attachments/{after}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await unit.GetAsync($"/api/attachments/{uncited}")).StatusCode);

        // A database from before the index: the migration finds the citations in the events' data.
        using (var scope = app.Services.CreateScope())
        {
            var migrator = scope.ServiceProvider.GetRequiredService<CityOps.Server.Data.CityOpsDb>().GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
            await migrator.MigrateAsync("RoutingRuleNulls");
            await migrator.MigrateAsync();
        }
        Assert.Equal(cited, await LinksAsync());
        Assert.Equal(HttpStatusCode.OK, (await unit.GetAsync($"/api/attachments/{before}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await unit.GetAsync($"/api/attachments/{uncited}")).StatusCode);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Temporary_files_of_uploads_a_killed_process_left_are_removed_at_start(string db)
    {
        var folder = Path.Combine(Path.GetTempPath(), "cityops-tests", "leftovers-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var stale = Path.Combine(folder, ".upload-" + Guid.NewGuid().ToString("N"));
            var fresh = Path.Combine(folder, ".upload-" + Guid.NewGuid().ToString("N"));
            var stored = Path.Combine(folder, "keep-me");
            foreach (var f in new[] { stale, fresh, stored }) await File.WriteAllBytesAsync(f, Loop.Photo());
            File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
            File.SetLastWriteTimeUtc(stored, DateTime.UtcNow.AddHours(-2));

            await using var app = await CityOpsApp.StartAsync(db, new() { ["CityOps:Attachments:Path"] = folder });
            for (var i = 0; i < 100 && File.Exists(stale); i++) await Task.Delay(100);
            Assert.False(File.Exists(stale), "an upload left two hours ago is removed");
            Assert.True(File.Exists(fresh), "an upload written a moment ago may still be going on elsewhere: kept");
            Assert.True(File.Exists(stored), "only upload temporaries are touched");
            // The folder still takes uploads.
            var handler = await app.SignInAsync("handler");
            Assert.Equal(64, (await handler.UploadAsync(Loop.Photo())).Length);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Forged_units_and_field_workers_outside_the_area_are_refused(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var dispatcher = await app.SignInAsync("dispatcher");
        var chief = await app.SignInAsync("streetchief");
        var id = await app.CreateClient().ReportAsync("C0124", Api.PointIn("350212")); // 同安区: territory, no auto-dispatch row
        Assert.Equal(HttpStatusCode.BadRequest, (await op.MoveAsync(id, "factcheck", new { userId = await chief.MyIdAsync() })).StatusCode);
        await op.MustAsync(id, "register", new { condition = "01" });
        Assert.Equal(HttpStatusCode.BadRequest, (await dispatcher.MoveAsync(id, "dispatch", new { unitId = 999_999 })).StatusCode);
        // A territorial unit works inside its territory: the Siming squad cannot take a Tong'an case, the Tong'an squad can.
        var units = (await (await dispatcher.GetAsync("/api/units")).JsonAsync()).AsArray();
        int UnitId(string code) => units.First(u => u!["code"]!.GetValue<string>() == code)!["id"]!.GetValue<int>();
        // The command centre exists but handles no cases: said so, not "unknown unit".
        var centre = await dispatcher.MoveAsync(id, "dispatch", new { unitId = UnitId("centre") });
        Assert.Equal(HttpStatusCode.BadRequest, centre.StatusCode);
        Assert.Contains("不承办", (await centre.JsonAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var outside = await dispatcher.MoveAsync(id, "dispatch", new { unitId = UnitId("d350203-squad") });
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
        Assert.Equal("unitId", (await outside.JsonAsync())["field"]!.GetValue<string>());
        await dispatcher.MustAsync(id, "dispatch", new { unitId = UnitId("d350212-squad") });
        // Sent back by the squad, the case has no routed unit to default to: the dispatcher is asked to name one.
        await (await app.SignInAsync("d350212-squad")).MustAsync(id, "return", new { reason = "非本队职责" });
        var unnamed = await dispatcher.MoveAsync(id, "dispatch");
        Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
        Assert.Equal("unitId", (await unnamed.JsonAsync())["field"]!.GetValue<string>());
        await dispatcher.MustAsync(id, "dispatch", new { unitId = UnitId("d350212-bureau") });
        // A Siming street chief neither sees nor moves a Tong'an case.
        Assert.Equal(HttpStatusCode.NotFound, (await chief.GetAsync($"/api/cases/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await chief.MoveAsync(id, "return", new { reason = "x" })).StatusCode);
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task Public_events_reach_the_webhook_with_their_idempotency_keys(string db)
    {
        var received = new ConcurrentBag<(string Key, string Kind)>();
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var receiving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var ctx = await listener.GetContextAsync().WaitAsync(stop.Token);
                received.Add((ctx.Request.Headers["Idempotency-Key"]!, ctx.Request.Headers["X-CityOps-Event"]!));
                ctx.Response.StatusCode = 204;
                ctx.Response.Close();
            }
        });
        await using var app = await CityOpsApp.StartAsync(db, new()
        {
            ["CityOps:Supervision:WebhookUrl"] = $"http://127.0.0.1:{port}/hook/",
            ["CityOps:Supervision:DeliveryInterval"] = "00:00:00.200",
        });
        var op = await app.SignInAsync("operator");
        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        await op.MustAsync(id, "register", new { condition = "01" }); // register + auto-dispatch: two public events

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (received.Count(r => r.Key.StartsWith($"case:{id}:", StringComparison.Ordinal)) < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        var keys = received.Where(r => r.Key.StartsWith($"case:{id}:", StringComparison.Ordinal)).Select(r => r.Key).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal([$"case:{id}:event:2", $"case:{id}:event:3"], keys);
        Assert.Contains(received, r => r.Kind == "case.dispatch");
        await stop.CancelAsync();
        listener.Stop();
        await Task.WhenAny(receiving, Task.Delay(1000));
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_move_cites_only_files_its_maker_may_see_and_sending_the_same_bytes_makes_them_theirs(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var unit = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var squad = await app.SignInAsync("enforcement");
        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        await op.MustAsync(id, "register", new { condition = "02" });
        await unit.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });

        // Another unit's upload, cited nowhere: the handler can neither read it nor cite it (which would let the case's readers see it).
        var bytes = Loop.Photo();
        var foreign = await squad.UploadAsync(bytes);
        Assert.Equal(HttpStatusCode.NotFound, (await handler.GetAsync($"/api/attachments/{foreign}")).StatusCode);
        var refused = await handler.MoveAsync(id, "submit", new { notes = "已修复", attachments = new[] { foreign } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("attachments", (await refused.JsonAsync())["field"]!.GetValue<string>());
        Assert.Equal("Handling", (await (await handler.GetAsync($"/api/cases/{id}")).JsonAsync())["state"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await unit.GetAsync($"/api/attachments/{foreign}")).StatusCode);

        // The handler sends the same bytes: already stored, and now theirs to read and cite.
        var again = await handler.PostAsync("/api/attachments", Content(bytes, "image/jpeg"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False((await again.JsonAsync())["new"]!.GetValue<bool>());
        Assert.Equal(bytes, await handler.GetByteArrayAsync($"/api/attachments/{foreign}"));
        await handler.MustAsync(id, "submit", new { notes = "已修复", attachments = new[] { foreign } });
        Assert.Equal(bytes, await unit.GetByteArrayAsync($"/api/attachments/{foreign}")); // cited by the unit's case
        // The centre sees every case, so it may cite any stored file.
        await unit.MustAsync(id, "confirm");
        await op.MustAsync(id, "close", new { closingConditionMet = true, attachments = new[] { await squad.UploadAsync(Loop.Photo()) } });
    }

    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_notice_to_a_unit_is_read_or_unread_for_each_of_its_people(string db)
    {
        var app = await CityOpsApp.Shared(db);
        var op = await app.SignInAsync("operator");
        var lead = await app.SignInAsync("department");
        var handler = await app.SignInAsync("handler");
        var id = await app.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        await op.MustAsync(id, "register", new { condition = "02" }); // dispatched: a notice to the municipal division

        var notice = (await (await lead.GetAsync("/api/inbox")).JsonAsync()).AsArray()
            .Single(n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "dispatch")!;
        var noticeId = notice["id"]!.GetValue<long>();
        Assert.False(notice["read"]!.GetValue<bool>());

        Assert.Equal(HttpStatusCode.NoContent, (await lead.PostAsync($"/api/inbox/{noticeId}/read", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await lead.PostAsync($"/api/inbox/{noticeId}/read", null)).StatusCode); // again: no change, no error
        async Task<System.Text.Json.Nodes.JsonNode?> ByIdAsync(HttpClient c, bool unreadOnly) =>
            (await (await c.GetAsync("/api/inbox" + (unreadOnly ? "?unread=true" : ""))).JsonAsync()).AsArray().FirstOrDefault(n => n!["id"]!.GetValue<long>() == noticeId);
        Assert.True((await ByIdAsync(lead, false))!["read"]!.GetValue<bool>());
        Assert.Null(await ByIdAsync(lead, true));
        // The handler of the same unit has not read it.
        Assert.False((await ByIdAsync(handler, false))!["read"]!.GetValue<bool>());
        Assert.NotNull(await ByIdAsync(handler, true));
        // Someone outside the unit cannot mark it.
        Assert.Equal(HttpStatusCode.NotFound, (await (await app.SignInAsync("city-water")).PostAsync($"/api/inbox/{noticeId}/read", null)).StatusCode);

        // The handler marks the whole inbox read at once: the unit's notice and the one to them by name; the lead's inbox is as it was.
        await lead.MustAsync(id, "assign", new { userId = await handler.MyIdAsync() });
        var unread = (await (await handler.GetAsync("/api/inbox?unread=true")).JsonAsync()).AsArray();
        Assert.Contains(unread, n => n!["caseId"]?.GetValue<long>() == id && n["kind"]!.GetValue<string>() == "assigned");
        var leadUnread = (await (await lead.GetAsync("/api/inbox?unread=true")).JsonAsync()).AsArray().Count;
        var all = await handler.PostAsync("/api/inbox/read", null);
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal(unread.Count, (await all.JsonAsync())["count"]!.GetValue<int>());
        Assert.Empty((await (await handler.GetAsync("/api/inbox?unread=true")).JsonAsync()).AsArray());
        Assert.True((await ByIdAsync(handler, false))!["read"]!.GetValue<bool>());
        Assert.Equal(leadUnread, (await (await lead.GetAsync("/api/inbox?unread=true")).JsonAsync()).AsArray().Count);
        Assert.Equal(0, (await (await handler.PostAsync("/api/inbox/read", null)).JsonAsync())["count"]!.GetValue<int>()); // again: nothing left
    }

    private static byte[] Padded(byte[] head) => [.. head, .. new byte[64]];

    private static ByteArrayContent Content(byte[] bytes, string type)
    {
        var c = new ByteArrayContent(bytes);
        c.Headers.ContentType = new MediaTypeHeaderValue(type);
        return c;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
