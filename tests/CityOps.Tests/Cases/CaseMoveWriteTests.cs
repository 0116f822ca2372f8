using System.Security.Cryptography;
using CityOps.Server.Data;
using CityOps.Server.Features.Attachments;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Cases.Workflow;
using CityOps.Server.Features.Supervision;
using CityOps.Tests.Intake;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Cases;

/// <summary>
/// On PostgreSQL a move is stored by one statement of its own (<see cref="CaseMoveWrite"/>), not by
/// SaveChanges. The rows must be the same, and a stale or refused move must leave nothing: two
/// equal cases are changed in every mapped property and given the same added rows, one stored each
/// way, and both are read back and compared column by column.
/// </summary>
public sealed class CaseMoveWriteTests
{
    [Fact]
    public async Task A_move_stored_by_its_statement_reads_back_as_SaveChanges_stores_it_and_a_stale_one_stores_nothing()
    {
        if (Databases.PostgresConnection is null) Assert.Skip("CITYOPS_TEST_POSTGRES is not set");
        var app = await CityOpsApp.Shared(Databases.Postgres);
        var ct = TestContext.Current.CancellationToken;
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        var model = db.Model;
        var refs = await CaseBatchWriteTests.ReferencesAsync(db, ct);
        void Refer(Case c) => (c.ChannelId, c.CategoryId, c.ConditionId, c.AssignedUnitId, c.CellId) =
            (refs.Channel, refs.Condition.Category, refs.Condition.Condition, refs.Unit, refs.Cell);

        // Two cases alike, each with a first event, stored the ordinary way.
        long[] ids = new long[2];
        for (var i = 0; i < 2; i++)
        {
            var c = new Case { Description = "" };
            CaseBatchWriteTests.Fill(c, model.FindEntityType(typeof(Case))!, new Random(1));
            Refer(c);
            (c.Key, c.Version, c.LastEventSeq, c.LastEventHash) = (Guid.NewGuid(), 3, 0, "");
            CaseChain.Append(c, new CaseEvent { Action = "report", ToState = CaseState.Reported, PrevHash = "", Hash = "", At = DateTimeOffset.UtcNow });
            db.Cases.Add(c);
            await db.SaveChangesAsync(ct);
            ids[i] = c.Id;
        }
        var file = new Attachment { Sha256 = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), ContentType = "" };
        CaseBatchWriteTests.Fill(file, model.FindEntityType(typeof(Attachment))!, new Random(2));
        db.Attachments.Add(file);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();

        // The same move on each: every property changed, one event, and one row of every kind a move adds.
        async Task Move(long id, bool byStatement)
        {
            var c = byStatement ? await db.Cases.AsNoTracking().SingleAsync(x => x.Id == id, ct) : await db.Cases.SingleAsync(x => x.Id == id, ct);
            var (key, version, seq, tip) = (c.Key, c.Version, c.LastEventSeq, c.LastEventHash);
            CaseBatchWriteTests.Fill(c, model.FindEntityType(typeof(Case))!, new Random(7));
            Refer(c);
            (c.Key, c.Version, c.LastEventSeq, c.LastEventHash) = (key, version + 1, seq, tip);
            var e = new CaseEvent { Action = "", PrevHash = "", Hash = "" };
            CaseBatchWriteTests.Fill(e, model.FindEntityType(typeof(CaseEvent))!, new Random(8));
            e.IdempotencyKey = $"write-{Guid.NewGuid():N}";
            CaseChain.Append(c, e);
            db.Add(Filled(new Notification { Kind = "", Text = "", CaseId = id }, 9));
            db.Add(Filled(new OutboxMessage { Key = $"write-{Guid.NewGuid():N}", Kind = "", Payload = "", CaseId = id }, 10));
            db.Add(Filled(new SupervisionOrder { Key = $"write-{Guid.NewGuid():N}", CaseId = id }, 11));
            db.Add(new CaseAttachment { Sha256 = file.Sha256, CaseId = id });
            if (byStatement) await CaseMoveWrite.For(model).SaveAsync(db, c, version, ct);
            else await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }
        T Filled<T>(T row, int seed) where T : class
        {
            var keep = typeof(T).GetProperties().Where(p => p.Name is "Key" or "CaseId").ToDictionary(p => p, p => p.GetValue(row));
            CaseBatchWriteTests.Fill(row, model.FindEntityType(typeof(T))!, new Random(seed));
            foreach (var (p, v) in keep) p.SetValue(row, v);
            return row;
        }
        await Move(ids[0], byStatement: true);
        await Move(ids[1], byStatement: false);
        Assert.Empty(db.ChangeTracker.Entries());

