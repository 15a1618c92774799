using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace ResistanceBot.Articles;

/// <summary>What a page says of itself, and its readable text (<c>FullText</c>, null when it holds none).</summary>
internal sealed record PageMetadata(Uri Url, string Title, string Description, string SiteName, string? Language, DateTimeOffset? Published, string? FullText = null);

/// <summary>Reads what /add needs from a web page: Open Graph first, then &lt;title&gt; and meta description, then the article's own text.</summary>
internal sealed class PageReader(WebFetcher fetcher, TimeProvider time)
{
    private static readonly HtmlParser Parser = new(new HtmlParserOptions { IsScripting = false });

    static PageReader() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <returns>The page's metadata, or the reason it could not be read.</returns>
    public async Task<(PageMetadata? Page, string? Error)> ReadAsync(Uri url, CancellationToken ct)
    {
        var result = await fetcher.GetAsync(url, null, null, ct);
        if (result is FetchResult.Failed failed)
        {
            return (null, failed.Reason);
        }

        if (result is not FetchResult.Fetched page)
        {
            return (null, "no content");
        }

        if (page.MediaType is { } type && !type.Contains("html", StringComparison.OrdinalIgnoreCase))
        {
            return (null, $"not a web page ({type})");
        }

        return (Parse(page.Content, page.Charset, page.FinalUrl, time.GetUtcNow()), null);
    }

    internal static PageMetadata Parse(byte[] content, string? charset, Uri url, DateTimeOffset now)
    {
        var html = Decode(content, charset);
        using var document = Parser.ParseDocument(html);
        var canonical = CanonicalUrl.Normalize(Meta(document, "og:url"), url)
            ?? CanonicalUrl.Normalize(document.QuerySelector("link[rel=canonical]")?.GetAttribute("href"), url)
            ?? CanonicalUrl.Normalize(url.AbsoluteUri)!;
        var title = First(Meta(document, "og:title"), Meta(document, "twitter:title"), document.Title, document.QuerySelector("h1")?.TextContent) ?? canonical.Host;
        var description = First(Meta(document, "og:description"), Meta(document, "description"), Meta(document, "twitter:description"), BodyText(document)) ?? "";
        var site = First(Meta(document, "og:site_name"), Meta(document, "application-name")) ?? canonical.Host;
        var published = FeedDates.Parse(Meta(document, "article:published_time") ?? document.QuerySelector("time[datetime]")?.GetAttribute("datetime"), now);
        return new PageMetadata(canonical, title, description, site, document.DocumentElement.GetAttribute("lang"), published, FullText.Extract(html, url));
    }

    /// <summary>The page's bytes as text, in the charset its server named (UTF-8, the web's default, otherwise).</summary>
    internal static string Decode(byte[] content, string? charset)
    {
        var encoding = Encoding.UTF8;
        if (charset is not null)
        {
            try
            {
                encoding = Encoding.GetEncoding(charset.Trim('"', '\'', ' '));
            }
            catch (ArgumentException)
            {
                // Unknown charset: UTF-8 is the web's default.
            }
        }

        return encoding.GetString(content);
    }

    private static string? Meta(IDocument document, string name) =>
        document.QuerySelectorAll("meta")
            .FirstOrDefault(m => string.Equals(m.GetAttribute("property") ?? m.GetAttribute("name"), name, StringComparison.OrdinalIgnoreCase))
            ?.GetAttribute("content");

    /// <summary>The first paragraphs of the article, when the page describes itself nowhere.</summary>
    private static string? BodyText(IDocument document)
    {
        var root = document.QuerySelector("article") ?? document.QuerySelector("main") ?? document.Body;
        if (root is null)
        {
            return null;
        }

        var text = string.Join(' ', root.QuerySelectorAll("p").Select(p => p.TextContent).Where(t => t.Trim().Length > 40).Take(3));
        return text.Length > 0 ? text : null;
    }

    private static string? First(params string?[] values) =>
        values.Select(v => PlainText.FromHtml(v)).FirstOrDefault(v => v.Length > 0);
}
