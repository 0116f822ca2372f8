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

    private static readonly CaseState[] OpenStates = Enum.GetValues<CaseState>().Where(s => s is not (CaseState.Closed or CaseState.Voided)).ToArray();

    /// <summary>Counts over the cases the user may see; days are local calendar days.</summary>
    public static async Task<DashboardData> LoadAsync(CityOpsDb db, ReferenceData r, CurrentUser user, DateTimeOffset now, TimeZoneInfo zone, CancellationToken ct)
    {
        var localToday = TimeZoneInfo.ConvertTime(now, zone).Date;
        DateTimeOffset Start(DateTime localDay) => new DateTimeOffset(localDay, zone.GetUtcOffset(localDay)).ToUniversalTime();
        var today = Start(localToday);
        var since = Start(localToday.AddDays(-(Days - 1)));
        var cases = db.Cases.AsNoTracking().VisibleTo(user);

        // Headline counts, each on an index: (state, reported), reported, (overdue, due).
        var open = cases.Where(c => OpenStates.Contains(c.State));
        var reportedToday = await cases.CountAsync(c => c.ReportedAt >= today, ct);
        var openCount = await open.CountAsync(ct);
        var overdue = await open.OverdueTo(user).CountAsync(ct);
        var supervised = await open.SupervisedTo(db, user).CountAsync(ct);

        // The last 30 days (a month of one city: thousands of rows, on the ReportedAt index), aggregated here, the same on both databases.
        var recent = await cases.Where(c => c.ReportedAt >= since)
            .Select(c => new { c.ChannelId, c.CategoryId, c.DistrictId, c.ReportedAt, c.HandledOnTime }).ToListAsync(ct);
        var closedTimes = await cases.Where(c => c.State == CaseState.Closed && c.ClosedAt >= since).Select(c => c.ClosedAt!.Value).ToListAsync(ct);
        var closedToday = closedTimes.Count(t => t >= today);

        var handled = recent.Count(c => c.HandledOnTime is not null);
        double? onTime = handled == 0 ? null : (double)recent.Count(c => c.HandledOnTime == true) / handled;
        var byChannel = recent.GroupBy(c => c.ChannelId)
            .Select(g => new Slice(r.Channels.TryGetValue(g.Key, out var ch) ? Messages.Pick(ch.NameZh, ch.NameEn) : "?", g.Count())).OrderByDescending(x => x.Value).ToList();
        var byCategory = recent.GroupBy(c => c.CategoryId).OrderByDescending(g => g.Count()).Take(10)
            .Select(g => new Slice(Messages.Pick(r.Categories[g.Key].NameZh, r.Categories[g.Key].NameEn), g.Count())).ToList();
        var byDistrict = recent.Where(c => c.DistrictId != null).GroupBy(c => c.DistrictId!.Value)
            .Select(g => new Slice(r.Areas.TryGetValue(g.Key, out var a) ? Messages.Pick(a.Name, a.NameEn) : "?", g.Count())).OrderByDescending(x => x.Value).ToList();

        int Day(DateTimeOffset t) => (int)(TimeZoneInfo.ConvertTime(t, zone).Date - localToday.AddDays(-(Days - 1))).TotalDays;
        var reported = new int[Days];
        var closed = new int[Days];
        foreach (var c in recent) if (Day(c.ReportedAt) is >= 0 and < Days and var d) reported[d]++;
        foreach (var t in closedTimes) if (Day(t) is >= 0 and < Days and var d) closed[d]++;
        var days = Enumerable.Range(0, Days).Select(i => localToday.AddDays(i - (Days - 1)).ToString("MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return new DashboardData(reportedToday, closedToday, openCount, overdue, supervised, onTime,
            byChannel, byCategory, byDistrict, days, reported, closed);
    }
}
