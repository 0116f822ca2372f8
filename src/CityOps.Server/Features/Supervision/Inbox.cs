using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Users;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Supervision;

/// <summary>
/// The in-app inbox as the API and the web app both read it: notices to the caller by name and to
/// the caller's unit, the latest <see cref="Window"/>; a notice to a unit is read or unread for each
/// of its people.
/// </summary>
public static class Inbox
{
    /// <summary>How many of the latest notices the inbox holds (and counts unread among).</summary>
    public const int Window = 200;

    public sealed record Notice(long Id, string Kind, string Text, long? CaseId, DateTimeOffset CreatedAt, bool Read);

    /// <summary>A notice with whether this reader has read it (set by member initialisation, so later operators translate).</summary>
    private sealed class Row
    {
        public required Notification N { get; init; }
        public bool Read { get; init; }
    }

    /// <summary>
    /// The reader's notices with whether each is read. A request to extend or suspend goes to every
    /// shift lead; once one of them (or the clock) has settled it, it no longer waits for the others,
    /// and a later request on the same case (told in a notice of its own) leaves it settled.
    /// </summary>
    private static IQueryable<Row> For(CityOpsDb db, CurrentUser u) =>
        db.Notifications.AsNoTracking().Where(n => n.UserId == u.Id || (u.UnitId != null && n.UnitId == u.UnitId))
            .Select(n => new Row
            {
                N = n,
                Read = (n.UserId != null ? n.ReadAt != null : db.NotificationReads.Any(r => r.NotificationId == n.Id && r.UserId == u.Id))
                    || (n.Kind == "request"
                        && (!db.Cases.Any(c => c.Id == n.CaseId && c.Pending != PendingRequest.None)
                            || db.Notifications.Any(m => m.UserId == n.UserId && m.CreatedAt >= n.CreatedAt && m.Id > n.Id && m.CaseId == n.CaseId && m.Kind == "request"))),
            });

    /// <summary>
    /// The latest notices, newest first; only the unread of them when asked. The inbox is always the
    /// latest <see cref="Window"/>: its unread list, its count and "mark all read" cover the same notices.
    /// </summary>
    public static async Task<List<Notice>> ListAsync(CityOpsDb db, CurrentUser u, bool unreadOnly, CancellationToken ct)
    {
        var q = For(db, u).OrderByDescending(x => x.N.Id).Take(Window);
        if (unreadOnly) q = q.Where(x => !x.Read);
        var rows = await q.OrderByDescending(x => x.N.Id)
            .Select(x => new { x.N.Id, x.N.Kind, x.N.Text, x.N.MessageKey, x.N.MessageArgs, x.N.CaseId, x.N.CreatedAt, x.Read }).ToListAsync(ct);
        // In the reader's language, whoever's move wrote it.
        return rows.ConvertAll(x => new Notice(x.Id, x.Kind, NoticeText.Read(x.MessageKey, x.MessageArgs, x.Text), x.CaseId, x.CreatedAt, x.Read));
    }

    /// <summary>How many of the latest <see cref="Window"/> notices the user has not read.</summary>
    public static Task<int> UnreadAsync(CityOpsDb db, CurrentUser u, CancellationToken ct) =>
        For(db, u).OrderByDescending(x => x.N.Id).Take(Window).CountAsync(x => !x.Read, ct);

    /// <summary>Marks one notice read for this user; false when it is not theirs (or their unit's). Marking again changes nothing.</summary>
    public static async Task<bool> MarkReadAsync(CityOpsDb db, CurrentUser u, long id, DateTimeOffset now, CancellationToken ct)
    {
        var n = await db.Notifications.AsNoTracking().Where(x => x.Id == id && (x.UserId == u.Id || (u.UnitId != null && x.UnitId == u.UnitId)))
            .Select(x => new { x.UserId, x.ReadAt }).FirstOrDefaultAsync(ct);
        if (n is null) return false;
        await MarkAsync(db, u, [(id, n.UserId is null)], now, ct);
        return true;
    }

    /// <summary>
    /// Marks every unread notice of the inbox read for this user, or of those <paramref name="shown"/>
    /// (a page marks what it showed, not what arrived since); returns how many were unread.
    /// </summary>
    public static async Task<int> MarkAllReadAsync(CityOpsDb db, CurrentUser u, DateTimeOffset now, CancellationToken ct, IReadOnlyCollection<long>? shown = null)
    {
        var q = For(db, u).OrderByDescending(x => x.N.Id).Take(Window).Where(x => !x.Read);
        if (shown is not null) q = q.Where(x => shown.Contains(x.N.Id));
        var unread = await q.Select(x => new { x.N.Id, ToUnit = x.N.UserId == null }).ToListAsync(ct);
        await MarkAsync(db, u, unread.Select(x => (x.Id, x.ToUnit)).ToList(), now, ct);
        return unread.Count;
    }

    /// <summary>A personal notice is marked on its row; a unit's notice for this reader only (and on its row, when first read).</summary>
    private static async Task MarkAsync(CityOpsDb db, CurrentUser u, IReadOnlyList<(long Id, bool ToUnit)> notices, DateTimeOffset now, CancellationToken ct)
    {
        if (notices.Count == 0) return;
        var ids = notices.Select(x => x.Id).ToList();
        await db.Notifications.Where(x => ids.Contains(x.Id) && x.ReadAt == null).ExecuteUpdateAsync(s => s.SetProperty(x => x.ReadAt, now), ct);
        var toUnit = notices.Where(x => x.ToUnit).Select(x => x.Id).ToList();
        if (toUnit.Count == 0) return;
        var missing = await MissingAsync(db, u, toUnit, ct);
        foreach (var id in missing) db.NotificationReads.Add(new NotificationRead { NotificationId = id, UserId = u.Id!, ReadAt = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same reader marked some of them at the same moment elsewhere, so the batch failed as a
            // whole: store the rest one by one, each mark that is already there standing.
            db.ChangeTracker.Clear();
            foreach (var id in await MissingAsync(db, u, missing, ct))
            {
                db.NotificationReads.Add(new NotificationRead { NotificationId = id, UserId = u.Id!, ReadAt = now });
                try
                {
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateException)
                {
                    db.ChangeTracker.Clear();
                }
            }
        }
    }

    /// <summary>Which of these unit notices this reader has not marked yet.</summary>
    private static async Task<List<long>> MissingAsync(CityOpsDb db, CurrentUser u, List<long> ids, CancellationToken ct)
    {
        var already = await db.NotificationReads.Where(r => r.UserId == u.Id && ids.Contains(r.NotificationId)).Select(r => r.NotificationId).ToListAsync(ct);
        return ids.Except(already).ToList();
    }
}

/// <summary>Within one web-app session: tells the header's inbox link that notices were marked read on a page.</summary>
public sealed class InboxSession
{
    public event Action? Changed;

    public void Raise() => Changed?.Invoke();
}
