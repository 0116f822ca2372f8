using System.Globalization;
using System.Text;
using ClosedXML.Excel;
using CityOps.Server.Data;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using static CityOps.Server.Features.Evaluation.EvaluationViews;

namespace CityOps.Server.Features.Evaluation;

/// <summary>
/// The period's results as a workbook a bureau can send upward as it is (cover with scheme and
/// period, a sheet per ranking, red and black lists), or one table as CSV. Headers come from the
/// resources in the request's language, Chinese by default.
/// </summary>
public static class EvaluationExport
{
    private const string Xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    private sealed record Sheet(string Name, IReadOnlyList<string> Headers, IReadOnlyList<object?[]> Rows);

    private static readonly (string Table, AreaLevel? Level, string? Role)[] Tables =
    [
        ("units", null, null), ("districts", AreaLevel.District, null), ("subdistricts", AreaLevel.Subdistrict, null),
        ("communities", AreaLevel.Community, null), ("cells", AreaLevel.Cell, null),
        ("operators", null, Roles.Operator), ("dispatchers", null, Roles.Dispatcher), ("inspectors", null, Roles.Inspector),
    ];

    /// <summary>Grid cells (thousands of rows) go out as CSV; the workbook holds what is reported upward.</summary>
    private static readonly string[] InWorkbook = ["units", "districts", "subdistricts", "communities", "operators", "dispatchers", "inspectors"];

    public static async Task<Results<FileContentHttpResult, ValidationProblem, ForbidHttpResult>> ExcelAsync(HttpContext http, CityOpsDb db, EvaluationService svc, TimeProvider clock, CancellationToken ct)
    {
        if (!EvaluationEndpoints.TryPeriod(http, svc, out var p, out var problem)) return problem!;
        if (!EvaluationEndpoints.SeesAll(CurrentUser.From(http.User))) return TypedResults.Forbid();
        var scheme = await SchemeForAsync(db, p, ct);
        var board = await svc.TallyAsync(db, p, ct);
        using var book = new XLWorkbook();
        Cover(book.Worksheets.Add(Messages.Get("Sheet_cover")), p, scheme, board, clock.GetUtcNow(), svc.Zone);
        Table? units = null;
        foreach (var (name, level, role) in Tables.Where(t => InWorkbook.Contains(t.Table)))
        {
            var table = await TableAsync(db, p, scheme, board, level, role, name, ct);
            units ??= table;
            Write(book.Worksheets.Add(Messages.Get("Sheet_" + name)), ToSheet(table, role is null));
        }
        var scored = units!.Rows.Where(r => r.Score?.Final is not null).ToList();
        var (red, black) = scheme is null ? ([], []) : EvaluationEndpoints.Lists(scheme.Parse(), scored, 10);
        var lists = book.Worksheets.Add(Messages.Get("Sheet_lists"));
        Put(lists.Cell(1, 1), Messages.Get("RedList"));
        Write(lists, ToSheet(units with { Rows = red }, true), firstRow: 2);
        Put(lists.Cell(red.Count + 4, 1), Messages.Get("BlackList"));
        Write(lists, ToSheet(units with { Rows = black }, true), firstRow: red.Count + 5);
        using var stream = new MemoryStream();
        book.SaveAs(stream);
        return TypedResults.File(stream.ToArray(), Xlsx, $"evaluation-{p.First:yyyyMMdd}-{p.Last:yyyyMMdd}.xlsx");
    }

