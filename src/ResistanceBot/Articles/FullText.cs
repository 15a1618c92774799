using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using ResistanceBot.Telegram;

namespace ResistanceBot.Articles;

internal enum FullTextStatus
{
    /// <summary>Not looked for yet: <see cref="FullTextJob"/> fetches the page.</summary>
    Pending,

    /// <summary>Extracted from the page.</summary>
    Found,

    /// <summary>The page could not be fetched, or held no readable article: an editor may paste it (/fulltext).</summary>
    NotFound,

    /// <summary>Pasted or fixed by an editor.</summary>
    Pasted,
}

internal enum BlockKind
{
    Heading,
    Paragraph,
    Quote,
}

/// <summary>A piece of running text, a link when <see cref="Href"/> is set (absolute http or https only).</summary>
internal sealed record TextRun(string Text, string? Href = null);

internal sealed record TextBlock(BlockKind Kind, IReadOnlyList<TextRun> Runs)
{
    public int Length => Runs.Sum(r => r.Text.Length);
}

/// <summary>
/// An article's readable text: headings, paragraphs, quotations and links, nothing else (no images, scripts, styles or
/// attributes but a link's href). Stored as a small HTML subset that only this class writes, and read back through the same
/// parser before it is shown anywhere, so whatever is in the database can only ever come out as these four things.
/// </summary>
internal static class FullText
{
    /// <summary>The most text kept of one article (characters).</summary>
    public const int MaxLength = 100_000;

    /// <summary>Less text than this is a teaser or a page of links, not an article.</summary>
    public const int MinLength = 300;

