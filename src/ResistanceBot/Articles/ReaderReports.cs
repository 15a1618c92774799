using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Storage;

namespace ResistanceBot.Articles;

/// <summary>
/// The way into the candidates for an approved tip's text for publication: a reader report, with nothing of its sender and
/// no finer date than the day. Offered again with a new text, it is updated until it is published.
/// </summary>
internal sealed class ReaderReports(TimeProvider time)
{
    public async Task OfferAsync(BotDbContext db, int tipId, string text, CancellationToken ct)
    {
        var key = CanonicalUrl.Hash("reader-report:" + tipId.ToString(CultureInfo.InvariantCulture));
        var existing = await db.Articles.FirstOrDefaultAsync(a => a.UrlKey == key, ct);
        if (existing is null)
        {
            db.Articles.Add(new Article
            {
                Kind = CandidateKind.ReaderReport,
                State = CandidateState.New,
                UrlKey = key,
                Title = "Reader report",
                Summary = PlainText.Cut(text, 3000),
                FoundAt = time.GetUtcNow().UtcDateTime.Date,
            });
        }
        else if (existing.State != CandidateState.Published)
        {
            existing.Summary = PlainText.Cut(text, 3000);
        }

        await db.SaveChangesAsync(ct);
    }
}
