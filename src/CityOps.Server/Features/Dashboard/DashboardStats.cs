using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Dashboard;

/// <summary>The command centre's big screen (指挥大屏): today, the last 30 days, by channel, category and district.</summary>
public sealed record DashboardData(
    int ReportedToday, int ClosedToday, int Open, int Overdue, int Supervised, double? OnTimeRate,
    IReadOnlyList<Slice> ByChannel, IReadOnlyList<Slice> ByCategory, IReadOnlyList<Slice> ByDistrict,
    IReadOnlyList<string> Days, IReadOnlyList<int> ReportedPerDay, IReadOnlyList<int> ClosedPerDay);

public sealed record Slice(string Name, int Value);

public static class DashboardStats
{
    private const int Days = 30;

    /// <summary>Counts over the cases the user may see; days are local calendar days.</summary>
    public static async Task<DashboardData> LoadAsync(CityOpsDb db, ReferenceData r, CurrentUser user, DateTimeOffset now, TimeZoneInfo zone, CancellationToken ct)
    {
        var localToday = TimeZoneInfo.ConvertTime(now, zone).Date;
        DateTimeOffset Start(DateTime localDay) => new DateTimeOffset(localDay, zone.GetUtcOffset(localDay)).ToUniversalTime();
        var today = Start(localToday);
        var since = Start(localToday.AddDays(-(Days - 1)));
        var cases = db.Cases.AsNoTracking().VisibleTo(user);
        var recent = cases.Where(c => c.ReportedAt >= since);

        var reportedToday = await cases.CountAsync(c => c.ReportedAt >= today, ct);
        var closedToday = await cases.CountAsync(c => c.State == CaseState.Closed && c.ClosedAt >= today, ct);
        var open = await cases.CountAsync(c => c.State != CaseState.Closed && c.State != CaseState.Voided, ct);
        var overdue = await cases.CountAsync(c => c.State != CaseState.Closed && c.State != CaseState.Voided && c.Clock.OverdueRaised, ct);
        var supervised = await cases.CountAsync(c => c.State != CaseState.Closed && c.State != CaseState.Voided && c.SupervisionCount > 0, ct);
        var handled = await recent.Where(c => c.HandledOnTime != null).GroupBy(c => c.HandledOnTime).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct);
        var handledAll = handled.Sum(h => h.N);
        double? onTime = handledAll == 0 ? null : (double)handled.Where(h => h.Key == true).Sum(h => h.N) / handledAll;

        var byChannel = (await recent.GroupBy(c => c.ChannelId).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct))
            .Select(x => new Slice(r.Channels.TryGetValue(x.Key, out var ch) ? Messages.Pick(ch.NameZh, ch.NameEn) : "?", x.N)).OrderByDescending(s => s.Value).ToList();
        var byCategory = (await recent.GroupBy(c => c.CategoryId).Select(g => new { g.Key, N = g.Count() }).OrderByDescending(x => x.N).Take(10).ToListAsync(ct))
            .Select(x => new Slice(Messages.Pick(r.Categories[x.Key].NameZh, r.Categories[x.Key].NameEn), x.N)).ToList();
        var byDistrict = (await recent.Where(c => c.DistrictId != null).GroupBy(c => c.DistrictId!.Value).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct))
            .Select(x => new Slice(r.Areas.TryGetValue(x.Key, out var a) ? Messages.Pick(a.Name, a.NameEn) : "?", x.N)).OrderByDescending(s => s.Value).ToList();

        // Per local day: the timestamps are few (a month of one city), so they are bucketed here, the same on both databases.
        var reportedTimes = await recent.Select(c => c.ReportedAt).ToListAsync(ct);
        var closedTimes = await cases.Where(c => c.State == CaseState.Closed && c.ClosedAt >= since).Select(c => c.ClosedAt!.Value).ToListAsync(ct);
        int Day(DateTimeOffset t) => (int)(TimeZoneInfo.ConvertTime(t, zone).Date - localToday.AddDays(-(Days - 1))).TotalDays;
        var reported = new int[Days];
        var closed = new int[Days];
        foreach (var t in reportedTimes) if (Day(t) is >= 0 and < Days and var d) reported[d]++;
        foreach (var t in closedTimes) if (Day(t) is >= 0 and < Days and var d) closed[d]++;
        var days = Enumerable.Range(0, Days).Select(i => localToday.AddDays(i - (Days - 1)).ToString("MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return new DashboardData(reportedToday, closedToday, open, overdue, supervised, onTime, byChannel, byCategory, byDistrict, days, reported, closed);
    }
}
