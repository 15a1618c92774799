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

        if (existing.CompletedAt is not null)
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

    public async Task CompleteAsync(int updateId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        await db.ProcessedUpdates.Where(u => u.UpdateId == updateId).ExecuteUpdateAsync(s => s.SetProperty(u => u.CompletedAt, now), ct);
    }

    /// <summary>Telegram keeps updates for 24 hours; older entries can no longer be redelivered.</summary>
    public static Task<int> PruneAsync(BotDbContext db, TimeProvider time, CancellationToken ct)
    {
        var cutoff = time.GetUtcNow().UtcDateTime.AddHours(-48);
        return db.ProcessedUpdates.Where(u => u.ClaimedAt < cutoff).ExecuteDeleteAsync(ct);
    }
}

/// <summary>The chat's conversation state: which handler gets its next non-command message.</summary>
internal static class ConversationStore
{
    public static byte[] KeyFor(BotContext context) => context.ConversationKey;

    public static async Task SetAsync(BotContext context, string state, TimeSpan lifetime, CancellationToken ct)
    {
        var key = KeyFor(context);
        var expires = context.Time.GetUtcNow().UtcDateTime.Add(lifetime);
        var row = await context.Db.Conversations.FirstOrDefaultAsync(c => c.ChatKey == key, ct);
        if (row is null)
        {
            context.Db.Conversations.Add(new Conversation { ChatKey = key, State = state, ExpiresAt = expires });
        }
        else
        {
            row.State = state;
            row.ExpiresAt = expires;
        }

        await context.Db.SaveChangesAsync(ct);
    }

    public static Task ClearAsync(BotContext context, CancellationToken ct)
    {
        var key = KeyFor(context);
        return context.Db.Conversations.Where(c => c.ChatKey == key).ExecuteDeleteAsync(ct);
    }
}
