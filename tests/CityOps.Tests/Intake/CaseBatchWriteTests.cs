using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Intake;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityOps.Tests.Intake;

/// <summary>
/// On PostgreSQL a batch of new cases is written by one statement of its own (<see cref="CaseBatchWrite"/>),
/// not by SaveChanges. The rows must be the same: every mapped property of the case, its clock, reports,
/// photos and events is filled with its own value, the same graph is written both ways, and both
/// are read back through EF Core and compared column by column.
/// </summary>
public sealed class CaseBatchWriteTests
{
    [Fact]
    public async Task A_batch_written_by_its_statement_reads_back_exactly_as_one_written_by_SaveChanges()
    {
        if (Databases.PostgresConnection is null) Assert.Skip("CITYOPS_TEST_POSTGRES is not set");
        var app = await CityOpsApp.Shared(Databases.Postgres);
        var ct = TestContext.Current.CancellationToken;

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        var refs = await ReferencesAsync(db, ct);

        // Two cases in one batch (the second with two photos of one report) and the first one again through SaveChanges.
        var batched = new[] { Graph(db.Model, refs, seed: 1, photos: 1), Graph(db.Model, refs, seed: 2, photos: 2) };
        var saved = Graph(db.Model, refs, seed: 1, photos: 1);

        await db.Database.OpenConnectionAsync(ct);
        await CaseBatchWrite.For(db.Model).WriteAsync((NpgsqlConnection)db.Database.GetDbConnection(), batched, ct);
        await db.Database.CloseConnectionAsync();
        db.Cases.Add(saved);
        await db.SaveChangesAsync(ct);

        await using var readScope = app.Services.CreateAsyncScope();
        var read = readScope.ServiceProvider.GetRequiredService<CityOpsDb>();
        async Task<Case> Load(long id) => await read.Cases.AsNoTracking().AsSplitQuery()
            .Include(c => c.Reports).Include(c => c.Photos).Include(c => c.Events).SingleAsync(c => c.Id == id, ct);
        var fromBatch = await Load(batched[0].Id);
        var fromSave = await Load(saved.Id);

        // The keys the batch handed out are the ones stored, and the rows hang together.
        Assert.Equal(batched[0].Reports[0].Id, fromBatch.Reports.Single().Id);
        Assert.Equal(fromBatch.Reports.Single().Id, fromBatch.Photos.Single().ReportId);
        Assert.Equal(batched[0].Events[0].Id, fromBatch.Events.Single().Id);
        var second = await Load(batched[1].Id);
        Assert.Equal(2, second.Photos.Count);
        Assert.All(second.Photos, p => Assert.Equal(second.Reports.Single().Id, p.ReportId));

        // Column by column, the batch stored what SaveChanges stored.
        var compared = 0;
        void Same(object expected, object actual, IEntityType type) => compared += SameColumns(expected, actual, type, Unique, "the batch");
        Same(fromSave, fromBatch, db.Model.FindEntityType(typeof(Case))!);
        Same(fromSave.Reports.Single(), fromBatch.Reports.Single(), db.Model.FindEntityType(typeof(Report))!);
        Same(fromSave.Photos.Single(), fromBatch.Photos.Single(), db.Model.FindEntityType(typeof(CasePhoto))!);
        Same(fromSave.Events.Single(), fromBatch.Events.Single(), db.Model.FindEntityType(typeof(CaseEvent))!);
        Assert.True(compared > 80, $"only {compared} columns compared");

        // The statement is its own transaction: a batch one row of which a unique key refuses stores nothing.
        var fresh = Graph(db.Model, refs, seed: 3, photos: 1);
        var repeat = Graph(db.Model, refs, seed: 4, photos: 0);
        repeat.Reports[0].IdempotencyKey = batched[1].Reports[0].IdempotencyKey;
        var casesBefore = await read.Cases.CountAsync(ct);
        var (reportsBefore, eventsBefore, photosBefore) = (await read.Reports.CountAsync(ct), await read.CaseEvents.CountAsync(ct), await read.CasePhotos.CountAsync(ct));
        await db.Database.OpenConnectionAsync(ct);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => CaseBatchWrite.For(db.Model).WriteAsync((NpgsqlConnection)db.Database.GetDbConnection(), [fresh, repeat], ct));
        await db.Database.CloseConnectionAsync();
        Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);
        Assert.Equal(casesBefore, await read.Cases.CountAsync(ct));
        Assert.Equal((reportsBefore, eventsBefore, photosBefore), (await read.Reports.CountAsync(ct), await read.CaseEvents.CountAsync(ct), await read.CasePhotos.CountAsync(ct)));
        Assert.False(await read.Cases.AnyAsync(c => c.Key == fresh.Key, ct));
    }

    internal sealed record References(int Channel, (int Category, int Condition) Condition, int Unit, int Cell);

    /// <summary>Rows of the demo city a filled case can refer to.</summary>
    internal static async Task<References> ReferencesAsync(CityOpsDb db, CancellationToken ct) => new(
        (await db.Channels.OrderBy(c => c.Id).FirstAsync(ct)).Id,
        await db.RegistrationConditions.OrderBy(c => c.Id).Select(c => new { c.Id, c.CategoryId }).FirstAsync(ct) is var k ? (k.CategoryId, k.Id) : default,
        (await db.Units.OrderBy(u => u.Id).FirstAsync(ct)).Id,
        (await db.Areas.OrderBy(a => a.Id).FirstAsync(a => a.Level == AreaLevel.Cell, ct)).Id);

    /// <summary>
    /// Asserts that SaveChanges' row <paramref name="expected"/> and the one written the other way
    /// hold the same value in every mapped property (owned types' included) but keys, foreign keys
    /// and <paramref name="skip"/>; returns how many were compared.
    /// </summary>
    internal static int SameColumns(object expected, object actual, IEntityType type, IReadOnlySet<string> skip, string otherWay)
    {
        var compared = 0;
        foreach (var property in type.GetProperties().Where(p => !p.IsPrimaryKey() && !p.IsForeignKey() && !skip.Contains(p.Name)))
        {
            Assert.True(Equals(property.GetGetter().GetClrValue(expected), property.GetGetter().GetClrValue(actual)),
                $"{type.DisplayName()}.{property.Name}: SaveChanges stored {property.GetGetter().GetClrValue(expected)}, {otherWay} {property.GetGetter().GetClrValue(actual)}");
            compared++;
        }
        foreach (var owned in type.GetNavigations().Where(n => n.TargetEntityType.IsOwned() && !n.IsCollection))
            compared += SameColumns(owned.GetGetter().GetClrValue(expected)!, owned.GetGetter().GetClrValue(actual)!, owned.TargetEntityType, skip, otherWay);
        return compared;
    }

    /// <summary>Properties with a unique index, given a value of their own in each graph.</summary>
    private static readonly HashSet<string> Unique = ["Key", "Token", "IdempotencyKey", "ExternalId"];

    /// <summary>A case with every mapped property set from <paramref name="seed"/>: no column is left at its default.</summary>
    private static Case Graph(IModel model, References refs, int seed, int photos)
    {
        var random = new Random(seed);
        var c = new Case { Description = "" };
        var report = new Report { Fingerprint = "", Description = "" };
        Fill(c, model.FindEntityType(typeof(Case))!, random);
        Fill(report, model.FindEntityType(typeof(Report))!, random);
        (c.ChannelId, c.CategoryId, c.ConditionId, c.AssignedUnitId, c.CellId) = (refs.Channel, refs.Condition.Category, refs.Condition.Condition, refs.Unit, refs.Cell);
        report.ChannelId = refs.Channel;
        c.Key = Guid.NewGuid();
        report.Token = Guid.NewGuid();
        (report.IdempotencyKey, report.ExternalId) = ($"copy-{Guid.NewGuid():N}", $"copy-{Guid.NewGuid():N}");
        c.Reports.Add(report);
        for (var i = 0; i < photos; i++)
        {
            var photo = new CasePhoto { Url = "" };
            Fill(photo, model.FindEntityType(typeof(CasePhoto))!, new Random(seed * 10 + i));
            photo.Report = report;
            c.Photos.Add(photo);
        }
        var e = new CaseEvent { Action = "", ToState = default, PrevHash = "", Hash = "" };
        Fill(e, model.FindEntityType(typeof(CaseEvent))!, random);
        e.IdempotencyKey = $"copy-{Guid.NewGuid():N}";
        c.Events.Add(e);
        return c;
    }

    internal static void Fill(object target, IEntityType type, Random random)
    {
        foreach (var property in type.GetProperties().Where(p => !p.IsPrimaryKey() && !p.IsForeignKey() && p.PropertyInfo is not null))
        {
            var clr = Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
            object value = clr switch
            {
                _ when clr == typeof(string) => Text(random, property.GetMaxLength() ?? 50),
                _ when clr == typeof(int) => random.Next(1, 1000),
                _ when clr == typeof(long) => random.NextInt64(1, 1_000_000),
                _ when clr == typeof(double) => Math.Round(random.NextDouble() * 100, 6),
                _ when clr == typeof(bool) => true,
                _ when clr == typeof(Guid) => Guid.NewGuid(),
                // PostgreSQL keeps microseconds.
                _ when clr == typeof(DateTimeOffset) => new DateTimeOffset(2026, 2, 16, 9, 30, 0, TimeSpan.Zero).AddTicks(random.Next(1, 1_000_000_000) * 10L),
                _ when clr.IsEnum => Enum.GetValues(clr).GetValue(Enum.GetValues(clr).Length > 1 ? random.Next(1, Enum.GetValues(clr).Length) : 0)!,
                _ => throw new InvalidOperationException($"no test value for {type.DisplayName()}.{property.Name} ({clr.Name})"),
            };
            property.PropertyInfo!.SetValue(target, value);
        }
        foreach (var owned in type.GetNavigations().Where(n => n.TargetEntityType.IsOwned() && !n.IsCollection))
            Fill(owned.GetGetter().GetClrValue(target)!, owned.TargetEntityType, random);
    }

    private static string Text(Random random, int max)
    {
        var s = "值 " + random.Next() + " 'quoted' \"json\" \\ tab\t" + new string('x', random.Next(0, 40));
        return s[..Math.Min(max, s.Length)];
    }
}
