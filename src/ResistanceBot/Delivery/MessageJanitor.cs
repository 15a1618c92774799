using System.Collections.Concurrent;
using ResistanceBot.Localization;

namespace ResistanceBot.Delivery;

/// <summary>
/// Deletes messages from readers' chats and checks that they are gone: at once (a tip's draft at /send, a stray photo), or
/// after a while (a receipt, a /check answer, the news nudge). A message Telegram refuses to delete (older than 48 hours, say)
/// gets a reply asking the reader to delete it by hand, in their language, so nothing is silently left behind. The schedule is
/// held in memory only: the database never learns which chat received a receipt. A restart forgets it, which is why those
/// messages say so.
/// </summary>
internal sealed class MessageJanitor(BotSender sender, Localizer strings, TimeProvider time) : BackgroundService
{
    private readonly ConcurrentQueue<(DateTimeOffset Due, long ChatId, int MessageId, string? Language)> _queue = new();

    /// <param name="chatId">The chat.</param>
    /// <param name="messageId">The message to delete.</param>
    /// <param name="after">How long it may stay.</param>
    /// <param name="language">The reader's language, or null when the bot does not know it (the reply then speaks all three).</param>
    public void DeleteLater(long chatId, int messageId, TimeSpan after, string? language) =>
        _queue.Enqueue((time.GetUtcNow().Add(after), chatId, messageId, language));

    public int Scheduled => _queue.Count;

    /// <summary>Deletes the messages now; each one left is marked with a reply. Returns how many are left.</summary>
    public async Task<int> DeleteNowAsync(long chatId, IEnumerable<int> messageIds, string? language, CancellationToken ct)
    {
        var left = await sender.DeleteEachAsync(chatId, messageIds.Where(id => id != 0).Distinct(), ct);
        foreach (var id in left)
        {
            var text = language is null ? strings.InEvery("cleanup.undeleted") : strings.Get(language, "cleanup.undeleted");
            await sender.SendTextAsync(chatId, text, replyTo: id, ct: ct);
        }

        return left.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var waiting = new List<(DateTimeOffset Due, long ChatId, int MessageId, string? Language)>();
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken); // once after a jump of the clock, not once per 5 s missed
            while (_queue.TryDequeue(out var item))
            {
                waiting.Add(item);
            }

            var now = time.GetUtcNow();
            foreach (var due in waiting.Where(w => w.Due <= now).ToList())
            {
                await DeleteNowAsync(due.ChatId, [due.MessageId], due.Language, stoppingToken);
                waiting.Remove(due);
            }
        }
    }
}