    private static readonly HtmlParser Parser = new(new HtmlParserOptions { IsScripting = false });

    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "noscript", "template", "svg", "img", "picture", "video", "audio", "iframe", "object", "embed",
        "figure", "form", "button", "input", "select", "textarea", "nav", "aside", "footer", "header", "canvas", "map",
    };

    /// <summary>The readable article in a page (Mozilla Readability, through SmartReader), or null when there is none.</summary>
    public static string? Extract(string html, Uri url)
    {
        SmartReader.Article article;
        try
        {
            // Given the HTML, SmartReader fetches nothing itself (images are not downloaded): every fetch stays behind FetchGuard.
            article = new SmartReader.Reader(url.AbsoluteUri, html).GetArticle();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NullReferenceException or FormatException)
        {
            return null;
        }

        if (!article.IsReadable || string.IsNullOrWhiteSpace(article.Content))
        {
            return null;
        }

        var blocks = FromHtml(article.Content, url);
        return blocks.Sum(b => b.Length) < MinLength ? null : Serialize(blocks);
    }

    /// <summary>Text an editor pasted: a paragraph per blank-line-separated piece, "&gt; " lines as quotations.</summary>
    public static string FromPlainText(string text)
    {
        var blocks = text.Replace("\r\n", "\n", StringComparison.Ordinal)
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(piece => piece.StartsWith('>')
                ? new TextBlock(BlockKind.Quote, [new TextRun(string.Join('\n', piece.Split('\n').Select(l => l.TrimStart('>', ' '))))])
                : new TextBlock(BlockKind.Paragraph, [new TextRun(piece)]))
            .ToList();
        return Serialize(blocks);
    }

    /// <summary>The blocks of stored text (or of any HTML: unknown tags are read for their text).</summary>
    public static List<TextBlock> Parse(string? stored) => string.IsNullOrEmpty(stored) ? [] : FromHtml(stored, null);

    public static int LengthOf(string? stored) => Parse(stored).Sum(b => b.Length);

    /// <summary>The stored form: &lt;h3&gt;, &lt;p&gt;, &lt;blockquote&gt; and &lt;a href&gt;, every text escaped, cut at <see cref="MaxLength"/>.</summary>
    public static string Serialize(IEnumerable<TextBlock> blocks)
    {
        var html = new StringBuilder();
        var total = 0;
        foreach (var block in blocks)
        {
            if (total + block.Length > MaxLength)
            {
                break;
            }

            total += block.Length;
            var tag = block.Kind switch { BlockKind.Heading => "h3", BlockKind.Quote => "blockquote", _ => "p" };
            html.Append('<').Append(tag).Append('>');
            foreach (var run in block.Runs)
            {
                if (run.Href is { } href)
                {
                    html.Append("<a href=\"").Append(Html.Escape(href)).Append("\">").Append(Html.Escape(run.Text)).Append("</a>");
                }
                else
                {
                    html.Append(Html.Escape(run.Text).Replace("\n", "<br>", StringComparison.Ordinal));
                }
            }

            html.Append("</").Append(tag).Append(">\n");
        }

        return html.ToString();
    }

    /// <summary>
    /// The article as Telegram messages: its title in bold, then its blocks (headings bold, quotations as blockquotes, links
    /// kept), split between blocks so that every message stays within <paramref name="max"/> characters after parsing; a block
    /// longer than a message is split between words.
    /// </summary>
    public static List<string> ToTelegram(string title, string? stored, int max = 4096)
    {
        var parts = new List<string>();
        var current = new HtmlBuilder().Bold(PlainText.Cut(title, ArticleLimits.Title)).Line().Line();
        foreach (var block in Parse(stored))
        {
            foreach (var piece in Pieces(block, max - 2))
            {
                var rendered = Render(piece);
                if (current.PlainLength > 0 && current.PlainLength + rendered.PlainLength + 2 > max)
                {
                    parts.Add(current.ToString().TrimEnd());
                    current = new HtmlBuilder();
                }

                current.Append(rendered).Line().Line();
            }
        }

        if (current.PlainLength > 0)
        {
            parts.Add(current.ToString().TrimEnd());
        }

        return parts;
    }

    private static HtmlBuilder Render(TextBlock block)
    {
        var inner = new HtmlBuilder();
        foreach (var run in block.Runs)
        {
            if (block.Kind == BlockKind.Heading)
            {
                inner.Bold(run.Text);
            }
            else if (run.Href is not null)
            {
                inner.Anchor(run.Href, run.Text);
            }
            else
            {
                inner.Text(run.Text);
            }
        }

        return block.Kind == BlockKind.Quote ? new HtmlBuilder().Quote(inner) : inner;
    }

    /// <summary>A block cut into pieces of at most <paramref name="max"/> characters, between words where it can.</summary>
    private static IEnumerable<TextBlock> Pieces(TextBlock block, int max)
    {
        if (block.Length <= max)
        {
            yield return block;
            yield break;
        }

        var runs = new List<TextRun>();
        var length = 0;
        foreach (var run in block.Runs)
        {
            var text = run.Text;
            while (text.Length > 0)
            {
                var room = max - length;
                if (text.Length <= room)
                {
                    runs.Add(run with { Text = text });
                    length += text.Length;
                    break;
                }

                var cut = room > 0 ? text.LastIndexOf(' ', room - 1, Math.Min(room, 200)) : -1;
                cut = cut > 0 ? cut + 1 : room;
                if (cut > 0)
                {
                    runs.Add(run with { Text = text[..cut].TrimEnd() });
                    text = text[cut..];
                }

                yield return new TextBlock(block.Kind, runs);
                (runs, length) = ([], 0);
            }
        }

        if (runs.Count > 0)
        {
            yield return new TextBlock(block.Kind, runs);
        }
    }

    private static List<TextBlock> FromHtml(string html, Uri? baseUrl)
    {
        using var document = Parser.ParseDocument("<!doctype html><html><body>" + html + "</body></html>");
        var blocks = new List<TextBlock>();
        var loose = new List<TextRun>();
        Walk(document.Body!, blocks, loose, baseUrl);
        Flush(blocks, loose, BlockKind.Paragraph);
        return blocks;
    }

    private static void Walk(INode node, List<TextBlock> blocks, List<TextRun> loose, Uri? baseUrl)
    {
        foreach (var child in node.ChildNodes)
        {
            if (child is IText text)
            {
                loose.Add(new TextRun(text.Data));
                continue;
            }

            if (child is not IElement element || Skipped.Contains(element.LocalName))
            {
                continue;
            }

            switch (element.LocalName)
            {
                case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                    Flush(blocks, loose, BlockKind.Paragraph);
                    AddBlock(blocks, BlockKind.Heading, Inline(element, baseUrl, false));
                    break;
                case "p" or "pre" or "dt" or "dd" or "figcaption" or "td" or "th":
                    Flush(blocks, loose, BlockKind.Paragraph);
                    AddBlock(blocks, BlockKind.Paragraph, Inline(element, baseUrl, true));
                    break;
                case "li":
                    Flush(blocks, loose, BlockKind.Paragraph);
                    AddBlock(blocks, BlockKind.Paragraph, [new TextRun("• "), .. Inline(element, baseUrl, true)]);
                    break;
                case "blockquote":
                    Flush(blocks, loose, BlockKind.Paragraph);
                    var inner = new List<TextBlock>();
                    var innerLoose = new List<TextRun>();
                    Walk(element, inner, innerLoose, baseUrl);
                    Flush(inner, innerLoose, BlockKind.Paragraph);
                    var runs = new List<TextRun>();
                    foreach (var (quoted, i) in inner.Select((b, i) => (b, i)))
                    {
                        if (i > 0)
                        {
                            runs.Add(new TextRun("\n"));
                        }

                        runs.AddRange(quoted.Runs);
                    }

                    AddBlock(blocks, BlockKind.Quote, runs);
                    break;
                case "a" or "b" or "strong" or "i" or "em" or "span" or "small" or "sup" or "sub" or "u" or "s" or "mark" or "time" or "abbr" or "cite" or "q" or "code" or "br":
                    loose.AddRange(Inline(element, baseUrl, true, self: true));
                    break;
                default:
                    Walk(element, blocks, loose, baseUrl);
                    break;
            }
        }
    }

    private static void Flush(List<TextBlock> blocks, List<TextRun> loose, BlockKind kind)
    {
        if (loose.Count > 0)
        {
            AddBlock(blocks, kind, [.. loose]);
            loose.Clear();
        }
    }

    private static void AddBlock(List<TextBlock> blocks, BlockKind kind, List<TextRun> runs)
    {
        var tidy = Tidy(runs);
        if (tidy.Count > 0)
        {
            blocks.Add(new TextBlock(kind, tidy));
        }
    }

    /// <summary>The runs of an element's inline content: text, links (absolute http or https), line breaks.</summary>
    private static List<TextRun> Inline(IElement element, Uri? baseUrl, bool links, bool self = false)
    {
        var runs = new List<TextRun>();
        void Visit(INode node)
        {
            switch (node)
            {
                case IText text:
                    runs.Add(new TextRun(text.Data));
                    break;
                case IElement { LocalName: "br" }:
                    runs.Add(new TextRun("\n"));
                    break;
                case IElement e when Skipped.Contains(e.LocalName):
                    break;
                case IElement { LocalName: "a" } a when links && LinkOf(a, baseUrl) is { } href:
                    runs.Add(new TextRun(a.TextContent, href));
                    break;
                default:
                    foreach (var child in node.ChildNodes)
                    {
                        Visit(child);
                    }

                    break;
            }
        }

        if (self)
        {
            Visit(element);
        }
        else
        {
            foreach (var child in element.ChildNodes)
            {
                Visit(child);
            }
        }

        return runs;
    }

    private static string? LinkOf(IElement a, Uri? baseUrl)
    {
        var href = a.GetAttribute("href");
        if (string.IsNullOrWhiteSpace(href))
        {
            return null;
        }

        var uri = baseUrl is null ? (Uri.TryCreate(href.Trim(), UriKind.Absolute, out var absolute) ? absolute : null)
            : Uri.TryCreate(baseUrl, href.Trim(), out var resolved) ? resolved : null;
        return uri is { Scheme: "http" or "https" } ? uri.AbsoluteUri : null;
    }

    /// <summary>Whitespace collapsed as a browser would (line breaks kept), empty runs dropped, the block trimmed.</summary>
    private static List<TextRun> Tidy(List<TextRun> runs)
    {
        var tidy = new List<TextRun>();
        var lastSpace = true;
        foreach (var run in runs)
        {
            var text = new StringBuilder();
            foreach (var c in run.Text)
            {
                if (c == '\n' && run.Href is null && run.Text == "\n")
                {
                    TrimEnd(text, tidy);
                    text.Append('\n');
                    lastSpace = true;
                }
                else if (char.IsWhiteSpace(c) || char.IsControl(c))
                {
                    if (!lastSpace)
                    {
                        text.Append(' ');
                        lastSpace = true;
                    }
                }
                else
                {
                    text.Append(c);
                    lastSpace = false;
                }
            }

            if (text.Length > 0)
            {
                tidy.Add(run with { Text = text.ToString() });
            }
        }

        // Trim the block: leading and trailing spaces and line breaks.
        while (tidy.Count > 0 && tidy[0].Text.TrimStart(' ', '\n') is var head && head.Length == 0 && tidy[0].Href is null)
        {
            tidy.RemoveAt(0);
        }

        while (tidy.Count > 0 && tidy[^1].Text.TrimEnd(' ', '\n').Length == 0 && tidy[^1].Href is null)
        {
            tidy.RemoveAt(tidy.Count - 1);
        }

        if (tidy.Count > 0)
        {
            tidy[0] = tidy[0] with { Text = tidy[0].Text.TrimStart(' ', '\n') };
            tidy[^1] = tidy[^1] with { Text = tidy[^1].Text.TrimEnd(' ', '\n') };
        }

        return tidy.Where(r => r.Text.Length > 0).ToList();
    }

    private static void TrimEnd(StringBuilder text, List<TextRun> tidy)
    {
        while (text.Length > 0 && text[^1] == ' ')
        {
            text.Length--;
        }

        if (text.Length == 0 && tidy.Count > 0 && tidy[^1].Href is null && tidy[^1].Text.EndsWith(' '))
        {
            tidy[^1] = tidy[^1] with { Text = tidy[^1].Text.TrimEnd(' ') };
        }
    }
}
