using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Digests;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using ResistanceBot.Subscriptions;

namespace ResistanceBot.Delivery;

/// <summary>Writes the outbox: callers pass their DbContext so that the rows commit with the decision that causes them.</summary>
internal sealed class Outbox(DataSealer sealer, IOptions<DigestOptions> digest, TimeProvider time)
{
    private const int Chunk = 5_000;

    public const string OneOffPurpose = "outbox message";

    /// <returns>(rows due at once, rows due later at readers' chosen hours)</returns>
    public async Task<(int Now, int Later)> EnqueueEditionAsync(BotDbContext db, Edition edition, CancellationToken ct)
    {
        var released = new DateTimeOffset(DateTime.SpecifyKind(edition.ReleasedAt, DateTimeKind.Utc));
        var partsPerLanguage = edition.Parts.GroupBy(p => p.Language).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var fallback = partsPerLanguage.GetValueOrDefault(Localization.Localizer.Default);
        var dueCache = new Dictionary<(string?, int?), DateTime>();
        var (now, later) = (0, 0);
        var lastId = 0;
        while (true)
        {
            // Readers are read in chunks and the change tracker cleared after each: 100,000 subscribers stay cheap.
            var readers = await db.Readers.AsNoTracking().Where(r => r.SealedChatId != null && r.Id > lastId).OrderBy(r => r.Id).Take(Chunk)
                .Select(r => new { r.Id, r.Language, r.TimeZone, r.DigestHour }).ToListAsync(ct);
            if (readers.Count == 0)
            {
                break;
            }

            foreach (var reader in readers)
            {
                if (!dueCache.TryGetValue((reader.TimeZone, reader.DigestHour), out var due))
                {
                    due = DeliverySchedule.DueAt(released, reader.DigestHour, TimeZones.Find(reader.TimeZone) ?? digest.Value.Zone).UtcDateTime;
                    dueCache[(reader.TimeZone, reader.DigestHour)] = due;
                }

                var language = partsPerLanguage.ContainsKey(reader.Language) ? reader.Language : Localization.Localizer.Default;
                var parts = partsPerLanguage.GetValueOrDefault(language, fallback);
                for (var part = 0; part < parts; part++)
                {
                    db.Outbox.Add(new OutboxMessage
                    {
                        EditionId = edition.Id,
                        PartIndex = part,
                        ReaderId = reader.Id,
                        Language = language,
                        NotBefore = due,
                        State = OutboxState.Pending,
                    });
                }

                if (due <= edition.ReleasedAt)
                {
                    now++;
                }
                else
                {
                    later++;
                }
            }

            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            lastId = readers[^1].Id;
        }

        return (now, later);
    }

    /// <summary>A one-off message (a staff notice, a reply to a tipster): chat id and text sealed in the row.</summary>
    public void EnqueueMessage(BotDbContext db, long chatId, string html, DateTimeOffset? notBefore = null) =>
        db.Outbox.Add(new OutboxMessage
        {
            SealedChatId = sealer.SealInt64(chatId, OneOffPurpose),
            SealedHtml = sealer.Seal(System.Text.Encoding.UTF8.GetBytes(html), OneOffPurpose),
            NotBefore = (notBefore ?? time.GetUtcNow()).UtcDateTime,
            State = OutboxState.Pending,
        });
}
