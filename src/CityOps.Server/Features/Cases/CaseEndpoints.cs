using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Cases;

/// <summary>Reading cases: queues with filters and paging, one case with its reporters and history.</summary>
public static class CaseEndpoints
{
    public sealed record Paged<T>(IReadOnlyList<T> Items, int Total, int Page, int PageSize);

    public static void MapCases(this WebApplication app)
    {
        var g = app.MapGroup("/api/cases").WithTags("Cases").RequireAuthorization(Policies.Staff);
        g.MapGet("/", ListAsync);
        g.MapGet("/{id:long}", GetAsync);
        g.MapGet("/{id:long}/history", HistoryAsync);
    }

    private static async Task<Results<Ok<Paged<CaseViews.CaseSummary>>, ValidationProblem>> ListAsync(
        HttpContext http, CityOpsDb db, ReferenceDataCache cache, string? state, int? unit, string? area, string? category,
        string? channel, DateTimeOffset? from, DateTimeOffset? to, bool? overdue, bool? supervised, Workflow.Clocks clocks, TimeProvider clock,
        int page = 1, int pageSize = 50, string sort = "new", CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string[]>();
        // Any case, as for state=: "Due" is "due".
        sort = sort.Trim().ToLowerInvariant();
        if (!Pages.CaseQueues.Sorts.Contains(sort)) errors["sort"] = [Messages.Format("SortUnknown", string.Join(", ", Pages.CaseQueues.Sorts))];
        // PostgreSQL stores instants in UTC and Npgsql refuses an offset: ?from=2026-11-26T00:00:00+08:00 is the same instant in UTC.
        (from, to) = (from?.ToUniversalTime(), to?.ToUniversalTime());
        if (from > to) errors["to"] = [Messages.Get("PeriodReversed")];
        if (page is < 1 or > 100_000) errors["page"] = [Messages.Get("PageInvalid")];
        if (pageSize is < 1 or > 500) errors["pageSize"] = [Messages.Format("PageSizeInvalid", 500)];
        // One state by name (any case): the framework's enum binding would also take numbers and
        // "A,B" and OR them into a third state.
        CaseState? stateValue = null;
        if (state is not null)
        {
            if (Enum.TryParse<CaseState>(state, ignoreCase: true, out var parsed) && Enum.GetName(parsed) is { } name && name.Equals(state.Trim(), StringComparison.OrdinalIgnoreCase))
                stateValue = parsed;
            else errors["state"] = [Messages.Format("StateUnknown", string.Join(", ", Enum.GetNames<CaseState>()))];
        }
        var r = await cache.GetAsync(ct);
        if (unit is not null && !r.Units.ContainsKey(unit.Value)) errors["unit"] = [Messages.Get("UnknownUnit")];
        int? categoryId = null, channelId = null, areaId = null, cellId = null;
        var wholeCity = false;
        if (category is not null) { if (r.CategoriesByCode.TryGetValue(category, out var c)) categoryId = c.Id; else errors["category"] = [Messages.Format("ServiceCodeUnknown", category)]; }
        if (channel is not null) { if (r.ChannelsByCode.TryGetValue(channel, out var c)) channelId = c.Id; else errors["channel"] = [Messages.Get("ChannelUnknown")]; }
        if (area is not null)
        {
            // A district, subdistrict or community; a grid cell; or the city (every case with a place).
            areaId = r.Areas.FirstOrDefault(a => a.Value.Code == area).Key;
            if (areaId == 0 && r.Routing.CellByCode(area) is { } cell) (areaId, cellId) = (null, cell.Id);
            else if (areaId == 0) errors["area"] = [Messages.Get("UnknownArea")];
            else if (r.Cities.Contains(areaId.Value)) (areaId, wholeCity) = (null, true);
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var user = CurrentUser.From(http.User);
        var q = db.Cases.AsNoTracking().VisibleTo(user);
        if (stateValue is not null) q = q.Where(c => c.State == stateValue);
        if (unit is not null) q = q.Where(c => c.AssignedUnitId == unit);
        if (areaId is not null) q = q.Where(c => c.DistrictId == areaId || c.SubdistrictId == areaId || c.CommunityId == areaId);
        if (cellId is not null) q = q.Where(c => c.CellId == cellId);
        if (wholeCity) q = q.Where(c => c.CellId != null);
        if (categoryId is not null) q = q.Where(c => c.CategoryId == categoryId);
        if (channelId is not null) q = q.Where(c => c.ChannelId == channelId);
        if (from is not null) q = q.Where(c => c.ReportedAt >= from);
        if (to is not null) q = q.Where(c => c.ReportedAt < to);
        if (overdue is not null) q = q.OverdueTo(user, overdue.Value);
        if (supervised is not null) q = q.SupervisedTo(db, user, supervised.Value);
        var total = await q.CountAsync(ct);
        var rows = await Pages.CaseQueues.Sorted(q, sort).Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        return TypedResults.Ok(new Paged<CaseViews.CaseSummary>(rows.Select(c => CaseViews.Summary(c, r, clocks, clock.GetUtcNow(), user.SeesPersonalData)).ToList(), total, page, pageSize));
    }

    private static async Task<Results<Ok<CaseViews.CaseDetail>, NotFound>> GetAsync(long id, HttpContext http, CityOpsDb db, ReferenceDataCache cache, Workflow.Clocks clocks, TimeProvider clock, CancellationToken ct)
    {
        var user = CurrentUser.From(http.User);
        if (!await CaseViews.IsVisibleAsync(db, id, user, ct)) return TypedResults.NotFound();
        var detail = await CaseViews.DetailAsync(db, await cache.GetAsync(ct), id, user, clocks, clock.GetUtcNow(), ct);
        return detail is null ? TypedResults.NotFound() : TypedResults.Ok(detail);
    }

    private static async Task<Results<Ok<IReadOnlyList<CaseViews.EventRow>>, NotFound>> HistoryAsync(long id, HttpContext http, CityOpsDb db, ReferenceDataCache cache, Workflow.Clocks clocks, TimeProvider clock, CancellationToken ct)
    {
        var user = CurrentUser.From(http.User);
        if (!await CaseViews.IsVisibleAsync(db, id, user, ct)) return TypedResults.NotFound();
        var detail = await CaseViews.DetailAsync(db, await cache.GetAsync(ct), id, user, clocks, clock.GetUtcNow(), ct);
        return detail is null ? TypedResults.NotFound() : TypedResults.Ok(detail.History);
    }
}
