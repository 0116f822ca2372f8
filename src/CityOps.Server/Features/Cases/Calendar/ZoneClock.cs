namespace CityOps.Server.Features.Cases.Calendar;

/// <summary>
/// UTC ↔ local clock ticks for a zone. Since its last offset change (for Asia/Shanghai the end of
/// DST in 1991) a zone's offset is fixed, so conversions there cost one addition; earlier instants,
/// and zones that still change their clocks, ask <see cref="TimeZoneInfo"/>.
/// </summary>
internal sealed class ZoneClock
{
    private readonly TimeZoneInfo _zone;
    private readonly long _offset;
    // UTC ticks from which _offset always holds; long.MaxValue when the zone keeps changing.
    private readonly long _fixedFrom;

    public ZoneClock(TimeZoneInfo zone)
    {
        _zone = zone;
        _offset = zone.BaseUtcOffset.Ticks;
        var lastChange = zone.GetAdjustmentRules()
            .Where(r => r.DaylightDelta != TimeSpan.Zero || r.BaseUtcOffsetDelta != TimeSpan.Zero)
            .Select(r => r.DateEnd.Ticks)
            .DefaultIfEmpty(0)
            .Max();
        // Rule dates are local; two days' margin covers any offset.
        var from = lastChange + 2 * TimeSpan.TicksPerDay;
        var farFuture = new DateTime(2200, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        _fixedFrom = from < farFuture.Ticks
                     && zone.GetUtcOffset(new DateTime(from, DateTimeKind.Utc)).Ticks == _offset
                     && zone.GetUtcOffset(farFuture).Ticks == _offset
            ? from
            : long.MaxValue;
    }

    public long ToLocal(long utc) =>
        utc >= _fixedFrom ? utc + _offset : utc + _zone.GetUtcOffset(new DateTime(utc, DateTimeKind.Utc)).Ticks;

    /// <summary>A local time that a DST change skips or repeats gets the zone's standard offset.</summary>
    public long ToUtc(long local)
    {
        var utc = local - _offset;
        return utc >= _fixedFrom ? utc : local - _zone.GetUtcOffset(new DateTime(local, DateTimeKind.Unspecified)).Ticks;
    }
}
