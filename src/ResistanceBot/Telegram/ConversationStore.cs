using Microsoft.EntityFrameworkCore;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;

namespace ResistanceBot.Telegram;

/// <summary>
/// The chat's conversation state: which handler gets its next non-command message (the parts of a tip, a moderator's reply).
/// Rows are keyed by a tag of the user under the day's erasable key, so a row outlives neither its expiry (at most a day) nor,
/// once that key is erased, any chance of telling whose it was.
/// </summary>
internal static class ConversationStore
{
    public const string Purpose = "conversation";

    public static async Task<string?> StateAsync(BotContext context, CancellationToken ct)
    {
        var tags = await TagsAsync(context.Keys, context.UserId, ct);
        var now = context.Time.GetUtcNow().UtcDateTime;
        return await context.Db.Conversations.AsNoTracking()
            .Where(c => tags.Contains(c.ChatKey) && c.ExpiresAt > now)
            .Select(c => c.State)
            .FirstOrDefaultAsync(ct);
    }

    public static async Task SetAsync(BotContext context, string state, TimeSpan lifetime, CancellationToken ct)
    {
        var key = (await context.Keys.CurrentAsync(KeyScopes.Daily, ct)).Tag(Purpose, context.UserId);
        await ClearAsync(context.Db, context.Keys, context.UserId, ct);
        context.Db.Conversations.Add(new Conversation { ChatKey = key, State = state, ExpiresAt = context.Time.GetUtcNow().UtcDateTime.Add(lifetime) });
        await context.Db.SaveChangesAsync(ct);
    }

    public static Task ClearAsync(BotContext context, CancellationToken ct) => ClearAsync(context.Db, context.Keys, context.UserId, ct);

    public static async Task ClearAsync(BotDbContext db, ErasableKeys keys, long userId, CancellationToken ct)
    {
        var tags = await TagsAsync(keys, userId, ct);
        await db.Conversations.Where(c => tags.Contains(c.ChatKey)).ExecuteDeleteAsync(ct);
    }

    private static async Task<List<byte[]>> TagsAsync(ErasableKeys keys, long userId, CancellationToken ct) =>
        [.. (await keys.LiveAsync(KeyScopes.Daily, ct)).Select(k => k.Tag(Purpose, userId))];
}

/// <summary>Conversation rows past their expiry.</summary>
internal sealed class ConversationRetention(TimeProvider time) : IRetentionStep
{
    public IEnumerable<ResidueTable> Tables => [new("conversations", ResidueMode.Rewrite)];

    public async Task<IReadOnlyList<Erased>> RunAsync(BotDbContext db, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return [new("expired conversations", await db.Conversations.Where(c => c.ExpiresAt <= now).ExecuteDeleteAsync(ct), "conversations")];
    }
}