    public static async Task<Results<FileContentHttpResult, ValidationProblem, ForbidHttpResult>> CsvAsync(HttpContext http, CityOpsDb db, EvaluationService svc, string? table, CancellationToken ct)
    {
        if (!EvaluationEndpoints.TryPeriod(http, svc, out var p, out var problem)) return problem!;
        var match = Tables.FirstOrDefault(t => string.Equals(t.Table, table ?? "units", StringComparison.OrdinalIgnoreCase));
        if (match.Table is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["table"] = [Messages.Get("TableUnknown")] });
        if (!EvaluationEndpoints.SeesAll(CurrentUser.From(http.User))) return TypedResults.Forbid();
        var scheme = await SchemeForAsync(db, p, ct);
        var sheet = ToSheet(await TableAsync(db, p, scheme, await svc.TallyAsync(db, p, ct), match.Level, match.Role, match.Table, ct), match.Role is null);
        var sb = new StringBuilder();
        sb.AppendJoin(',', sheet.Headers.Select(Csv)).Append("\r\n");
        foreach (var row in sheet.Rows) sb.AppendJoin(',', row.Select(Csv)).Append("\r\n");
        // A byte-order mark so Excel opens the Chinese headers as UTF-8.
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(sb.ToString())).ToArray();
        return TypedResults.File(bytes, "text/csv; charset=utf-8", $"evaluation-{match.Table}-{p.First:yyyyMMdd}-{p.Last:yyyyMMdd}.csv");
    }

    private static async Task<Table> TableAsync(CityOpsDb db, Period p, EvaluationScheme? scheme, Scoreboard board, AreaLevel? level, string? role, string name, CancellationToken ct)
    {
        var subjects = role is not null ? await PeopleAsync(db, role, ct) : level is { } l ? await AreasAsync(db, l, ct) : await UnitsAsync(db, ct);
        var table = Build(p, role is null ? scheme : null, board, subjects, scored: role is null);
        // Areas and units with nothing in the period would only pad the sheet.
        return name == "units" ? table : table with { Rows = table.Rows.Where(r => r.Counts.Values.Any(v => v != 0)).ToList() };
    }

    private static Sheet ToSheet(Table t, bool cases)
    {
        var counters = cases ? CaseCounters : PersonCounters;
        var rates = Indicators.All.Where(i => i.ForPeople != cases).ToList();
        var headers = new List<string> { Messages.Get("Col_rank"), Messages.Get("Col_code"), Messages.Get("Col_name") };
        headers.AddRange(counters.Select(c => Messages.Get("Counter_" + Key(c))));
        headers.AddRange(rates.Select(i => Messages.Get("Indicator_" + i.Key)));
        if (cases) headers.AddRange([Messages.Get("Col_avgHours"), Messages.Get("Col_base"), Messages.Get("Col_deducted"), Messages.Get("Col_final"), Messages.Get("Col_grade")]);
        var rows = t.Rows.Select(r =>
        {
            var cells = new List<object?> { r.Rank, r.Code, r.Name };
            cells.AddRange(counters.Select(c => (object?)r.Counts[Key(c)]));
            cells.AddRange(rates.Select(i => (object?)r.Rates[i.Key]));
            if (cases) cells.AddRange([r.AverageHandlingHours, r.Score?.Base, r.Score?.Deducted, r.Score?.Final, r.Score?.Grade]);
            return cells.ToArray();
        }).ToList();
        return new Sheet("", headers, rows);
    }

    private static void Write(IXLWorksheet ws, Sheet s, int firstRow = 1)
    {
        for (var c = 0; c < s.Headers.Count; c++) Put(ws.Cell(firstRow, c + 1), s.Headers[c]);
        ws.Row(firstRow).Style.Font.Bold = true;
        for (var r = 0; r < s.Rows.Count; r++)
            for (var c = 0; c < s.Rows[r].Length; c++)
                if (s.Rows[r][c] is { } v) Put(ws.Cell(firstRow + r + 1, c + 1), v);
        if (firstRow == 1) ws.SheetView.FreezeRows(1);
    }

    private static void Cover(IXLWorksheet ws, Period p, EvaluationScheme? scheme, Scoreboard board, DateTimeOffset now, TimeZoneInfo zone)
    {
        var definition = scheme?.Parse();
        var lines = new List<(string, object?)>
        {
            (Messages.Get("Cover_title"), null),
            (Messages.Get("Cover_period"), p.Label),
            (Messages.Get("Cover_dates"), $"{p.First:yyyy-MM-dd} ~ {p.Last:yyyy-MM-dd}"),
            (Messages.Get("Cover_scheme"), scheme is null ? "—" : $"{scheme.Name} (#{scheme.Id}, {scheme.EffectiveFrom:yyyy-MM-dd})"),
            (Messages.Get("Cover_weights"), definition is null ? "—" : string.Join("; ", definition.Indicators.Select(w => $"{Messages.Get("Indicator_" + w.Indicator)} {w.Weight.ToString(CultureInfo.InvariantCulture)}"))),
            (Messages.Get("Cover_grades"), definition is null ? "—" : string.Join("; ", definition.Grades.OrderByDescending(g => g.Min).Select(g => $"{g.Grade} ≥ {g.Min.ToString(CultureInfo.InvariantCulture)}"))),
            (Messages.Get("Cover_deductions"), definition is null ? "—" : string.Join("; ", definition.Deductions.Select(d => $"{Messages.Get("Counter_" + Key(d.Counter))} × {d.Points.ToString(CultureInfo.InvariantCulture)}" + (d.Cap is { } cap ? $" (≤ {cap.ToString(CultureInfo.InvariantCulture)})" : "")))),
            (Messages.Get("Cover_cases"), board.Cases),
            (Messages.Get("Cover_events"), board.Events),
            (Messages.Get("Cover_generated"), TimeZoneInfo.ConvertTime(now, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)),
            (Messages.Get("Cover_basis"), Messages.Get("Cover_basisText")),
        };
        for (var i = 0; i < lines.Count; i++)
        {
            Put(ws.Cell(i + 1, 1), lines[i].Item1);
            if (lines[i].Item2 is { } v) Put(ws.Cell(i + 1, 2), v);
        }
        ws.Cell(1, 1).Style.Font.Bold = true;
        ws.Column(1).Width = 24;
        ws.Column(2).Width = 80;
    }

    /// <summary>Text stays text: codes are not numbers, "2025-12" is not a date, "=…" is not a formula.</summary>
    private static void Put(IXLCell cell, object v)
    {
        if (v is string s) cell.SetValue(s).SetDataType(XLDataType.Text);
        else cell.Value = v;
    }

    /// <summary>RFC 4180 quoting; a leading = + - @ is defused so a spreadsheet never runs a name as a formula.</summary>
    private static string Csv(object? v)
    {
        var s = v switch
        {
            null => "",
            double d => d.ToString(CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
        if (v is string && s.Length > 0 && s[0] is '=' or '+' or '-' or '@' or '\t' or '\r') s = "'" + s;
        return s.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
    }
}
