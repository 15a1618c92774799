using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using Telegram.Bot;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Delivery;

/// <summary>
/// Writes one-off messages to the outbox: callers pass their DbContext so that the rows commit with the decision that causes
/// them. Delivery knows messages, not editions: the edition's rows are written by <see cref="Digests.EditionOutbox"/>.
/// </summary>
internal sealed class Outbox(ErasableKeys keys, TimeProvider time)
{
    public const string OneOffPurpose = "outbox message";

    /// <summary>
    /// A one-off message (a nudge to a tipster, a staff message): chat id and text sealed in the row under the day's erasable key,
    /// and the row deleted as soon as it is sent or given up, so that no lasting row says who was written to, or when.
    /// </summary>
    public async Task<OutboxMessage> EnqueueMessageAsync(
        BotDbContext db, long chatId, string html, InlineKeyboardMarkup? markup = null, int? edit = null, TimeSpan? deleteAfter = null, CancellationToken ct = default) =>
        EnqueueMessage(db, await SealingKeyAsync(ct), chatId, html, markup, edit, deleteAfter);

    /// <summary>
    /// The key one-off rows are sealed under. A caller inside a transaction takes it first: on SQLite, reading or making the
    /// day's key from another connection would wait for that very transaction.
    /// </summary>
    public ValueTask<PeriodKey> SealingKeyAsync(CancellationToken ct) => keys.CurrentAsync(KeyScopes.Daily, ct);

    public OutboxMessage EnqueueMessage(
        BotDbContext db, PeriodKey key, long chatId, string html, InlineKeyboardMarkup? markup = null, int? edit = null, TimeSpan? deleteAfter = null)
    {
        var row = new OutboxMessage
        {
            SealedChatId = key.SealInt64(chatId, OneOffPurpose),
            SealedHtml = key.Seal(Encoding.UTF8.GetBytes(html), OneOffPurpose),
            ReplyMarkup = markup is null ? null : JsonSerializer.Serialize(markup, JsonBotAPI.Options),
            EditMessageId = edit,
            DeleteAfterMinutes = deleteAfter is { } after ? (int)Math.Ceiling(after.TotalMinutes) : null,
            NotBefore = time.GetUtcNow().UtcDateTime,
            State = OutboxState.Pending,
        };
        db.Outbox.Add(row);
        return row;
    }
}

/// <summary>The outbox's part of the purge: one-off rows left finished by an earlier version (they are deleted once finished now).</summary>
internal sealed class OutboxRetention : IRetentionStep
{
    public IEnumerable<ResidueTable> Tables => [new("outbox", ResidueMode.Vacuum)];

    public async Task<IReadOnlyList<Erased>> RunAsync(BotDbContext db, CancellationToken ct) =>
        [new("finished one-off messages", await db.Outbox.Where(o => o.EditionId == null && o.State != OutboxState.Pending).ExecuteDeleteAsync(ct), "outbox")];
}

/// <summary>/forget's part in delivery: edition parts and one-off messages still waiting for this reader.</summary>
internal sealed class DeliveryEraser(ErasableKeys keys) : Subscriptions.IReaderEraser
{
    public async Task EraseAsync(Telegram.BotContext context, CancellationToken ct)
    {
        if (context.Reader is { } reader)
        {
            await context.Db.Outbox.Where(o => o.ReaderId == reader.Id).ExecuteDeleteAsync(ct);
        }

        // One-off rows are few (nudges, staff messages) and keyed by nothing: each waiting one is opened to see whose it is.
        var waiting = await context.Db.Outbox.AsNoTracking().Where(o => o.EditionId == null && o.State == OutboxState.Pending)
            .Select(o => new { o.Id, o.SealedChatId }).ToListAsync(ct);
        var mine = new List<long>();
        foreach (var row in waiting.Where(r => r.SealedChatId is not null))
        {
            if (await keys.OpenInt64Async(row.SealedChatId!, Outbox.OneOffPurpose, ct) == context.ChatId)
            {
                mine.Add(row.Id);
            }
        }

        await context.Db.Outbox.Where(o => mine.Contains(o.Id)).ExecuteDeleteAsync(ct);
    }
}
