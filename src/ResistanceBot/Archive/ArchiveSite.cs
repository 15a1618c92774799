using System.Globalization;
using System.Text;
using System.Xml;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Articles;
using ResistanceBot.Digests;
using ResistanceBot.Localization;
using ResistanceBot.Storage;

namespace ResistanceBot.Archive;

internal sealed class ArchiveOptions
{
    public const string Section = "Archive";

    /// <summary>Whether the bot serves the archive under /archive on <c>Http:Urls</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Where readers can reach the archive (a mirror, an onion service, the bot's own address behind a proxy), such as
    /// https://mirror.example/archive/. When set, each edition links to its copy there; unset, editions carry no such link.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>The public address of edition <paramref name="number"/> in <paramref name="language"/>, or null without <see cref="PublicUrl"/>.</summary>
    public Uri? WebCopy(string language, int number) =>
        Uri.TryCreate(PublicUrl, UriKind.Absolute, out var root) && root.Scheme is "http" or "https"
            ? new Uri(new Uri(root.AbsoluteUri.TrimEnd('/') + "/"), ArchiveSite.EditionPath(language, number))
            : null;
}

internal sealed class ArchiveOptionsValidator : IValidateOptions<ArchiveOptions>
{
    public ValidateOptionsResult Validate(string? name, ArchiveOptions options) =>
        string.IsNullOrEmpty(options.PublicUrl) || options.WebCopy(Localizer.Default, 1) is not null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Archive:PublicUrl must be an absolute http or https address, such as https://mirror.example/archive/.");
}

/// <summary>A file of the archive: its bytes and content type.</summary>
internal sealed record ArchiveFile(byte[] Content, string ContentType);

/// <summary>
/// The published editions as a small web site that needs nothing from outside: plain HTML and one stylesheet, no script, no
/// font, no image, every link relative so that the same files work under /archive, on a mirror, or on an onion service. It
/// holds editions only: nothing about readers. The paths: <c>index.html</c>, <c>{lang}/index.html</c>,
/// <c>{lang}/{number}.html</c>, <c>{lang}/{number}/{position}.html</c> (an article's full text), <c>{lang}/atom.xml</c>,
/// <c>style.css</c>.
/// </summary>
internal sealed class ArchiveSite(Localizer strings, IOptions<DigestOptions> digest, IOptions<ArchiveOptions> options)
{
    /// <summary>Scripts, fonts, images, frames and form posts are all forbidden; styles come from the site itself.</summary>
    public const string Policy = "default-src 'none'; style-src 'self'; img-src 'none'; font-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const int FeedEntries = 50;

    private static readonly byte[] Stylesheet = Encoding.UTF8.GetBytes("""
        html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;line-height:1.55;color:#1b1b1b;background:#fdfdfb}
        body{max-width:42rem;margin:0 auto;padding:1rem 1.2rem 3rem}
        nav{font-size:.9rem;border-bottom:1px solid #ddd;padding-bottom:.5rem;margin-bottom:1rem}
        nav a,nav strong{margin-right:.8rem}
        h1{font-size:1.6rem;line-height:1.25}h2{font-size:1.2rem;margin-bottom:.2rem}h3{font-size:1.1rem}
        .meta{color:#555;font-size:.9rem;margin-top:0}
        blockquote{margin:1rem 0;padding-left:1rem;border-left:3px solid #bbb;color:#333}
        a{color:#0b4f9c}
        li{margin-bottom:.4rem}
        footer{margin-top:2rem;font-size:.85rem;color:#555}
        """);

    public static string EditionPath(string language, int number) => $"{language}/{number.ToString(CultureInfo.InvariantCulture)}.html";

    public static string ArticlePath(string language, int number, int position) =>
        $"{language}/{number.ToString(CultureInfo.InvariantCulture)}/{position.ToString(CultureInfo.InvariantCulture)}.html";

