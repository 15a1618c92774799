using System.Runtime.Serialization;
using System.ServiceModel.Syndication;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace ResistanceBot.Articles;

internal sealed record FeedItem(string? Guid, Uri? Url, string Title, string Summary, DateTimeOffset? Published);

/// <summary>A feed as read; <c>Ttl</c> is RSS's &lt;ttl&gt;: how long the publisher asks readers to wait between polls.</summary>
internal sealed record ParsedFeed(string? Title, string? Language, IReadOnlyList<FeedItem> Items, TimeSpan? Ttl = null);

/// <summary>Why a feed could not be read, in words an editor can act on; shown in /feeds.</summary>
internal sealed class FeedFormatException(string message) : Exception(message);

/// <summary>
/// RSS 2.0 and Atom 1.0 through System.ServiceModel.Syndication (with a tolerant date parser, since one bad date would
/// otherwise lose the whole feed), RSS 1.0/RDF through XDocument (Syndication does not read it). DTDs are never processed.
/// </summary>
internal static class FeedParser
{
    private const string RdfNs = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    private const string Rss1Ns = "http://purl.org/rss/1.0/";
    private const string DcNs = "http://purl.org/dc/elements/1.1/";
    private const string ContentNs = "http://purl.org/rss/1.0/modules/content/";
    private const string AtomNs = "http://www.w3.org/2005/Atom";

    static FeedParser() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static ParsedFeed Parse(byte[] content, string? httpCharset, Uri feedUrl, DateTimeOffset now)
    {
        if (LooksLikeHtml(content))
        {
            throw new FeedFormatException("not a feed: the address returns a web page");
        }

        try
        {
            using var reader = CreateReader(content, httpCharset);
            reader.MoveToContent();
            return (reader.LocalName, reader.NamespaceURI) switch
            {
                ("rss", _) => FromSyndication(new Rss20FeedFormatter(), AsRss20(reader), feedUrl, now),
                ("feed", AtomNs) => FromSyndication(new Atom10FeedFormatter(), reader, feedUrl, now),
                ("RDF", RdfNs) => FromRdf(XDocument.Load(reader), feedUrl, now),
                ("html", _) => throw new FeedFormatException("not a feed: the address returns a web page"),
                var (name, _) => throw new FeedFormatException($"not a feed: the document is <{Truncate(name)}>, not RSS or Atom"),
            };
        }
        catch (XmlException e)
        {
            throw new FeedFormatException($"not a feed: the XML is broken at line {e.LineNumber}");
        }
        catch (Exception e) when (e is NotSupportedException or FormatException or ArgumentException or InvalidOperationException or SerializationException)
        {
            // Syndication's own complaints (an element where it wants another); the message names no reader.
            throw new FeedFormatException("not a feed: " + PlainText.Cut(e.Message, 150));
        }
    }

