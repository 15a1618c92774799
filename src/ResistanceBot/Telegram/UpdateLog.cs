using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Storage;

namespace ResistanceBot.Telegram;

/// <summary>
/// Which updates were taken, so that one delivered twice (a restart before the offset was confirmed, a webhook retry) is
/// handled once. A claim left incomplete by a crash is taken over: in polling mode at once (only one poller exists, and it never
/// takes an update twice while it runs), in webhook mode after a lease, since another instance may still be working on it.
/// </summary>
internal sealed class UpdateLog(IOptions<TelegramOptions> options, TimeProvider time)
{
    private static readonly TimeSpan WebhookLease = TimeSpan.FromMinutes(2);

    /// <summary>Claims the update in <paramref name="db"/> (the update's own context): one insert when it is new, as nearly all are.</summary>
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

        var stale = options.Value.Mode == IntakeMode.Polling || now - existing.ClaimedAt > WebhookLease;
        if (!stale)
        {
            return false;
        }

        // Taken over only if nobody else took it over since it was read.
        var seen = existing.ClaimedAt;
        return await db.ProcessedUpdates.Where(u => u.UpdateId == updateId && !u.Completed && u.ClaimedAt == seen)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.ClaimedAt, now), ct) == 1;
    }

    /// <summary>Marks the update handled, and keeps of its time only the hour: a tipster's messages are not dated by the log.</summary>
    public async Task CompleteAsync(BotDbContext db, int updateId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var hour = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc);
        await db.ProcessedUpdates.Where(u => u.UpdateId == updateId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.Completed, true).SetProperty(u => u.ClaimedAt, hour), ct);
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
