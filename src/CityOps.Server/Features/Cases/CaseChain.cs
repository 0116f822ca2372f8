using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CityOps.Server.Features.Cases;

/// <summary>
/// The tamper-evident record: each event's hash covers its own facts, the case's key and the
/// previous event's hash. Pure; the database is only where the chain is kept.
/// </summary>
public static class CaseChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Appends an event to the case: sets its sequence, previous hash and hash, and moves the case's tip.</summary>
    public static CaseEvent Append(Case c, CaseEvent e)
    {
        // Both databases keep at least milliseconds; hash exactly what is stored.
        e.At = new DateTimeOffset(e.At.UtcTicks - e.At.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        e.Seq = c.LastEventSeq + 1;
        e.PrevHash = c.LastEventSeq == 0 ? Genesis : c.LastEventHash;
        e.Hash = Compute(c.Key, e);
        c.LastEventSeq = e.Seq;
        c.LastEventHash = e.Hash;
        c.Events.Add(e);
        return e;
    }

    public static string Compute(Guid caseKey, CaseEvent e)
    {
        var sb = new StringBuilder(256);
        void Field(string? v) => sb.Append(v?.Length ?? -1).Append(':').Append(v).Append('|');
        Field(e.PrevHash);
        Field(caseKey.ToString("N"));
        Field(e.Seq.ToString(CultureInfo.InvariantCulture));
        Field((e.At.UtcTicks / TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture));
        Field(e.Action);
        Field(e.ActorId);
        Field(e.ActorName);
        Field(e.ActorRole);
        Field(e.FromState?.ToString());
        Field(e.ToState.ToString());
        Field(e.UnitId?.ToString(CultureInfo.InvariantCulture));
        Field(e.TargetUserId);
        Field(e.Reason);
        Field(e.Data);
        Field(e.Public ? "1" : "0");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>Checks one case's events in order; returns the first broken sequence number, or null.</summary>
    public static int? FindBreak(Guid caseKey, IReadOnlyList<CaseEvent> eventsInOrder, int expectedLastSeq, string expectedLastHash)
    {
        var prev = Genesis;
        for (var i = 0; i < eventsInOrder.Count; i++)
        {
            var e = eventsInOrder[i];
            if (e.Seq != i + 1 || e.PrevHash != prev || Compute(caseKey, e) != e.Hash) return i + 1;
            prev = e.Hash;
        }
        if (eventsInOrder.Count != expectedLastSeq || (expectedLastSeq > 0 && prev != expectedLastHash))
            return eventsInOrder.Count + 1;
        return null;
    }
}
