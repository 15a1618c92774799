using System.Globalization;
using ResistanceBot.Articles;
using ResistanceBot.Localization;
using ResistanceBot.Telegram;

using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Digests;

/// <summary>One message of an edition, with its "📖 Read here" buttons.</summary>
internal sealed record RenderedPart(string Html, InlineKeyboardMarkup? Markup);

/// <summary>
/// An edition as Telegram messages: a header with the date, then per item the linked title, source and time, and the summary;
/// reader reports marked as such. Split at item boundaries so that every part stays within 4096 UTF-16 units after parsing.
/// </summary>
internal sealed class EditionRenderer(Localizer strings)
{
    public const int MaxPartLength = 4096;

    /// <summary>A reader report is the one item without a length cap upstream (a redacted tip); it is cut here.</summary>
    private const int MaxReportLength = 3000;

    private static readonly Dictionary<string, CultureInfo> Cultures = new(StringComparer.Ordinal)
    {
        ["en"] = CultureInfo.GetCultureInfo("en-GB"),
        ["ru"] = CultureInfo.GetCultureInfo("ru-RU"),
        ["uk"] = CultureInfo.GetCultureInfo("uk-UA"),
    };

    /// <summary>The culture an edition's dates are written in, for a language the bot speaks.</summary>
    public static CultureInfo CultureOf(string language) => Cultures.GetValueOrDefault(language, Cultures[Localizer.Default]);

    /// <summary>An edition's title ("📰 Resistance digest №3 — 16 November 2026"), as plain text: in Telegram and on the web.</summary>
    public static string Title(Localizer strings, string language, int number, DateOnly date) =>
        strings.Get(language, "digest.header")
            .Replace("{0}", number.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{1}", date.ToString("d MMMM yyyy", CultureOf(language)), StringComparison.Ordinal);

    public IReadOnlyList<string> Render(int number, DateOnly date, IReadOnlyList<EditionItem> items, string language, TimeZoneInfo zone) =>
        Parts(number, date, items, language, zone).Select(p => p.Html).ToList();

    /// <summary>
    /// The messages of one selection of an edition's items in one language. <paramref name="leftOut"/> items on other topics
    /// are named in the header; <paramref name="webCopy"/>, when the archive is public, is linked from it. Each part carries a
    /// "📖" button for each of its items with a full text.
    /// </summary>
    public IReadOnlyList<RenderedPart> Parts(
        int number, DateOnly date, IReadOnlyList<EditionItem> items, string language, TimeZoneInfo zone, int leftOut = 0, Uri? webCopy = null)
    {
        var culture = CultureOf(language);
        var header = new HtmlBuilder().Bold(Title(strings, language, number, date)).Line();
        if (webCopy is not null)
        {
            header.Anchor(webCopy.AbsoluteUri, strings.Get(language, "digest.web")).Line();
        }

        if (leftOut > 0)
        {
            header.Italic(PlainText.FromHtml(strings.Format(language, "digest.leftout", leftOut))).Line();
        }

        header.Line();
        var continued = new HtmlBuilder().Bold(strings.Get(language, "digest.continued")
            .Replace("{0}", number.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)).Line().Line();

        var parts = new List<RenderedPart>();
        var current = new HtmlBuilder().Append(header);
        var buttons = new List<InlineKeyboardButton>();
        var itemsInPart = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var block = Item(i + 1, items[i], language, culture, zone);
            if (itemsInPart > 0 && current.PlainLength + block.PlainLength > MaxPartLength)
            {
                parts.Add(Part(current, buttons));
                current = new HtmlBuilder().Append(continued);
                buttons = [];
                itemsInPart = 0;
            }

            current.Append(block);
            itemsInPart++;
            if (items[i].Kind == CandidateKind.Article && items[i].FullText is { Length: > 0 })
            {
                buttons.Add(InlineKeyboardButton.WithCallbackData(
                    "📖 " + (i + 1).ToString(CultureInfo.InvariantCulture), ReadHere.Data(number, items[i].Position)));
            }
        }

        parts.Add(Part(current, buttons));
        return parts;
    }

    private static RenderedPart Part(HtmlBuilder html, List<InlineKeyboardButton> buttons) =>
        new(html.ToString(), buttons.Count == 0 ? null : new InlineKeyboardMarkup(buttons.Chunk(5).Select(r => (IEnumerable<InlineKeyboardButton>)r)));

    private HtmlBuilder Item(int position, EditionItem item, string language, CultureInfo culture, TimeZoneInfo zone)
    {
        var block = new HtmlBuilder().Text(position.ToString(CultureInfo.InvariantCulture) + ". ");
        if (item.Kind == CandidateKind.ReaderReport)
        {
            block.Text("🗣 ").Bold(strings.Get(language, "digest.report")).Line();
            return block.Line(PlainText.Cut(item.Summary, MaxReportLength)).Line();
        }

        block.Link(item.Url, PlainText.Cut(item.Title, ArticleLimits.Title)).Line();
        var meta = PlainText.Cut(item.Source ?? "", ArticleLimits.Source);
        if (item.PublishedAt is { } published)
        {
            var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(published, DateTimeKind.Utc), zone);
            meta += (meta.Length > 0 ? " · " : "") + local.ToString("d MMM, HH:mm", culture);
        }

        if (meta.Length > 0)
        {
            block.Italic(meta).Line();
        }

        if (item.Summary.Length > 0)
        {
            block.Line(PlainText.Cut(item.Summary, ArticleLimits.Summary));
        }

        return block.Line();
    }
}
