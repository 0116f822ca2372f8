using CityOps.Server.Features.Geography;

namespace CityOps.Server.Features.Intake;

/// <summary>
/// The places where a report on this instance may be about to open a new case, so that reports
/// of one incident arriving at the same instant open one case between them, not one each. A report
/// holds its place (category and point) from before it looks for an open duplicate until its case
/// is committed or it has joined another; a second report of the same category within the
/// duplicate radius waits for that hold to end and then looks again, finding the new case.
/// Holding before looking closes the gap: a hold that ended before this report's was taken
/// belonged to a case already committed, which the look then sees. One process only: instances
/// do not see each other's holds.
/// </summary>
public sealed class OpeningCases
{
    private sealed record Hold(double Lat, double Lon)
    {
        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Dictionary<int, List<Hold>> _byCategory = [];
    private readonly Lock _lock = new();

    /// <summary>Reports waiting or holding now (for tests and diagnostics).</summary>
    public int Held
    {
        get { lock (_lock) return _byCategory.Values.Sum(l => l.Count); }
    }

    /// <summary>
    /// Waits until no other report holds a place of this category within <paramref name="radius"/>
    /// metres of the point, then holds it until the result is disposed.
    /// </summary>
    public async Task<IDisposable> HoldAsync(int categoryId, double lat, double lon, double radius, CancellationToken ct)
    {
        while (true)
        {
            Hold? other = null;
            lock (_lock)
            {
                if (!_byCategory.TryGetValue(categoryId, out var holds)) _byCategory[categoryId] = holds = [];
                foreach (var h in holds)
                    if (Coordinates.DistanceMeters(lon, lat, h.Lon, h.Lat) <= radius) { other = h; break; }
                if (other is null)
                {
                    var mine = new Hold(lat, lon);
                    holds.Add(mine);
                    return new Release(this, categoryId, mine);
                }
            }
            await other.Ended.Task.WaitAsync(ct);
        }
    }

    private void End(int categoryId, Hold hold)
    {
        lock (_lock)
        {
            var holds = _byCategory[categoryId];
            holds.Remove(hold);
            if (holds.Count == 0) _byCategory.Remove(categoryId);
        }
        hold.Ended.TrySetResult();
    }

    private sealed class Release(OpeningCases owner, int categoryId, Hold hold) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) owner.End(categoryId, hold);
        }
    }
}