    /// <summary>RSS 0.91, 0.92 and versionless feeds are RSS 2.0 for reading purposes; Syndication refuses anything but "2.0".</summary>
    private static XmlReader AsRss20(XmlReader reader)
    {
        var document = XDocument.Load(reader);
        document.Root!.SetAttributeValue("version", "2.0");
        // Re-read as text: Syndication's extension readers do not work over an XNodeReader.
        return XmlReader.Create(new StringReader(document.ToString(SaveOptions.DisableFormatting)), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null });
    }

    private static XmlReader CreateReader(byte[] content, string? httpCharset)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Ignore,
            XmlResolver = null,
            CheckCharacters = false,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            MaxCharactersInDocument = 50_000_000,
        };

        // An XML declaration or a BOM names the encoding; otherwise the HTTP charset does (XML's default is UTF-8).
        if (!HasBomOrDeclaredEncoding(content) && httpCharset is not null && TryEncoding(httpCharset) is { } encoding)
        {
            return XmlReader.Create(new StringReader(encoding.GetString(content)), settings);
        }

        return XmlReader.Create(new MemoryStream(content, writable: false), settings);
    }

    private static Encoding? TryEncoding(string name)
    {
        try
        {
            return Encoding.GetEncoding(name.Trim('"', '\'', ' '));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool HasBomOrDeclaredEncoding(byte[] content)
    {
        if (content.Length >= 2 && ((content[0] == 0xEF && content[1] == 0xBB) || (content[0] == 0xFF && content[1] == 0xFE) || (content[0] == 0xFE && content[1] == 0xFF)))
        {
            return true;
        }

        var head = Encoding.ASCII.GetString(content, 0, Math.Min(content.Length, 200));
        var end = head.IndexOf("?>", StringComparison.Ordinal);
        return head.TrimStart().StartsWith("<?xml", StringComparison.Ordinal) && end > 0 && head[..end].Contains("encoding", StringComparison.Ordinal);
    }

    private static bool LooksLikeHtml(byte[] content)
    {
        var head = Encoding.ASCII.GetString(content, 0, Math.Min(content.Length, 512)).TrimStart('\uFEFF', ' ', '\r', '\n', '\t', '?').ToLowerInvariant();
        return head.StartsWith("<!doctype html", StringComparison.Ordinal) || head.StartsWith("<html", StringComparison.Ordinal);
    }

    private static ParsedFeed FromSyndication(SyndicationFeedFormatter formatter, XmlReader reader, Uri feedUrl, DateTimeOffset now)
    {
        // Always "succeed": an unreadable date becomes MinValue (no date), an unreadable link a relative one we drop later.
        formatter.DateTimeParser = (XmlDateTimeData data, out DateTimeOffset value) =>
        {
            value = FeedDates.Parse(data.DateTimeString, now) ?? DateTimeOffset.MinValue;
            return true;
        };
        formatter.UriParser = (XmlUriData data, out Uri uri) =>
        {
            if (!Uri.TryCreate(data.UriString?.Trim(), UriKind.RelativeOrAbsolute, out uri!))
            {
                uri = new Uri(Uri.EscapeDataString(data.UriString ?? ""), UriKind.Relative);
            }

            return true;
        };
        formatter.ReadFrom(reader);
        var feed = formatter.Feed;
        var baseUri = feed.BaseUri is { IsAbsoluteUri: true } b ? b : feedUrl;
        var items = new List<FeedItem>();
        foreach (var item in feed.Items)
        {
            var link = item.Links.FirstOrDefault(l => l.RelationshipType is null or "alternate") ?? item.Links.FirstOrDefault();
            var itemBase = item.BaseUri is { IsAbsoluteUri: true } ib ? ib : baseUri;
            var url = CanonicalUrl.Normalize(link?.Uri?.OriginalString, itemBase)
                ?? (item.Id is { } id && id.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? CanonicalUrl.Normalize(id) : null);
            var summaryHtml = (item.Summary as TextSyndicationContent)?.Text;
            if (string.IsNullOrWhiteSpace(summaryHtml))
            {
                summaryHtml = (item.Content as TextSyndicationContent)?.Text
                    ?? item.ElementExtensions.ReadElementExtensions<string>("encoded", ContentNs).FirstOrDefault();
            }

            var published = item.PublishDate != DateTimeOffset.MinValue ? item.PublishDate
                : item.LastUpdatedTime != DateTimeOffset.MinValue ? item.LastUpdatedTime
                : (DateTimeOffset?)null;
            items.Add(new FeedItem(item.Id, url, PlainText.FromHtml(item.Title?.Text), PlainText.FromHtml(summaryHtml), published));
        }

        return new ParsedFeed(PlainText.FromHtml(feed.Title?.Text), feed.Language, items, Ttl(feed));
    }

    private static ParsedFeed FromRdf(XDocument document, Uri feedUrl, DateTimeOffset now)
    {
        XNamespace rdf = RdfNs, rss = Rss1Ns, dc = DcNs;
        var channel = document.Root!.Element(rss + "channel");
        var items = document.Root.Elements(rss + "item").Select(item => new FeedItem(
            (string?)item.Attribute(rdf + "about"),
            CanonicalUrl.Normalize((string?)item.Element(rss + "link") ?? (string?)item.Attribute(rdf + "about"), feedUrl),
            PlainText.FromHtml((string?)item.Element(rss + "title")),
            PlainText.FromHtml((string?)item.Element(rss + "description")),
            FeedDates.Parse((string?)item.Element(dc + "date"), now)))
            .ToList();
        return new ParsedFeed(PlainText.FromHtml((string?)channel?.Element(rss + "title")), (string?)channel?.Element(dc + "language"), items);
    }

    /// <summary>RSS 2.0's &lt;ttl&gt; (minutes), which the syndication reader keeps as an unknown element; null when absent or unreadable.</summary>
    private static TimeSpan? Ttl(SyndicationFeed feed)
    {
        var ttl = feed.ElementExtensions.FirstOrDefault(e => e.OuterName == "ttl" && string.IsNullOrEmpty(e.OuterNamespace));
        try
        {
            using var reader = ttl?.GetReader();
            return reader is not null && int.TryParse(reader.ReadElementContentAsString().Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var minutes) && minutes > 0
                ? TimeSpan.FromMinutes(minutes)
                : null;
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static string Truncate(string name) => name.Length > 30 ? name[..30] : name;
}
