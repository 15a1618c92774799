using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Storage;

namespace ResistanceBot.Telegram;

/// <summary>
/// Which updates were taken, so that one delivered twice (a restart before the offset was confirmed, a webhook retry) is
/// handled once. A claim left incomplete by a crash is taken over: in polling mode at once (only one poller exists), in webhook
/// mode after a lease, since another instance may still be working on it.
/// </summary>
internal sealed class UpdateLog(IServiceScopeFactory scopes, IOptions<TelegramOptions> options, TimeProvider time)
{
    private static readonly TimeSpan WebhookLease = TimeSpan.FromMinutes(2);

    public async Task<bool> TryClaimAsync(int updateId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var existing = await db.ProcessedUpdates.FirstOrDefaultAsync(u => u.UpdateId == updateId, ct);
        if (existing is null)
        {
            db.ProcessedUpdates.Add(new ProcessedUpdate { UpdateId = updateId, ClaimedAt = now });
            try
            {
                await db.SaveChangesAsync(ct);
                return true;
            }
            catch (DbUpdateException)
            {
                return false; // another instance claimed it a moment ago
            }
        }

        if (existing.Completed)
        {
            return false;
        }

        var stale = options.Value.Mode == IntakeMode.Polling || now - existing.ClaimedAt > WebhookLease;
        if (!stale)
        {
            return false;
        }

        existing.ClaimedAt = now;
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
    }

    /// <summary>Marks the update handled, and keeps of its time only the hour: a tipster's messages are not dated by the log.</summary>
    public async Task CompleteAsync(int updateId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
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