        // Column by column, the statement stored what SaveChanges stored.
        // Each case's own: unique keys, the case it belongs to and the hashes, which cover the case's key.
        HashSet<string> own = ["Key", "CaseId", "IdempotencyKey", "Hash", "PrevHash", "LastEventHash"];
        var compared = 0;
        void Same(object expected, object actual, IEntityType type) => compared += CaseBatchWriteTests.SameColumns(expected, actual, type, own, "the statement");
        async Task<(Case Case, CaseEvent Event, Notification Note, OutboxMessage Out, SupervisionOrder Order, int Links)> Read(long id) => (
            await db.Cases.AsNoTracking().SingleAsync(c => c.Id == id, ct),
            await db.CaseEvents.AsNoTracking().SingleAsync(e => e.CaseId == id && e.Seq == 2, ct),
            await db.Notifications.AsNoTracking().SingleAsync(n => n.CaseId == id, ct),
            await db.Outbox.AsNoTracking().SingleAsync(m => m.CaseId == id, ct),
            await db.SupervisionOrders.AsNoTracking().SingleAsync(o => o.CaseId == id, ct),
            await db.CaseAttachments.CountAsync(l => l.CaseId == id && l.Sha256 == file.Sha256, ct));
        var (statement, saved) = (await Read(ids[0]), await Read(ids[1]));
        Same(saved.Case, statement.Case, model.FindEntityType(typeof(Case))!);
        Same(saved.Event, statement.Event, model.FindEntityType(typeof(CaseEvent))!);
        Same(saved.Note, statement.Note, model.FindEntityType(typeof(Notification))!);
        Same(saved.Out, statement.Out, model.FindEntityType(typeof(OutboxMessage))!);
        Same(saved.Order, statement.Order, model.FindEntityType(typeof(SupervisionOrder))!);
        Assert.Equal((1, 1), (statement.Links, saved.Links));
        Assert.True(compared > 80, $"only {compared} columns compared");
        Assert.Equal(4, statement.Case.Version);

        // A move checked against a version the case has left stores nothing at all; nor does one
        // with a row a unique key refuses (the event's place in the chain is taken): the update goes with it.
        var before = await db.Cases.AsNoTracking().SingleAsync(x => x.Id == ids[0], ct);
        var events = await db.CaseEvents.CountAsync(e => e.CaseId == ids[0], ct);
        async Task Refused<TException>(string kind, int checkedVersion, int lastEventSeq) where TException : Exception
        {
            var c = await db.Cases.AsNoTracking().SingleAsync(x => x.Id == ids[0], ct);
            (c.StatusNotes, c.LastEventSeq) = (kind, lastEventSeq);
            c.Version++;
            CaseChain.Append(c, new CaseEvent { Action = kind, ToState = c.State, PrevHash = "", Hash = "", At = DateTimeOffset.UtcNow });
            db.Add(new Notification { Kind = kind, Text = kind, CaseId = ids[0] });
            await Assert.ThrowsAsync<TException>(() => CaseMoveWrite.For(model).SaveAsync(db, c, checkedVersion, ct));
            db.ChangeTracker.Clear();
        }
        await Refused<DbUpdateConcurrencyException>("stale", checkedVersion: 3, lastEventSeq: before.LastEventSeq);
        await Refused<DbUpdateException>("taken", checkedVersion: 4, lastEventSeq: 1);

        var after = await db.Cases.AsNoTracking().SingleAsync(x => x.Id == ids[0], ct);
        Assert.Equal((before.State, before.Version, events, before.StatusNotes),
            (after.State, after.Version, await db.CaseEvents.CountAsync(e => e.CaseId == ids[0], ct), after.StatusNotes));
        Assert.False(await db.Notifications.AnyAsync(n => n.CaseId == ids[0] && (n.Kind == "stale" || n.Kind == "taken"), ct));
    }
}
