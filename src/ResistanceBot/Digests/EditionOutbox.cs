using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Storage;
using ResistanceBot.Subscriptions;

namespace ResistanceBot.Digests;

/// <summary>
/// An edition becomes outbox rows here, in Digests: which part of which variant in which language reaches which reader, and
/// from when (their delivery hour, from <see cref="Subscription.DueAt"/>). Delivery then sends rows without knowing editions.
/// </summary>
internal sealed class EditionOutbox(IOptions<DigestOptions> digest)
{
    /// <summary>
    /// The subscribers by time zone, hour and choice of topics, with how many share each: one scan of the readers, which tells
    /// both which selections of items to render and which INSERT … SELECT to run (a second scan for the topics alone cost a
    /// third of a second at 1,000,000 subscribers).
    /// </summary>
    public static async Task<IReadOnlyList<ReaderGroup>> GroupsAsync(BotDbContext db, CancellationToken ct) =>
        await Subscription.Subscribers(db)
            .GroupBy(r => new { r.TimeZone, r.DigestHour, r.Topics })
            .Select(g => new ReaderGroup(g.Key.TimeZone, g.Key.DigestHour, g.Key.Topics, g.Count()))
            .ToListAsync(ct);

    /// <summary>
    /// One row per edition part and subscriber, written by the database itself (INSERT … SELECT per group of readers who share a
    /// time zone, hour and choice of topics): 100,000 subscribers cost a few statements, not 100,000 tracked entities. Each
    /// reader gets the parts of the variant <paramref name="variants"/> gives their topics (0, the whole edition, otherwise).
    /// Part of the caller's transaction.
    /// </summary>
    /// <returns>(readers due at once, readers due later at their chosen hours)</returns>
    public async Task<(int Now, int Later)> EnqueueAsync(
        BotDbContext db, Edition edition, IReadOnlyList<ReaderGroup> groups, IReadOnlyDictionary<string, int> variants, CancellationToken ct)
    {
        var released = new DateTimeOffset(DateTime.SpecifyKind(edition.ReleasedAt, DateTimeKind.Utc));
        var languages = edition.Parts.Select(p => p.Language).Distinct().ToList();
        var (now, later) = (0, 0);
        foreach (var group in groups)
        {
            var due = Subscription.DueAt(released, group.DigestHour, TimeZones.Find(group.TimeZone) ?? digest.Value.Zone).UtcDateTime;
            var variant = variants.GetValueOrDefault(group.Topics, 0);
            var parameters = new List<object> { edition.Id, due, Localization.Localizer.Default, variant, group.Topics };
            string P(int i) => "{" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}";
            // Readers in a language the edition lacks get the default language; NULL settings are matched with IS NULL. The
            // WHERE repeats Subscription.Subscribers (a subscriber is a reader with a sealed chat), which SQL cannot call.
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

}

/// <summary>Subscribers who share a time zone, a delivery hour and a choice of topics (null: the defaults).</summary>
/// <param name="TimeZone">The zone, or null for the digest's.</param>
/// <param name="DigestHour">The hour, or null for the edition's.</param>
/// <param name="Topics">The topics chosen, "" for all.</param>
/// <param name="Count">How many subscribers.</param>
internal sealed record ReaderGroup(string? TimeZone, int? DigestHour, string Topics, int Count);

/// <summary>The parts of an edition, as Delivery sends them.</summary>
internal sealed class EditionTemplates : Delivery.IBulkTemplates
{
    public async Task<IReadOnlyList<Delivery.BulkTemplate>> LoadAsync(BotDbContext db, IReadOnlyCollection<int> bulkIds, CancellationToken ct) =>
        await db.EditionParts.AsNoTracking().Where(p => bulkIds.Contains(p.EditionId))
            .Select(p => new Delivery.BulkTemplate(p.EditionId, p.Language, p.Variant, p.Index, p.Html, p.ReplyMarkup))
            .ToListAsync(ct);
}
