using Microsoft.EntityFrameworkCore;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace ResistanceBot.Subscriptions;

/// <summary>
/// The one place that says who is subscribed, where their digest goes and when: the subscription is the reader's sealed chat
/// id, the only copy of it the bot keeps. Other slices end a subscription, find subscribers' chats and compute a delivery
/// time through here, never by touching <see cref="Reader.SealedChatId"/> themselves.
/// </summary>
internal static class Subscription
{
    /// <summary>Subscribes the reader in this chat.</summary>
    public static void Start(BotContext context)
    {
        var reader = context.GetOrCreateReader();
        reader.SealedChatId = context.Sealer.SealInt64(context.ChatId, Purposes.SubscriberChat);
    }

    /// <summary>
    /// This reader is no longer subscribed (they asked, or blocked the bot): the chat id is dropped, nothing more is sent to
    /// them. The caller saves. Returns whether they were subscribed.
    /// </summary>
    public static bool End(Reader reader)
    {
        var was = reader.IsSubscribed;
        reader.SealedChatId = null;
        return was;
    }

    /// <summary>The same for many readers at once (the fan-out's 403s), in one statement.</summary>
    public static Task<int> EndAsync(BotDbContext db, IReadOnlyCollection<int> readerIds, CancellationToken ct) =>
        db.Readers.Where(r => readerIds.Contains(r.Id) && r.SealedChatId != null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.SealedChatId, (byte[]?)null), ct);

    /// <summary>Every reader's sealed chat: null for a reader no longer subscribed (what an outbox row is sent to, at send time).</summary>
    public static IQueryable<SubscriberChat> Chats(BotDbContext db) =>
        db.Readers.AsNoTracking().Select(r => new SubscriberChat { ReaderId = r.Id, SealedChatId = r.SealedChatId });

    /// <summary>The subscribed readers, for the edition's rows (who gets it, in which language, at which hour, on which topics).</summary>
    public static IQueryable<Reader> Subscribers(BotDbContext db) => db.Readers.AsNoTracking().Where(r => r.SealedChatId != null);

    /// <summary>
    /// When an edition released at <paramref name="released"/> reaches a reader who chose <paramref name="hour"/> in
    /// <paramref name="zone"/>: the first moment at or after the release when it is that hour there, or the release itself
    /// when they chose no hour.
    /// </summary>
    public static DateTimeOffset DueAt(DateTimeOffset released, int? hour, TimeZoneInfo zone) =>
        hour is { } h ? TimeZones.Next(released, TimeSpan.FromHours(h), zone, inclusive: true) : released;
}

/// <summary>A reader's chat as delivery sees it (a member-initialised class, so that queries can join on it).</summary>
internal sealed class SubscriberChat
{
    public int ReaderId { get; init; }

    /// <summary>Their chat, sealed; null when they are no longer subscribed.</summary>
    public byte[]? SealedChatId { get; init; }
}

/// <summary>my_chat_member: a reader who blocks the bot in their private chat is unsubscribed at once.</summary>
internal sealed class BlockedBotHandler : IChatMemberHandler
{
    public async Task HandleAsync(BotContext context, ChatMemberUpdated update, CancellationToken ct)
    {
        if (update is { Chat.Type: ChatType.Private, NewChatMember.Status: ChatMemberStatus.Kicked } && context.Reader is { } reader && Subscription.End(reader))
        {
            await context.Db.SaveChangesAsync(ct);
        }
    }
}
