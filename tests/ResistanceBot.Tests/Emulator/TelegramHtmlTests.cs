using ResistanceBot.BotApiEmulator;

namespace ResistanceBot.Tests.Emulator;

/// <summary>The emulator's HTML parser against the rules in reference §6.1 (TDLib's parse_html).</summary>
public sealed class TelegramHtmlTests
{
    [Theory]
    [InlineData("a < b", "Unsupported start tag \"\" at byte offset 2")]
    [InlineData("line<br>next", "Unsupported start tag \"br\" at byte offset 4")]
    [InlineData("<b/>", "Unsupported start tag \"b/\" at byte offset 0")]
    [InlineData("<p>para</p>", "Unsupported start tag \"p\" at byte offset 0")]
    [InlineData("<b>bold", "Can't find end tag corresponding to start tag \"b\"")]
    [InlineData("<b>x</i>", "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\"")]
    [InlineData("text</b>", "Unexpected end tag at byte offset 4")]
    [InlineData("<span>x</span>", "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0")]
    [InlineData("<b", "Unclosed start tag at byte offset 0")]
    [InlineData("<b>x</b", "Unclosed end tag at byte offset 4")]
    [InlineData("привет <x>", "Unsupported start tag \"x\" at byte offset 13")]
    public void Malformed_HTML_gives_the_real_servers_error(string html, string error)
    {
        var e = Assert.Throws<HtmlParseException>(() => TelegramHtml.Parse(html));
        Assert.Equal(error, e.Message);
    }

    [Theory]
    [InlineData("a & b > c", "a & b > c")]
    [InlineData("&lt;b&gt; &amp; &quot;q&quot;", "<b> & \"q\"")]
    [InlineData("&lt &gt", "< >")]
    [InlineData("&nbsp;&copy;&LT;", "&nbsp;&copy;&LT;")]
    [InlineData("&#65;&#x42;&#0;", "AB&#0;")]
    [InlineData("  \n <b></b> text \n ", "text")]
    public void Entities_and_bare_characters_decode_as_Telegram_does(string html, string text) =>
        Assert.Equal(text, TelegramHtml.Parse(html).Text);

    [Fact]
    public void Entity_offsets_count_UTF16_units_so_emoji_count_twice()
    {
        var parsed = TelegramHtml.Parse("😀 <b>bold</b> <a href=\"https://example.org/x?a=1&amp;b=2\">link</a>");
        Assert.Equal("😀 bold link", parsed.Text);
        Assert.Equal(new MessageEntity("bold", 3, 4), parsed.Entities[0]);
        Assert.Equal(new MessageEntity("text_link", 8, 4, Url: "https://example.org/x?a=1&b=2"), parsed.Entities[1]);
        Assert.Equal(12, TelegramHtml.CodePointLength(parsed.Text) + 1);
    }

    [Fact]
    public void Pre_with_a_code_language_becomes_one_pre_entity_and_closing_tag_case_is_ignored()
    {
        var parsed = TelegramHtml.Parse("<PRE><code class=\"language-python\">print(1)</code></pre><blockquote expandable>q</blockquote><i>x</>");
        Assert.Equal("print(1)qx", parsed.Text);
        Assert.Contains(parsed.Entities, e => e.Type == "pre");
        Assert.DoesNotContain(parsed.Entities, e => e.Type == "code");
        Assert.Contains(parsed.Entities, e => e.Type == "expandable_blockquote");
        Assert.Contains(parsed.Entities, e => e.Type == "italic");
    }
}
