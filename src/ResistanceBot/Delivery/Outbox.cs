using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Digests;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using ResistanceBot.Subscriptions;
using Telegram.Bot;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Delivery;

/// <summary>Writes the outbox: callers pass their DbContext so that the rows commit with the decision that causes them.</summary>
internal sealed class Outbox(ErasableKeys keys, IOptions<DigestOptions> digest, TimeProvider time)
{
    public const string OneOffPurpose = "outbox message";

    /// <summary>
    /// One row per edition part and subscriber, written by the database itself (INSERT … SELECT per group of readers who share a
    /// time zone, hour and choice of topics): 100,000 subscribers cost a few statements, not 100,000 tracked entities. Each
    /// reader gets the parts of the variant <paramref name="variants"/> gives their topics (0, the whole edition, otherwise).
    /// Part of the caller's transaction.
    /// </summary>
    /// <returns>(readers due at once, readers due later at their chosen hours)</returns>
    public async Task<(int Now, int Later)> EnqueueEditionAsync(BotDbContext db, Edition edition, IReadOnlyDictionary<string, int> variants, CancellationToken ct)
    {
        var released = new DateTimeOffset(DateTime.SpecifyKind(edition.ReleasedAt, DateTimeKind.Utc));
        var languages = edition.Parts.Select(p => p.Language).Distinct().ToList();
        var groups = await db.Readers.AsNoTracking().Where(r => r.SealedChatId != null)
            .GroupBy(r => new { r.TimeZone, r.DigestHour, r.Topics })
            .Select(g => new { g.Key.TimeZone, g.Key.DigestHour, g.Key.Topics, Count = g.Count() })
            .ToListAsync(ct);
        var (now, later) = (0, 0);
        foreach (var group in groups)
        {
            var due = DeliverySchedule.DueAt(released, group.DigestHour, TimeZones.Find(group.TimeZone) ?? digest.Value.Zone).UtcDateTime;
            var variant = variants.GetValueOrDefault(group.Topics ?? "", 0);
            var parameters = new List<object> { edition.Id, due, Localization.Localizer.Default, variant, group.Topics ?? "" };
            string P(int i) => "{" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}";
            // Readers in a language the edition lacks get the default language; NULL settings are matched with IS NULL.
            var languageList = string.Join(", ", languages.Select((_, i) => P(i + parameters.Count)));
            var sql = new StringBuilder("""
                INSERT INTO "outbox" ("EditionId", "PartIndex", "ReaderId", "Language", "Variant", "NotBefore", "State", "Attempts")
                SELECT p."EditionId", p."Index", r."Id", p."Language", p."Variant", {1}, 'Pending', 0
                FROM "readers" AS r
                JOIN "edition_parts" AS p ON p."EditionId" = {0} AND p."Variant" = {3}
                """).Append(" AND p.\"Language\" = CASE WHEN r.\"Language\" IN (").Append(languageList).Append(") THEN r.\"Language\" ELSE {2} END")
                .Append(" WHERE r.\"SealedChatId\" IS NOT NULL AND r.\"Topics\" = {4}");
            parameters.AddRange(languages);
            sql.Append(group.TimeZone is null ? " AND r.\"TimeZone\" IS NULL" : " AND r.\"TimeZone\" = " + P(parameters.Count));
            if (group.TimeZone is not null)
            {
                parameters.Add(group.TimeZone);
            }

            sql.Append(group.DigestHour is null ? " AND r.\"DigestHour\" IS NULL" : " AND r.\"DigestHour\" = " + P(parameters.Count));
            if (group.DigestHour is not null)
            {
                parameters.Add(group.DigestHour);
            }

            await db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters, ct);
            if (due <= edition.ReleasedAt)
            {
                now += group.Count;
            }
            else
            {
                later += group.Count;
            }
        }

        return (now, later);
    }

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
internal sealed class DeliveryEraser(ErasableKeys keys) : IReaderEraser
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
