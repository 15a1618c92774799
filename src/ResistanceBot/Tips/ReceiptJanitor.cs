using System.Collections.Concurrent;
using ResistanceBot.Delivery;

namespace ResistanceBot.Tips;

/// <summary>
/// Deletes messages that should not stay on a tipster's phone (receipts, /check answers) after a while. The schedule is held in
/// memory only: the database never learns which chat received a receipt. A restart forgets it, so the receipt message says to
/// delete it by hand too.
/// </summary>
internal sealed class ReceiptJanitor(BotSender sender, TimeProvider time) : BackgroundService
{
    private readonly ConcurrentQueue<(DateTimeOffset Due, long ChatId, int MessageId)> _queue = new();

    public void DeleteLater(long chatId, int messageId, TimeSpan after) => _queue.Enqueue((time.GetUtcNow().Add(after), chatId, messageId));

    public int Scheduled => _queue.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var waiting = new List<(DateTimeOffset Due, long ChatId, int MessageId)>();
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
                await sender.DeleteAsync(due.ChatId, [due.MessageId], stoppingToken);
                waiting.Remove(due);
            }
        }
    }
}
