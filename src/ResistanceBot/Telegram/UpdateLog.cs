using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Storage;

namespace ResistanceBot.Telegram;

/// <summary>
/// Which updates were handled, so that one delivered twice (a restart before the offset was confirmed, a webhook retry) is
/// handled once.
/// <para>
/// In webhook mode each update is claimed before it is handled (several instances may receive it), and a claim left incomplete
/// by a crash is taken over after a lease, since another instance may still be working on it. In polling mode only one poller
/// exists and it never takes an update twice while it runs: it asks which of a batch were handled before it starts any
/// (<see cref="HandledAmongAsync"/>), and an update is written only when it is complete.
/// </para>
/// <para>
/// Completions are committed in groups: each waits for its row to be written, but the rows of updates that finish while one
/// group is being written go together in the next, one statement for many (an update's two writes were a quarter of its CPU).
/// </para>
/// </summary>
internal sealed class UpdateLog(IServiceScopeFactory scopes, IOptions<TelegramOptions> options, TimeProvider time)
{
    private static readonly TimeSpan WebhookLease = TimeSpan.FromMinutes(2);

    /// <summary>Rows in one statement: three parameters each, well under SQLite's and PostgreSQL's limits.</summary>
    private const int GroupLimit = 500;

    private readonly Lock _lock = new();
    private List<(int UpdateId, TaskCompletionSource Written)> _waiting = [];
    private bool _writing;

    /// <summary>Whether each update is claimed before it is handled (webhook mode); in polling mode the poller checks batches.</summary>
    public bool ClaimsEachUpdate => options.Value.Mode == IntakeMode.Webhook;

    /// <summary>
    /// In webhook mode (<see cref="ClaimsEachUpdate"/>), claims the update in <paramref name="db"/> (the update's own context): one
    /// insert when it is new, as nearly all are.
    /// </summary>
    public async Task<bool> TryClaimAsync(BotDbContext db, int updateId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // Both SQLite and PostgreSQL: a row already there (taken before a restart, or by another instance) inserts nothing.
        if (await db.Database.ExecuteSqlAsync(
                $"""INSERT INTO processed_updates ("UpdateId", "ClaimedAt", "Completed") VALUES ({updateId}, {now}, {false}) ON CONFLICT DO NOTHING""", ct) == 1)
        {
            return true;
        }

        var existing = await db.ProcessedUpdates.AsNoTracking().FirstOrDefaultAsync(u => u.UpdateId == updateId, ct);
        if (existing is null || existing.Completed)
        {
            return false;
        }

        // Another instance may still be working on it: taken over only after the lease.
        if (now - existing.ClaimedAt <= WebhookLease)
        {
            return false;
        }

        // Taken over only if nobody else took it over since it was read.
        var seen = existing.ClaimedAt;
        return await db.ProcessedUpdates.Where(u => u.UpdateId == updateId && !u.Completed && u.ClaimedAt == seen)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.ClaimedAt, now), ct) == 1;
    }

    /// <summary>Of a batch of updates (in id order), those handled completely before: to be skipped. One query for the batch.</summary>
    public async Task<IReadOnlySet<int>> HandledAmongAsync(IReadOnlyList<global::Telegram.Bot.Types.Update> batch, CancellationToken ct)
    {
        if (batch.Count == 0)
        {
            return new HashSet<int>();
        }

        var (first, last) = (batch[0].Id, batch[^1].Id);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        return (await db.ProcessedUpdates.AsNoTracking().Where(u => u.Completed && u.UpdateId >= first && u.UpdateId <= last)
            .Select(u => u.UpdateId).ToListAsync(ct)).ToHashSet();
    }

    /// <summary>
    /// Marks the update handled, and keeps of its time only the hour: a tipster's messages are not dated by the log. Returns once
    /// the row is written (with others that finished meanwhile); faults when the write failed, and may then be called again.
    /// </summary>
    public Task CompleteAsync(int updateId, CancellationToken ct)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_lock)
        {
            _waiting.Add((updateId, written));
            start = !_writing;
            _writing = true;
        }

        if (start)
        {
            _ = WriteGroupsAsync();
        }

        return written.Task.WaitAsync(ct);
    }

    private async Task WriteGroupsAsync()
    {
        // Off the completing handler's thread: SQLite's "async" calls run synchronously.
        await Task.Yield();
        while (true)
        {
            List<(int UpdateId, TaskCompletionSource Written)> group;
            lock (_lock)
            {
                if (_waiting.Count == 0)
                {
                    _writing = false;
                    return;
                }

                group = _waiting;
                _waiting = [];
            }

            foreach (var chunk in group.Chunk(GroupLimit))
            {
                try
                {
                    await WriteAsync(chunk.Select(c => c.UpdateId).Distinct().ToList());
                    foreach (var (_, written) in chunk)
                    {
                        written.TrySetResult();
                    }
                }
                catch (Exception e)
                {
                    foreach (var (_, written) in chunk)
                    {
                        written.TrySetException(e);
                    }
                }
            }
        }
    }

    /// <summary>One statement for the group: a claimed row (webhook mode, or left by a crash) is completed, a missing one inserted.</summary>
    private async Task WriteAsync(List<int> updateIds)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var hour = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc);
        var sql = new System.Text.StringBuilder("""INSERT INTO processed_updates ("UpdateId", "ClaimedAt", "Completed") VALUES """);
        var parameters = new object[(updateIds.Count * 3)];
        for (var i = 0; i < updateIds.Count; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"({{{i * 3}}}, {{{(i * 3) + 1}}}, {{{(i * 3) + 2}}})");
            (parameters[i * 3], parameters[(i * 3) + 1], parameters[(i * 3) + 2]) = (updateIds[i], hour, true);
        }

        sql.Append(""" ON CONFLICT ("UpdateId") DO UPDATE SET "Completed" = excluded."Completed", "ClaimedAt" = excluded."ClaimedAt" """);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        await db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters);
    }
}

/// <summary>
/// Telegram keeps an update for 24 hours: the log keeps one 25 hours, to the hour, then forgets it. The table is rewritten at each
/// purge: PostgreSQL's dead row versions and index entries would otherwise keep the exact claim times.
/// </summary>
internal sealed class UpdateLogRetention(TimeProvider time) : Privacy.IRetentionStep
{
    public IEnumerable<ResidueTable> Tables => [new("processed_updates", ResidueMode.Rewrite)];

    public async Task<IReadOnlyList<Privacy.Erased>> RunAsync(BotDbContext db, CancellationToken ct)
    {
        var cutoff = time.GetUtcNow().UtcDateTime.AddHours(-25);
        return [new("update ids", await db.ProcessedUpdates.Where(u => u.ClaimedAt < cutoff).ExecuteDeleteAsync(ct), "processed_updates")];
    }
}
