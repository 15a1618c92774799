using System.Text;
using ResistanceBot.Articles;

namespace ResistanceBot.Tests.Articles;

/// <summary>Real-world feed mess, each case in a fixture feed: none of it may stop a feed from being read.</summary>
public sealed class FeedParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 16, 12, 0, 0, TimeSpan.Zero);

    static FeedParserTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Feeds", name));

    [Fact]
    public void RSS_2_with_CDATA_HTML_titles_relative_links_bad_dates_and_content_encoded_is_read()
    {
        var feed = FeedParser.Parse(Fixture("messy-rss2.xml"), null, new Uri("https://strikewatch.example/rss"), Now);

        Assert.Equal("Strike Watch & Co", feed.Title);
        Assert.Equal("ru-RU", feed.Language);
        var first = feed.Items[0];
        Assert.Equal("Workers stop the line at the tank plant", first.Title);
        Assert.Equal("About 300 workers walked out on Monday. They demand their unpaid wages & an end to overtime.", first.Summary);
        Assert.Equal("https://strikewatch.example/news/1?id=7", first.Url!.AbsoluteUri);
        Assert.Equal(new DateTimeOffset(2026, 11, 16, 7, 0, 0, TimeSpan.Zero), first.Published);

        Assert.Equal("https://strikewatch.example/news/2", feed.Items[1].Url!.AbsoluteUri);
        Assert.Null(feed.Items[1].Published);
        Assert.Null(feed.Items[2].Published); // "Blursday, 45 Smarch": no date rather than no feed
        Assert.Null(feed.Items[5].Published); // 2099: a wrong clock, not news from the future
        Assert.Equal("Only content:encoded, no description.", feed.Items[5].Summary);
        Assert.Null(feed.Items[6].Url); // javascript: is never a link
    }

    [Fact]
    public void Atom_with_xml_base_html_titles_and_content_instead_of_summary_is_read()
    {
        var feed = FeedParser.Parse(Fixture("atom.xml"), null, new Uri("https://mothers.example/feed"), Now);

        Assert.Equal("Mothers against mobilisation", feed.Title);
        Assert.Equal("Protest at the draft office", feed.Items[0].Title);
        Assert.Equal("https://mothers.example/blog/posts/protest-1", feed.Items[0].Url!.AbsoluteUri);
        Assert.Equal("Dozens of mothers gathered.", feed.Items[0].Summary);
        Assert.Equal("Text from the content element.", feed.Items[1].Summary);
        Assert.Equal(new DateTimeOffset(2026, 11, 15, 20, 0, 0, TimeSpan.Zero), feed.Items[1].Published);
    }

    [Fact]
    public void RSS_1_RDF_is_read()
    {
        var feed = FeedParser.Parse(Fixture("rdf.xml"), null, new Uri("https://deserters.example/rss"), Now);

        Assert.Equal("Deserters' notes", feed.Title);
        Assert.Equal("en", feed.Language);
        Assert.Equal(["Crossing the border", "Second"], feed.Items.Select(i => i.Title));
        Assert.Equal("How a unit walked away.", feed.Items[0].Summary);
        Assert.Equal(new DateTimeOffset(2026, 11, 16, 4, 0, 0, TimeSpan.Zero), feed.Items[0].Published);
    }

    [Theory]
    [InlineData("windows-1251", true)]
    [InlineData("koi8-r", false)]
    public void Cyrillic_feeds_in_old_encodings_are_decoded_from_the_declaration_or_the_HTTP_charset(string encodingName, bool declared)
    {
        var encoding = Encoding.GetEncoding(encodingName);
        var xml = (declared ? $"<?xml version=\"1.0\" encoding=\"{encodingName}\"?>" : "") +
            "<rss version=\"2.0\"><channel><title>Забастовка</title><item><title>Рабочие остановили цех</title><link>https://x.example/1</link></item></channel></rss>";

        var feed = FeedParser.Parse(encoding.GetBytes(xml), declared ? null : encodingName, new Uri("https://x.example/rss"), Now);

        Assert.Equal("Забастовка", feed.Title);
        Assert.Equal("Рабочие остановили цех", feed.Items[0].Title);
    }

    [Theory]
    [InlineData("web-page.html", "not a feed: the address returns a web page")]
    [InlineData("garbage.xml", "not a feed: the XML is broken at line 1")]
    public void A_feed_that_turned_into_a_web_page_or_garbage_is_refused_with_a_reason(string fixture, string reason)
    {
        var e = Assert.Throws<FeedFormatException>(() => FeedParser.Parse(Fixture(fixture), null, new Uri("https://x.example/rss"), Now));
        Assert.Equal(reason, e.Message);
    }

    [Theory]
    [InlineData("0.91")]
    [InlineData("0.92")]
    [InlineData(null)]
    public void Old_and_versionless_RSS_is_read_as_RSS_2(string? version)
    {
        var attribute = version is null ? "" : $" version=\"{version}\"";
        var xml = $"<rss{attribute}><channel><title>Old</title><item><title>Item</title><link>https://o.example/1</link></item></channel></rss>";
        var feed = FeedParser.Parse(Encoding.UTF8.GetBytes(xml), null, new Uri("https://o.example/rss"), Now);
        Assert.Equal("Item", Assert.Single(feed.Items).Title);
    }

    [Fact]
    public void A_DTD_with_an_external_entity_is_not_followed()
    {
        var xxe = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><rss version=\"2.0\"><channel><title>&xxe;</title></channel></rss>";
        var e = Record.Exception(() => FeedParser.Parse(Encoding.UTF8.GetBytes(xxe), null, new Uri("https://x.example/rss"), Now));
        Assert.True(e is null or FeedFormatException);
        if (e is null)
        {
            Assert.DoesNotContain("root:", FeedParser.Parse(Encoding.UTF8.GetBytes(xxe), null, new Uri("https://x.example/rss"), Now).Title ?? "", StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("https://a.example/x?utm_source=t&id=1#top", "http://www.a.example/x?id=1&fbclid=z")]
    [InlineData("https://a.example/x/", "https://A.EXAMPLE:443/x")]
    public void Tracking_parameters_fragments_www_scheme_and_case_do_not_make_a_new_article(string a, string b) =>
        Assert.Equal(CanonicalUrl.Key(CanonicalUrl.Normalize(a)!), CanonicalUrl.Key(CanonicalUrl.Normalize(b)!));

    [Fact]
    public void Different_articles_keep_different_keys() =>
        Assert.NotEqual(CanonicalUrl.Key(CanonicalUrl.Normalize("https://a.example/x?id=1")!), CanonicalUrl.Key(CanonicalUrl.Normalize("https://a.example/x?id=2")!));

    [Fact]
    public void Summaries_are_cut_at_a_word_boundary_without_splitting_an_emoji()
    {
        var cut = PlainText.Cut("Workers of the Obukhov plant stopped 😀 work today", 40);
        Assert.Equal("Workers of the Obukhov plant stopped 😀…", cut);
        Assert.True(cut.Length <= 40);
        Assert.False(char.IsHighSurrogate(PlainText.Cut(new string('a', 38) + "😀😀", 40)[^2]));
    }
}
