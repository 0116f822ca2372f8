using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using CityOps.Server.Data;
using CityOps.Server.Features.Attachments;
using CityOps.Server.Features.Supervision;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace CityOps.Server.Features.Cases.Workflow;

/// <summary>
/// PostgreSQL's way of storing a move for <see cref="CaseMoves"/>: one statement, so one round trip
/// and no explicit transaction. The case's row is updated only where its version is still the one
/// the move was checked against, and the rows the move adds (its events, inbox entries, outbox
/// messages, supervision orders, file links) are inserted from that update's result: a stale move
/// writes nothing at all, and a refused insert (a repeated key) undoes the update with it.
/// The columns are read from the EF Core model (<see cref="MappedTable"/>), so the rows are the
/// ones SaveChanges would write.
/// </summary>
internal sealed class CaseMoveWrite
{
    private static readonly Type[] Added = [typeof(CaseEvent), typeof(Notification), typeof(OutboxMessage), typeof(SupervisionOrder), typeof(CaseAttachment)];

    private readonly MappedColumn[] _set;
    private readonly string _update;
    private readonly Dictionary<Type, MappedTable> _inserts;
    private readonly ConcurrentDictionary<string, string> _statements = new(StringComparer.Ordinal);

    private CaseMoveWrite(IModel model)
    {
        var entity = model.FindEntityType(typeof(Case))!;
        string Column(string property) => entity.FindProperty(property)!.GetColumnName();
        var cases = MappedTable.Describe(model, typeof(Case), withGeneratedKey: true);
        var (id, version) = (Column(nameof(Case.Id)), Column(nameof(Case.Version)));
        _set = cases.Columns.Where(c => c.Name != id).ToArray();
        var n = _set.Length;
        var assignments = string.Join(", ", _set.Select((c, i) => $"\"{c.Name}\" = ${i + 1}"));
        _update = $"UPDATE \"{cases.Name}\" SET {assignments} WHERE \"{id}\" = ${n + 1} AND \"{version}\" = ${n + 2} RETURNING 1";
        _inserts = Added.ToDictionary(t => t, t => MappedTable.Describe(model, t, withGeneratedKey: false));
    }

    private static readonly ConditionalWeakTable<IModel, CaseMoveWrite> ByModel = new();

    /// <summary>The statement plan for a model (built once: the model does not change while the server runs).</summary>
    public static CaseMoveWrite For(IModel model) => ByModel.GetValue(model, static m => new CaseMoveWrite(m));

    /// <summary>
    /// Stores case <paramref name="c"/> as the move left it, with the new events in
    /// <see cref="Case.Events"/> and the rows the move added to <paramref name="db"/>, and forgets
    /// those rows. Throws <see cref="DbUpdateConcurrencyException"/> when the case is no longer at
    /// <paramref name="checkedVersion"/>, and <see cref="DbUpdateException"/> when a unique key
    /// refuses a row, as SaveChanges would; nothing is written then.
    /// </summary>
    public async Task SaveAsync(CityOpsDb db, Case c, int checkedVersion, CancellationToken ct)
    {
        var rows = new List<(MappedTable Table, object Row)>();
        foreach (var e in c.Events)
        {
            e.CaseId = c.Id; // what SaveChanges' fix-up would have set
            rows.Add((_inserts[typeof(CaseEvent)], e));
        }
        foreach (var entry in db.ChangeTracker.Entries())
        {
            if (entry.State != EntityState.Added || !_inserts.TryGetValue(entry.Entity.GetType(), out var table))
                throw new InvalidOperationException($"A move left a {entry.Entity.GetType().Name} {entry.State}; its statement writes only the case and the rows the move adds");
            rows.Add((table, entry.Entity));
        }
        // Grouped by table, in the order each table first appears: the order of the parameters below.
        rows = [.. rows.GroupBy(r => r.Table).SelectMany(g => g)];
        var sql = _statements.GetOrAdd(string.Join(',', rows.Select(r => r.Table.Name)), _ => Statement(rows));

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand(sql, (NpgsqlConnection)db.Database.GetDbConnection());
            if (db.Database.GetCommandTimeout() is { } timeout) command.CommandTimeout = timeout;
            foreach (var column in _set) Add(command, column, column.Read(c));
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = c.Id });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = checkedVersion });
            foreach (var (table, row) in rows)
                foreach (var column in table.Columns)
                    Add(command, column, column.Read(row));
            if (await command.ExecuteScalarAsync(ct) is not 1L)
                throw new DbUpdateConcurrencyException(Messages.Get("ConcurrentChange"));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new DbUpdateException(ex.MessageText, ex);
        }
        catch (NpgsqlException ex) when (ex.InnerException is TimeoutException && OutcomeUnknownException.Unknown((NpgsqlConnection)db.Database.GetDbConnection()))
        {
            // The statement is its own transaction and the database did not answer the cancel: it may yet commit.
            throw new OutcomeUnknownException(ex);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        db.ChangeTracker.Clear();
    }

    private static void Add(NpgsqlCommand command, MappedColumn column, object? value)
    {
        var parameter = new NpgsqlParameter { Value = value ?? DBNull.Value };
        if (column.NpgsqlType is { } type) parameter.NpgsqlDbType = type;
        else parameter.DataTypeName = column.DataType;
        command.Parameters.Add(parameter);
    }

    /// <summary>
    /// The statement for one shape of move: the update, then one insert per table of added rows,
    /// fed by the update's result. A table's rows go in in the order they were added, so their keys
    /// keep it (the outbox delivers in key order).
    /// </summary>
    private string Statement(List<(MappedTable Table, object Row)> rows)
    {
        var sql = new StringBuilder("WITH u AS (").Append(_update).Append(')');
        var next = _set.Length + 3;
        var i = 0;
        foreach (var group in rows.GroupBy(r => r.Table))
        {
            var table = group.Key;
            var names = string.Join(", ", table.Columns.Select((_, k) => "c" + k));
            sql.Append(", i").Append(i++).Append(" AS (INSERT INTO \"").Append(table.Name).Append("\" (").Append(table.ColumnList())
                .Append(") SELECT ").Append(names).Append(" FROM u, (VALUES ");
            sql.AppendJoin(", ", group.Select((_, n) => $"({n}, {string.Join(", ", table.Columns.Select(_ => "$" + next++))})"));
            sql.Append(") AS v(n, ").Append(names).Append(") ORDER BY n)");
        }
        return sql.Append(" SELECT count(*) FROM u").ToString();
    }
}
