using CityOps.Server.Data;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityOps.Server.Features.Cases;

/// <summary>Checks every case's event chain and names the cases whose record was altered or cut.</summary>
public static class AuditEndpoints
{
    public sealed record Broken(long CaseId, int AtSeq);
    public sealed record Verification(int CasesChecked, long EventsChecked, IReadOnlyList<Broken> Broken, bool Intact);

    public static void MapAudit(this WebApplication app) =>
        app.MapGet("/api/audit/verify", VerifyAsync).WithTags("Audit")
            .RequireAuthorization(p => p.RequireRole(Roles.Admin, Roles.Leader, Roles.ShiftLead));

    public static async Task<Results<Ok<Verification>, ProblemHttpResult>> VerifyAsync(CityOpsDb db, long? caseId, CancellationToken ct)
    {
        var broken = new List<Broken>();
        int cases = 0;
        long events = 0;
        long after = 0;
        while (true)
        {
            var batch = await db.Cases.AsNoTracking().Where(c => c.Id > after && (caseId == null || c.Id == caseId)).OrderBy(c => c.Id).Take(500)
                .Select(c => new { c.Id, c.Key, c.LastEventSeq, c.LastEventHash }).ToListAsync(ct);
            if (batch.Count == 0) break;
            var ids = batch.Select(b => b.Id).ToList();
            var chains = (await db.CaseEvents.AsNoTracking().Where(e => ids.Contains(e.CaseId)).ToListAsync(ct))
                .ToLookup(e => e.CaseId);
            foreach (var c in batch)
            {
                var chain = chains[c.Id].OrderBy(e => e.Seq).ToList();
                events += chain.Count;
                if (CaseChain.FindBreak(c.Key, chain, c.LastEventSeq, c.LastEventHash) is { } at) broken.Add(new Broken(c.Id, at));
            }
            cases += batch.Count;
            after = batch[^1].Id;
        }
        // A named case that does not exist is not "intact": there is no record to vouch for.
        if (caseId is not null && cases == 0) return TypedResults.Problem(Messages.Get("CaseNotFound"), statusCode: 404);
        return TypedResults.Ok(new Verification(cases, events, broken, broken.Count == 0));
    }
}
