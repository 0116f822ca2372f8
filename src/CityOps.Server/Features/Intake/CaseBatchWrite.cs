using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace CityOps.Server.Features.Intake;

/// <summary>
/// PostgreSQL's way of storing a batch of new cases for <see cref="IntakeWriter"/>: one statement
/// for the whole batch (cases, reports, photos, events), each table's rows passed as one array per
/// column and inserted from <c>unnest</c>. It runs on its own, so it is its own transaction: one
/// round trip stores the batch or nothing of it. The rows' keys are drawn beforehand from each
/// table's identity sequence, a block at a time, so most batches need no other query. The tables
/// and columns are read from the EF Core model, value converters included, so the rows are the
/// ones SaveChanges would write.
/// </summary>
internal sealed class CaseBatchWrite
{
    /// <summary>Keys drawn from a sequence beyond what a batch needs, for the batches after it.</summary>
    private const int KeyBlock = 64;

    private readonly MappedTable[] _tables;
    private readonly string _insert;
    private readonly string _stored;
    private readonly Queue<long>[] _keys;
    private readonly Lock _keysLock = new();
    private string? _allocate;

    private CaseBatchWrite(IModel model)
    {
        // Cases first: the statement's parameters follow this order.
        _tables = [Describe(typeof(Case)), Describe(typeof(Report)), Describe(typeof(CasePhoto)), Describe(typeof(CaseEvent))];
        _keys = [.. _tables.Select(_ => new Queue<long>())];
        var next = 1;
        string Rows(MappedTable t) =>
            $"INSERT INTO \"{t.Name}\" ({t.ColumnList()}) SELECT * FROM unnest({string.Join(", ", t.Columns.Select(c => $"${next++}::{c.DataType}[]"))})";
        var ctes = _tables[..^1].Select((t, i) => $"t{i} AS ({Rows(t)})").ToList();
        _insert = $"WITH {string.Join(", ", ctes)} {Rows(_tables[^1])}";
        _stored = $"SELECT EXISTS (SELECT 1 FROM \"{_tables[0].Name}\" WHERE \"Id\" = $1)";
        MappedTable Describe(Type type) => MappedTable.Describe(model, type, withGeneratedKey: true);
    }

    /// <summary>The write plan for a model (build it once: the model does not change while the server runs).</summary>
    public static CaseBatchWrite For(IModel model) => new(model);

    /// <summary>
    /// Stores the cases and everything hanging off them in one statement, its own transaction, and
    /// sets their keys. On failure nothing is stored, and the caller clears the keys again.
    /// </summary>
    public async Task WriteAsync(NpgsqlConnection connection, IReadOnlyList<Case> cases, CancellationToken ct)
    {
        var reports = cases.SelectMany(c => c.Reports).ToList();
        var photos = cases.SelectMany(c => c.Photos).ToList();
        var events = cases.SelectMany(c => c.Events).ToList();
        var keys = await KeysAsync(connection, [cases.Count, reports.Count, photos.Count, events.Count], ct);

        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            c.Id = keys[0][i];
            foreach (var r in c.Reports) r.CaseId = c.Id;
            foreach (var p in c.Photos) p.CaseId = c.Id;
            foreach (var e in c.Events) e.CaseId = c.Id;
        }
        for (var i = 0; i < reports.Count; i++) reports[i].Id = keys[1][i];
        for (var i = 0; i < photos.Count; i++)
        {
            photos[i].Id = keys[2][i];
            if (photos[i].Report is { } report) photos[i].ReportId = report.Id;
        }
        for (var i = 0; i < events.Count; i++) events[i].Id = keys[3][i];

