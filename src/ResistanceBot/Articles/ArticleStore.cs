using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Storage;

namespace ResistanceBot.Articles;

/// <summary>Turns feed items and pages into candidates, once each: by canonical URL across all feeds, and by GUID within a feed.</summary>
internal sealed class ArticleStore(IOptions<ArticlesOptions> options, TimeProvider time)
{
    /// <returns>How many new candidates were added.</returns>
    public async Task<int> IngestAsync(BotDbContext db, Feed feed, ParsedFeed parsed, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var oldest = now.AddDays(-options.Value.MaxAgeDays);
        var source = PlainText.Cut(feed.Title ?? parsed.Title ?? feed.Url, ArticleLimits.Source);
        var candidates = parsed.Items
            .Where(i => i.Url is not null && (i.Published is null || i.Published >= oldest))
            .Select(i => (Item: i, UrlKey: CanonicalUrl.Key(i.Url!), GuidKey: string.IsNullOrWhiteSpace(i.Guid) ? null : CanonicalUrl.Hash(i.Guid.Trim())))
            .ToList();
        if (candidates.Count == 0)
        {
            return 0;
        }

        var urlKeys = candidates.Select(c => c.UrlKey).Distinct().ToList();
        var guidKeys = candidates.Where(c => c.GuidKey is not null).Select(c => c.GuidKey!).Distinct().ToList();
        var knownUrls = (await db.Articles.Where(a => a.UrlKey != null && urlKeys.Contains(a.UrlKey)).Select(a => a.UrlKey!).ToListAsync(ct)).ToHashSet();
        var knownGuids = (await db.Articles.Where(a => a.FeedId == feed.Id && a.GuidKey != null && guidKeys.Contains(a.GuidKey)).Select(a => a.GuidKey!).ToListAsync(ct)).ToHashSet();

        var added = 0;
        foreach (var (item, urlKey, guidKey) in candidates)
        {
            // Add returns false for a key seen before, in the database or earlier in this same feed.
            if (!knownUrls.Add(urlKey) || (guidKey is not null && !knownGuids.Add(guidKey)))
            {
                continue;
            }

            db.Articles.Add(new Article
            {
                Kind = CandidateKind.Article,
                State = CandidateState.New,
                Url = item.Url!.AbsoluteUri,
                UrlKey = urlKey,
                GuidKey = guidKey,
                Title = PlainText.Cut(item.Title.Length > 0 ? item.Title : FallbackTitle(item), ArticleLimits.Title),
                Source = source,
                PublishedAt = item.Published?.UtcDateTime,
                Language = Language(parsed.Language),
                Summary = PlainText.Cut(item.Summary, ArticleLimits.Summary),
                FeedId = feed.Id,
                FoundAt = now.UtcDateTime,
            });
            added++;
        }

        await db.SaveChangesAsync(ct);
        return added;
    }

    /// <summary>Adds an article by link; null when it is already a candidate or published (the existing one is returned).</summary>
    public async Task<(Article Article, bool IsNew)> AddPageAsync(BotDbContext db, PageMetadata page, CancellationToken ct)
    {
        var key = CanonicalUrl.Key(page.Url);
        if (await db.Articles.FirstOrDefaultAsync(a => a.UrlKey == key, ct) is { } existing)
        {
            return (existing, false);
        }

        var article = new Article
        {
            Kind = CandidateKind.Article,
            State = CandidateState.New,
            Url = page.Url.AbsoluteUri,
            UrlKey = key,
            Title = PlainText.Cut(page.Title, ArticleLimits.Title),
            Source = PlainText.Cut(page.SiteName, ArticleLimits.Source),
            PublishedAt = page.Published?.UtcDateTime,
            Language = Language(page.Language),
            Summary = PlainText.Cut(page.Description, ArticleLimits.Summary),
            FoundAt = time.GetUtcNow().UtcDateTime,
            FullText = page.FullText,
            FullTextStatus = page.FullText is null ? FullTextStatus.NotFound : FullTextStatus.Found,
        };
        db.Articles.Add(article);
        await db.SaveChangesAsync(ct);
        return (article, true);
    }

    private static string FallbackTitle(FeedItem item) =>
        item.Summary.Length > 0 ? PlainText.Cut(item.Summary, 80) : item.Url!.Host;

    /// <summary>"ru-RU" → "ru"; anything unreadable → null.</summary>
    internal static string? Language(string? code)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return null;
        }

        var primary = code.Trim().Split('-', '_')[0].ToLowerInvariant();
        return primary.Length is >= 2 and <= 3 && primary.All(char.IsAsciiLetterLower) ? primary : null;
    }
}
