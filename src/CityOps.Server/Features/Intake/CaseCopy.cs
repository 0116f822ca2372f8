using CityOps.Server.Features.Cases;
using CityOps.Server.Data;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace CityOps.Server.Features.Intake;

/// <summary>
/// PostgreSQL's way of writing a batch of new cases for <see cref="IntakeWriter"/>: one binary COPY
/// per table (cases, reports, photos, events) for the whole batch, instead of an INSERT statement
/// per row, with the rows' keys drawn beforehand from each table's identity sequence in one query.
/// The tables and columns are read from the EF Core model, value converters included, so the rows
/// are the ones SaveChanges would write. The caller owns the transaction.
/// </summary>
internal sealed class CaseCopy
{
    private sealed record Table(MappedTable Mapped)
    {
        public string Name => Mapped.Name;
        public MappedColumn[] Columns => Mapped.Columns;
        public string Copy { get; } = $"COPY \"{Mapped.Name}\" ({Mapped.ColumnList()}) FROM STDIN (FORMAT BINARY)";
    }

    private readonly Table _cases, _reports, _photos, _events;
    private string? _allocate;

    private CaseCopy(IModel model)
    {
        _cases = Describe(typeof(Case));
        _reports = Describe(typeof(Report));
        _photos = Describe(typeof(CasePhoto));
        _events = Describe(typeof(CaseEvent));
        Table Describe(Type type) => new(MappedTable.Describe(model, type, withGeneratedKey: true));
    }

    /// <summary>
    /// The query drawing the keys: nextval on each table's identity sequence, the keys the rows would
    /// have been given. The sequences are looked up once, so that the prepared query names them as
    /// constants rather than asking for them on every key it draws.
    /// </summary>
    private async Task<string> AllocateAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        if (_allocate is { } known) return known;
        Table[] tables = [_cases, _reports, _photos, _events];
        await using var find = new NpgsqlCommand(
            "SELECT " + string.Join(", ", tables.Select(t => $"pg_get_serial_sequence('\"{t.Name}\"', 'Id')")), connection);
        await using var reader = await find.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var parts = new string[tables.Length];
        for (var i = 0; i < tables.Length; i++)
        {
            var sequence = reader.IsDBNull(i) ? throw new InvalidOperationException($"\"{tables[i].Name}\".\"Id\" has no identity sequence") : reader.GetString(i);
            parts[i] = $"ARRAY(SELECT nextval('{sequence.Replace("'", "''", StringComparison.Ordinal)}'::regclass) FROM generate_series(1, ${i + 1}))";
        }
        return _allocate = "SELECT " + string.Join(", ", parts);
    }

    /// <summary>The copy plan for a model (build it once: the model does not change while the server runs).</summary>
    public static CaseCopy For(IModel model) => new(model);

    /// <summary>Writes the cases and everything hanging off them; sets their keys. On failure the caller clears the keys again.</summary>
    public async Task WriteAsync(NpgsqlConnection connection, IReadOnlyList<Case> cases, CancellationToken ct)
    {
        var reports = cases.SelectMany(c => c.Reports).ToList();
        var photos = cases.SelectMany(c => c.Photos).ToList();
        var events = cases.SelectMany(c => c.Events).ToList();

        long[] caseIds, reportIds, photoIds, eventIds;
        await using (var allocate = new NpgsqlCommand(await AllocateAsync(connection, ct), connection))
        {
            allocate.Parameters.Add(new NpgsqlParameter<int> { TypedValue = cases.Count });
            allocate.Parameters.Add(new NpgsqlParameter<int> { TypedValue = reports.Count });
            allocate.Parameters.Add(new NpgsqlParameter<int> { TypedValue = photos.Count });
            allocate.Parameters.Add(new NpgsqlParameter<int> { TypedValue = events.Count });
            await using var reader = await allocate.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            (caseIds, reportIds, photoIds, eventIds) = (reader.GetFieldValue<long[]>(0), reader.GetFieldValue<long[]>(1),
                reader.GetFieldValue<long[]>(2), reader.GetFieldValue<long[]>(3));
        }

        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            c.Id = caseIds[i];
            foreach (var r in c.Reports) r.CaseId = c.Id;
            foreach (var p in c.Photos) p.CaseId = c.Id;
            foreach (var e in c.Events) e.CaseId = c.Id;
        }
        for (var i = 0; i < reports.Count; i++) reports[i].Id = reportIds[i];
        for (var i = 0; i < photos.Count; i++)
        {
            photos[i].Id = photoIds[i];
            if (photos[i].Report is { } report) photos[i].ReportId = report.Id;
        }
        for (var i = 0; i < events.Count; i++) events[i].Id = eventIds[i];

        await CopyAsync(connection, _cases, cases, ct);
        await CopyAsync(connection, _reports, reports, ct);
        if (photos.Count > 0) await CopyAsync(connection, _photos, photos, ct);
        await CopyAsync(connection, _events, events, ct);
    }

    private static async Task CopyAsync(NpgsqlConnection connection, Table table, IEnumerable<object> rows, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(table.Copy, ct);
        importer.Timeout = TimeSpan.FromSeconds(connection.CommandTimeout);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(ct);
            foreach (var column in table.Columns)
            {
                if (column.Read(row) is { } value) await importer.WriteAsync(value, column.DataType, ct);
                else await importer.WriteNullAsync(ct);
            }
        }
        await importer.CompleteAsync(ct);
    }
}
