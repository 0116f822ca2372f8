using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CityOps.Server.Features.Intake;

/// <summary>
/// Group commit for new cases. Reports that arrive together are written together: each writer
/// takes every new case waiting (up to <see cref="IntakeOptions.WriteBatchSize"/>) and stores them
/// — each with its report, photos and first event — in one transaction, so a busy intake pays one
/// commit for many cases instead of one each. On PostgreSQL the batch is one statement that is its
/// own transaction (<see cref="CaseBatchWrite"/>); on SQLite it goes through SaveChanges. A request
/// is answered only after the transaction holding its case has committed. When a batch fails (a
/// repeated message caught by a unique index, say) nothing of it stays: it is tried again in halves,
/// down to single cases, so only the report at fault gets the error and every other one is stored.
/// </summary>
public sealed class IntakeWriter(IServiceScopeFactory scopes, IOptions<IntakeOptions> options, DatabaseOptions database, ILogger<IntakeWriter> log)
    : IHostedService
{
    private sealed record Pending(Case Case, TaskCompletionSource Done);

    private readonly System.Threading.Channels.Channel<Pending> _queue = System.Threading.Channels.Channel.CreateUnbounded<Pending>(new System.Threading.Channels.UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private Task[] _writers = [];
    private CaseBatchWrite? _write;
    private long _batches, _batchedCases;

    /// <summary>Transactions that stored more than one new case, and the cases they stored (since start).</summary>
    public (long Batches, long Cases) Shared => (Interlocked.Read(ref _batches), Interlocked.Read(ref _batchedCases));

    /// <summary>New cases waiting for a writer (not counting the batches being written).</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>How many transactions may be writing at once: one on SQLite (one writer per file), else the option.</summary>
    public int Concurrency => IsPostgres ? Math.Max(1, options.Value.WriteConcurrency) : 1;

    private bool IsPostgres => !database.Provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase);

    /// <summary>Stores a new case (with its reports, photos and events) and returns once it is committed.</summary>
    public async Task WriteAsync(Case c, CancellationToken ct)
    {
        var pending = new Pending(c, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (options.Value.WriteBatchSize <= 1 || !_queue.Writer.TryWrite(pending))
        {
            // Batching off, or the server is stopping: write it here.
            await WriteOneAsync(c, ct);
            return;
        }
        // Once queued the case is written even if this caller goes away: an acknowledged write
        // must not depend on the client staying, and a retry under the same key finds it.
        await pending.Done.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(RunAsync, CancellationToken.None)).ToArray();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Requests still in flight when the host stops have their cases written before it exits.
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers).WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var max = Math.Max(1, options.Value.WriteBatchSize);
        var batch = new List<Pending>(max);
        var held = new List<Pending>();
        var keys = new HashSet<(int, bool, string)>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            keys.Clear();
            while (batch.Count < max && _queue.Reader.TryRead(out var p))
            {
                // Two sends of one message in one batch would fail it on the unique index: the later
                // one is held back and written after the batch, where it is found to be a repeat.
                if (MessageKeys(p.Case).All(keys.Add)) batch.Add(p);
                else held.Add(p);
            }
            if (batch.Count == 0) continue;
            try
            {
                await WriteBatchAsync(batch);
            }
            catch (Exception ex)
            {
                // Never lose a waiting request: whatever escaped is its answer.
                foreach (var p in batch) p.Done.TrySetException(ex);
            }
            // A second send of a message in this batch is written on its own once the first has
            // committed: it is almost surely a repeat, and inside the next batch it would fail that batch.
            foreach (var p in held) await WriteEachAsync(p);
            held.Clear();
        }
    }

    private async Task WriteEachAsync(Pending p)
    {
        try
        {
            await WriteOneAsync(p.Case, CancellationToken.None);
            p.Done.TrySetResult();
        }
        catch (Exception ex)
        {
            p.Done.TrySetException(ex);
        }
    }

    /// <summary>The unique message keys of a new case's report: (channel, Idempotency-Key) and (channel, external id).</summary>
    private static IEnumerable<(int, bool, string)> MessageKeys(Case c)
    {
        foreach (var r in c.Reports)
        {
            if (r.IdempotencyKey is { } key) yield return (r.ChannelId, true, key);
            if (r.ExternalId is { } id) yield return (r.ChannelId, false, id);
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        // On PostgreSQL even a batch of one goes by the batch's statement: one round trip, where SaveChanges takes two.
        if (batch.Count > 1 || IsPostgres)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
                if (IsPostgres) await InsertAsync(db, batch);
                else
                {
                    foreach (var p in batch) db.Cases.Add(p.Case);
                    await db.SaveChangesAsync(CancellationToken.None);
                }
                if (batch.Count > 1)
                {
                    Interlocked.Increment(ref _batches);
                    Interlocked.Add(ref _batchedCases, batch.Count);
                }
                foreach (var p in batch) p.Done.TrySetResult();
                return;
            }
            catch (Exception ex) when (ex is DbUpdateException or PostgresException { SqlState: ['2', '3', ..] } && !Infrastructure.ApiExceptionHandler.IsBusy(ex))
            {
                // A busy database fails the whole batch at once (each waiting request answers 503).
                // Anything else is most likely one report at fault (a repeat of a message stored by
                // an earlier batch): each half is tried again as a batch, so the others still share
                // transactions, down to the one at fault, which gets its own answer.
                log.LogDebug(ex, "A batch of {Count} new cases failed; trying again in halves", batch.Count);
                foreach (var p in batch) ForgetKeys(p.Case);
                if (batch.Count > 1)
                {
                    var half = batch.Count / 2;
                    await WriteBatchAsync(batch[..half]);
                    await WriteBatchAsync(batch[half..]);
                    return;
                }
            }
        }
        foreach (var p in batch) await WriteEachAsync(p);
    }

    /// <summary>PostgreSQL: the batch in one statement (<see cref="CaseBatchWrite"/>), its own transaction.</summary>
    private async Task InsertAsync(CityOpsDb db, List<Pending> batch)
    {
        _write ??= CaseBatchWrite.For(db.Model);
        await db.Database.OpenConnectionAsync();
        try
        {
            await _write.WriteAsync((NpgsqlConnection)db.Database.GetDbConnection(), batch.ConvertAll(p => p.Case), CancellationToken.None);
        }
        finally
        {
            // Opened here, closed here: a pooled context goes back to its pool still holding a connection it was told to open.
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task WriteOneAsync(Case c, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        db.Cases.Add(c);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            ForgetKeys(c);
            throw;
        }
    }

    /// <summary>A rolled-back insert may have left database keys on the objects; clear them so they can be added again.</summary>
    private static void ForgetKeys(Case c)
    {
        c.Id = 0;
        foreach (var r in c.Reports) { r.Id = 0; r.CaseId = 0; }
        foreach (var e in c.Events) { e.Id = 0; e.CaseId = 0; }
        foreach (var p in c.Photos) { p.Id = 0; p.CaseId = 0; p.ReportId = null; }
    }
}