        await using var command = new NpgsqlCommand(_insert, connection);
        command.CommandTimeout = connection.CommandTimeout;
        IReadOnlyList<object>[] rows = [cases, reports, photos, events];
        for (var t = 0; t < _tables.Length; t++)
            foreach (var column in _tables[t].Columns)
                command.Parameters.Add(Column(column, rows[t]));
        try
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (NpgsqlException ex) when (ex.InnerException is TimeoutException)
        {
            // The statement stored the whole batch or none of it. When the database answered the
            // cancel, the statement is over and one look tells which (it may have committed just
            // before the cancel came); otherwise it may yet commit, and nobody can tell.
            if (OutcomeUnknownException.Unknown(connection)) throw new OutcomeUnknownException(ex);
            bool stored;
            try
            {
                await using var look = new NpgsqlCommand(_stored, connection);
                look.Parameters.Add(new NpgsqlParameter<long> { TypedValue = cases[0].Id });
                stored = await look.ExecuteScalarAsync(ct) is true;
            }
            catch (NpgsqlException)
            {
                throw new OutcomeUnknownException(ex);
            }
            if (!stored) throw;
        }
    }

    /// <summary>One column of a table's rows as a typed array (nullable elements for value types).</summary>
    private static NpgsqlParameter Column(MappedColumn column, IReadOnlyList<object> rows)
    {
        var values = Array.CreateInstance(column.ArrayElementType, rows.Count);
        for (var i = 0; i < rows.Count; i++) values.SetValue(column.Read(rows[i]), i);
        var parameter = new NpgsqlParameter { Value = values };
        if (column.NpgsqlType is { } type) parameter.NpgsqlDbType = NpgsqlDbType.Array | type;
        else parameter.DataTypeName = column.DataType + "[]";
        return parameter;
    }

    /// <summary>
    /// The keys for the rows of one batch, per table, in the order they were drawn. They come from
    /// keys drawn earlier when enough are left, else from one query that draws what is missing and a
    /// block more. Keys left over when the server stops are never used: the sequences have gaps,
    /// as they do after any rolled-back insert.
    /// </summary>
    private async Task<long[][]> KeysAsync(NpgsqlConnection connection, int[] counts, CancellationToken ct)
    {
        while (true)
        {
            int[] wanted;
            lock (_keysLock)
            {
                if (counts.Select((n, t) => _keys[t].Count >= n).All(x => x)) return Take(counts);
                wanted = [.. counts.Select((n, t) => _keys[t].Count >= n ? 0 : n + KeyBlock)];
            }
            await using var allocate = new NpgsqlCommand(await AllocateAsync(connection, ct), connection);
            foreach (var n in wanted) allocate.Parameters.Add(new NpgsqlParameter<int> { TypedValue = n });
            await using var reader = await allocate.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var drawn = Enumerable.Range(0, _tables.Length).Select(reader.GetFieldValue<long[]>).ToArray();
            // Another writer may take keys meanwhile: the loop checks again.
            lock (_keysLock)
                for (var t = 0; t < _tables.Length; t++)
                    foreach (var key in drawn[t]) _keys[t].Enqueue(key);
        }
    }

    private long[][] Take(int[] counts) => [.. counts.Select((n, t) => Enumerable.Range(0, n).Select(_ => _keys[t].Dequeue()).ToArray())];

    /// <summary>
    /// The query drawing keys: nextval on each table's identity sequence, the keys the rows would
    /// have been given. The sequences are looked up once, so that the prepared query names them as
    /// constants rather than asking for them on every key it draws.
    /// </summary>
    private async Task<string> AllocateAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        if (_allocate is { } known) return known;
        await using var find = new NpgsqlCommand(
            "SELECT " + string.Join(", ", _tables.Select(t => $"pg_get_serial_sequence('\"{t.Name}\"', 'Id')")), connection);
        await using var reader = await find.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var parts = new string[_tables.Length];
        for (var i = 0; i < _tables.Length; i++)
        {
            var sequence = reader.IsDBNull(i) ? throw new InvalidOperationException($"\"{_tables[i].Name}\".\"Id\" has no identity sequence") : reader.GetString(i);
            parts[i] = $"ARRAY(SELECT nextval('{sequence.Replace("'", "''", StringComparison.Ordinal)}'::regclass) FROM generate_series(1, ${i + 1}))";
        }
        return _allocate = "SELECT " + string.Join(", ", parts);
    }
}