    /// <summary>The file at <paramref name="path"/> (relative to the archive's root), or null when there is none.</summary>
    public async Task<ArchiveFile?> FileAsync(BotDbContext db, string path, CancellationToken ct)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments)
        {
            case [] or ["index.html"]:
                return Html(Root());
            case ["style.css"]:
                return new ArchiveFile(Stylesheet, "text/css; charset=utf-8");
            case [var language] when Localizer.IsSupported(language):
                return Html(await IndexAsync(db, language, ct));
            case [var language, "index.html"] when Localizer.IsSupported(language):
                return Html(await IndexAsync(db, language, ct));
            case [var language, "atom.xml"] when Localizer.IsSupported(language):
                return new ArchiveFile(Encoding.UTF8.GetBytes(await AtomAsync(db, language, ct)), "application/atom+xml; charset=utf-8");
            case [var language, var page] when Localizer.IsSupported(language) && Number(page, ".html") is { } number:
                return await EditionAsync(db, language, number, ct) is { } edition ? Html(edition) : null;
            case [var language, var folder, var page] when Localizer.IsSupported(language) && Number(folder, "") is { } number && Number(page, ".html") is { } position:
                return await ArticleAsync(db, language, number, position - 1, ct) is { } article ? Html(article) : null;
            default:
                return null;
        }
    }

    /// <summary>Every path of the archive, for a static copy.</summary>
    public static async Task<List<string>> PathsAsync(BotDbContext db, CancellationToken ct)
    {
        var editions = await db.Editions.AsNoTracking().Select(e => e.Number).ToListAsync(ct);
        var articles = await (from i in db.EditionItems.AsNoTracking()
                              join e in db.Editions on i.EditionId equals e.Id
                              where i.FullText != null && i.Kind == CandidateKind.Article
                              select new { e.Number, i.Position }).ToListAsync(ct);
        var paths = new List<string> { "index.html", "style.css" };
        foreach (var (language, _) in Localizer.Languages)
        {
            paths.Add(language + "/index.html");
            paths.Add(language + "/atom.xml");
            paths.AddRange(editions.Select(n => EditionPath(language, n)));
            paths.AddRange(articles.Select(a => ArticlePath(language, a.Number, a.Position + 1)));
        }

        return paths;
    }

    private static int? Number(string segment, string suffix) =>
        segment.EndsWith(suffix, StringComparison.Ordinal) && int.TryParse(segment[..^suffix.Length], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    private static ArchiveFile Html(string html) => new(Encoding.UTF8.GetBytes(html), "text/html; charset=utf-8");

    private string T(string language, string key) => Escape(strings.Get(language, key));

    private static string Escape(string? text) => System.Net.WebUtility.HtmlEncode(text ?? "");

    private string Root()
    {
        var body = new StringBuilder("<ul>");
        foreach (var (code, name) in Localizer.Languages)
        {
            body.Append("<li><a href=\"").Append(code).Append("/index.html\" hreflang=\"").Append(code).Append("\" lang=\"").Append(code).Append("\">")
                .Append(Escape(name)).Append(" — ").Append(T(code, "archive.title")).Append("</a></li>");
        }

        return Page(Localizer.Default, T(Localizer.Default, "archive.title"), "", null, body.Append("</ul>").ToString());
    }

    private async Task<string> IndexAsync(BotDbContext db, string language, CancellationToken ct)
    {
        var editions = await db.Editions.AsNoTracking().OrderByDescending(e => e.Number)
            .Select(e => new { e.Number, e.Date, Items = e.Items.Count }).ToListAsync(ct);
        var body = new StringBuilder("<h1>").Append(T(language, "archive.title")).Append("</h1>");
        body.Append("<p><a href=\"atom.xml\" type=\"application/atom+xml\">").Append(T(language, "archive.feed")).Append("</a></p>");
        if (editions.Count == 0)
        {
            body.Append("<p>").Append(T(language, "archive.none")).Append("</p>");
        }
        else
        {
            body.Append("<ul>");
            foreach (var e in editions)
            {
                body.Append("<li><a href=\"").Append(e.Number.ToString(CultureInfo.InvariantCulture)).Append(".html\">")
                    .Append(Escape(Header(language, e.Number, e.Date))).Append("</a> <span class=\"meta\">")
                    .Append(Escape(strings.Format(language, "archive.items", e.Items))).Append("</span></li>");
            }

            body.Append("</ul>");
        }

        return Page(language, T(language, "archive.title"), "../", "index.html", body.ToString());
    }

    private async Task<string?> EditionAsync(BotDbContext db, string language, int number, CancellationToken ct)
    {
        var edition = await db.Editions.AsNoTracking().Include(e => e.Items).FirstOrDefaultAsync(e => e.Number == number, ct);
        if (edition is null)
        {
            return null;
        }

        var culture = EditionRenderer.CultureOf(language);
        var title = Header(language, edition.Number, edition.Date);
        var body = new StringBuilder("<h1>").Append(Escape(title)).Append("</h1><ol>");
        foreach (var item in edition.Items.OrderBy(i => i.Position))
        {
            body.Append("<li>");
            if (item.Kind == CandidateKind.ReaderReport)
            {
                body.Append("<h2>").Append(T(language, "digest.report")).Append("</h2>");
                foreach (var paragraph in item.Summary.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    body.Append("<p>").Append(Escape(paragraph)).Append("</p>");
                }
            }
            else
            {
                var hasText = item.FullText is { Length: > 0 };
                body.Append("<h2>");
                body.Append(hasText
                    ? $"<a href=\"{number.ToString(CultureInfo.InvariantCulture)}/{(item.Position + 1).ToString(CultureInfo.InvariantCulture)}.html\">{Escape(item.Title)}</a>"
                    : Escape(item.Title));
                body.Append("</h2><p class=\"meta\">").Append(Meta(item, culture)).Append("</p>");
                if (item.Summary.Length > 0)
                {
                    body.Append("<p>").Append(Escape(item.Summary)).Append("</p>");
                }
            }

            body.Append("</li>");
        }

        body.Append("</ol>");
        return Page(language, title, "../", number.ToString(CultureInfo.InvariantCulture) + ".html", body.ToString(), back: "index.html");
    }

    private async Task<string?> ArticleAsync(BotDbContext db, string language, int number, int position, CancellationToken ct)
    {
        var item = await (from i in db.EditionItems.AsNoTracking()
                          join e in db.Editions on i.EditionId equals e.Id
                          where e.Number == number && i.Position == position && i.FullText != null
                          select i).FirstOrDefaultAsync(ct);
        if (item is null)
        {
            return null;
        }

        var body = new StringBuilder("<article><h1>").Append(Escape(item.Title)).Append("</h1><p class=\"meta\">").Append(Meta(item, EditionRenderer.CultureOf(language))).Append("</p>");
        // The stored text is read back through FullText's parser: only headings, paragraphs, quotations and links come out.
        body.Append(FullText.Serialize(FullText.Parse(item.FullText)).Replace("<h3>", "<h2>", StringComparison.Ordinal).Replace("</h3>", "</h2>", StringComparison.Ordinal));
        body.Append("</article>");
        return Page(language, item.Title, "../../", $"{number.ToString(CultureInfo.InvariantCulture)}/{(position + 1).ToString(CultureInfo.InvariantCulture)}.html", body.ToString(), back: "../" + number.ToString(CultureInfo.InvariantCulture) + ".html");
    }

    private string Meta(EditionItem item, CultureInfo culture)
    {
        var meta = new StringBuilder();
        if (Uri.TryCreate(item.Url, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            meta.Append("<a href=\"").Append(Escape(url.AbsoluteUri)).Append("\" rel=\"noreferrer nofollow\">").Append(Escape(item.Source ?? url.Host)).Append("</a>");
        }
        else if (item.Source is { } source)
        {
            meta.Append(Escape(source));
        }

        if (item.PublishedAt is { } published)
        {
            var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(published, DateTimeKind.Utc), digest.Value.Zone);
            meta.Append(" · ").Append(Escape(local.ToString("d MMMM yyyy, HH:mm", culture)));
        }

        return meta.ToString();
    }

    private string Header(string language, int number, DateOnly date) => EditionRenderer.Title(strings, language, number, date);

    /// <summary>
    /// A whole page. <paramref name="root"/> leads from the page to the archive's root; <paramref name="same"/> is the page's
    /// path inside its language folder, so that the language switch leads to the same page in another language.
    /// </summary>
    private string Page(string language, string title, string root, string? same, string body, string? back = null)
    {
        var html = new StringBuilder("<!doctype html>\n<html lang=\"").Append(language).Append("\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta name=\"referrer\" content=\"no-referrer\">")
            .Append("<title>").Append(Escape(title)).Append("</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(root).Append("style.css\">");
        if (same is not null)
        {
            html.Append("<link rel=\"alternate\" type=\"application/atom+xml\" href=\"").Append(root).Append(language).Append("/atom.xml\">");
        }

        html.Append("</head><body><nav>");
        if (back is not null)
        {
            html.Append("<a href=\"").Append(back).Append("\">← ").Append(T(language, "archive.back")).Append("</a>");
        }

        if (same is not null)
        {
            foreach (var (code, name) in Localizer.Languages)
            {
                html.Append(code == language
                    ? $"<strong lang=\"{code}\">{Escape(name)}</strong>"
                    : $"<a href=\"{root}{code}/{same}\" hreflang=\"{code}\" lang=\"{code}\">{Escape(name)}</a>");
            }
        }

        html.Append("</nav><main>").Append(body).Append("</main><footer>").Append(T(language, "archive.footer")).Append("</footer></body></html>\n");
        return html.ToString();
    }

    /// <summary>An Atom feed of the latest editions: each entry lists its items, and links to the edition's page.</summary>
    private async Task<string> AtomAsync(BotDbContext db, string language, CancellationToken ct)
    {
        var editions = await db.Editions.AsNoTracking().Include(e => e.Items).OrderByDescending(e => e.Number).Take(FeedEntries).ToListAsync(ct);
        var root = Uri.TryCreate(options.Value.PublicUrl, UriKind.Absolute, out var publicRoot) ? publicRoot.AbsoluteUri.TrimEnd('/') + "/" : null;
        var output = new StringBuilder();
        using (var xml = XmlWriter.Create(output, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = false, Encoding = Encoding.UTF8 }))
        {
            const string Atom = "http://www.w3.org/2005/Atom";
            xml.WriteStartElement("feed", Atom);
            xml.WriteAttributeString("xml", "lang", null, language);
            if (root is not null)
            {
                xml.WriteAttributeString("xml", "base", null, root + language + "/");
            }

            xml.WriteElementString("title", Atom, strings.Get(language, "archive.title"));
            xml.WriteElementString("id", Atom, "urn:resistancebot:archive:" + language);
            var updated = editions.Count == 0 ? DateTime.UnixEpoch : DateTime.SpecifyKind(editions[0].ReleasedAt, DateTimeKind.Utc);
            xml.WriteElementString("updated", Atom, XmlConvert.ToString(updated, XmlDateTimeSerializationMode.Utc));
            xml.WriteStartElement("link", Atom);
            xml.WriteAttributeString("rel", "self");
            xml.WriteAttributeString("href", "atom.xml");
            xml.WriteEndElement();
            foreach (var edition in editions)
            {
                xml.WriteStartElement("entry", Atom);
                xml.WriteElementString("title", Atom, Header(language, edition.Number, edition.Date));
                xml.WriteElementString("id", Atom, "urn:resistancebot:edition:" + edition.Number.ToString(CultureInfo.InvariantCulture) + ":" + language);
                xml.WriteElementString("updated", Atom, XmlConvert.ToString(DateTime.SpecifyKind(edition.ReleasedAt, DateTimeKind.Utc), XmlDateTimeSerializationMode.Utc));
                xml.WriteStartElement("link", Atom);
                xml.WriteAttributeString("href", edition.Number.ToString(CultureInfo.InvariantCulture) + ".html");
                xml.WriteEndElement();
                xml.WriteStartElement("author", Atom);
                xml.WriteElementString("name", Atom, strings.Get(language, "archive.title"));
                xml.WriteEndElement();
                xml.WriteStartElement("summary", Atom);
                xml.WriteString(string.Join("\n", edition.Items.OrderBy(i => i.Position).Select((i, n) =>
                    $"{n + 1}. {(i.Kind == CandidateKind.ReaderReport ? strings.Get(language, "digest.report") : i.Title)}")));
                xml.WriteEndElement();
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        // XmlWriter over a StringBuilder declares UTF-16; the file is served and written as UTF-8.
        return output.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal);
    }
}
