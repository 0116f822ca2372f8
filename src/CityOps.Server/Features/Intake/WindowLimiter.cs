using System.Diagnostics;
using System.Threading.RateLimiting;

namespace CityOps.Server.Features.Intake;

/// <summary>
/// A fixed window of <c>limit</c> permits that opens with the first request after the last window
/// ended, and says exactly when it ends: a refused lease carries the time left as its Retry-After.
/// (The framework's fixed-window limiter gives the whole window length whatever is left of it.)
/// Measured on the monotonic clock: how often a client may post is about real time, whatever clock
/// the deadlines run on.
/// </summary>
internal sealed class WindowLimiter(int limit, TimeSpan window) : RateLimiter
{
    private readonly Lock _lock = new();
    private readonly long _windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
    private long _start;
    private int _used;
    private bool _open;

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                var now = Stopwatch.GetTimestamp();
                if (!_open) return TimeSpan.Zero;
                var end = _start + _windowTicks;
                return now >= end ? Stopwatch.GetElapsedTime(end, now) : null;
            }
        }
    }

    public override RateLimiterStatistics GetStatistics()
    {
        lock (_lock) return new RateLimiterStatistics { CurrentAvailablePermits = Expired(Stopwatch.GetTimestamp()) ? limit : limit - _used };
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            if (Expired(now))
            {
                (_start, _used, _open) = (now, 0, true);
            }
            if (permitCount == 0) return Lease.Granted;
            if (_used + permitCount <= limit)
            {
                _used += permitCount;
                return Lease.Granted;
            }
            return new Lease(Stopwatch.GetElapsedTime(now, _start + _windowTicks));
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private bool Expired(long now) => !_open || now - _start >= _windowTicks;

    private sealed class Lease(TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(null);

        public override bool IsAcquired => retryAfter is null;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
