namespace CityOps.Server.Features.Evaluation;

/// <summary>The counts of every subject over one period: what <see cref="CaseTally"/> adds up to.</summary>
public sealed class Scoreboard : ITallySink
{
    private readonly Dictionary<Subject, long[]> _rows = [];

    public int Cases { get; set; }
    public int Events { get; set; }

    public IReadOnlyDictionary<Subject, long[]> Rows => _rows;

    public void Add(in Subject subject, long caseId, long[] counts)
    {
        if (!_rows.TryGetValue(subject, out var row)) _rows[subject] = row = new long[CaseTally.Width];
        for (var i = 0; i < row.Length; i++) row[i] += counts[i];
    }

    /// <summary>Adds another part of the same period (read in parallel) into this one.</summary>
    public void Merge(Scoreboard other)
    {
        foreach (var (subject, counts) in other._rows) Add(subject, 0, counts);
    }

    public long[] Get(Subject subject) => _rows.TryGetValue(subject, out var row) ? row : new long[CaseTally.Width];
}

/// <summary>Collects the cases behind one number: the drill-down from any count to its cases.</summary>
public sealed class DrillDown(Subject subject, Counter counter) : ITallySink
{
    public List<(long CaseId, long Amount)> Cases { get; } = [];

    public void Add(in Subject s, long caseId, long[] counts)
    {
        if (s != subject || counts[(int)counter] == 0) return;
        // A case may add to one person twice (registered again after a return): one line, summed.
        if (Cases.Count > 0 && Cases[^1].CaseId == caseId) Cases[^1] = (caseId, Cases[^1].Amount + counts[(int)counter]);
        else Cases.Add((caseId, counts[(int)counter]));
    }
}
