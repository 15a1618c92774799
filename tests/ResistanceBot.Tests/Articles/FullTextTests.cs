using ResistanceBot.Articles;
using Telegram.Bot;
using Telegram.Bot.Types.Enums;

namespace ResistanceBot.Tests.Articles;

/// <summary>The readable text of real-looking article pages: what readers get with "📖", and what Telegram accepts of it.</summary>
public sealed class FullTextTests
{
    private static string Page(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Pages", name));

    private static List<TextBlock> Extract(string page, string url) =>
        FullText.Parse(FullText.Extract(Page(page), new Uri(url)) ?? throw new Xunit.Sdk.XunitException(page + ": no text extracted"));

    private static string Plain(IEnumerable<TextBlock> blocks) => string.Join("\n", blocks.Select(b => string.Concat(b.Runs.Select(r => r.Text))));

    [Fact]
    public void A_wordpress_post_keeps_its_paragraphs_headings_quote_list_and_links_and_loses_menus_shares_comments_and_images()
    {
        var blocks = Extract("wordpress-blog.html", "https://labourfront.example/2026/11/28/chita/");
        var text = Plain(blocks);

        Assert.StartsWith("Around forty workers at the freight yard in Chita stopped work", Plain(blocks.Where(b => b.Kind == BlockKind.Paragraph)), StringComparison.Ordinal);
        Assert.Contains(blocks, b => b.Kind == BlockKind.Heading && Plain([b]) == "How the refusal began");
        Assert.Contains(blocks, b => b.Kind == BlockKind.Heading && Plain([b]) == "What the workers ask for");
        Assert.Contains(blocks, b => b.Kind == BlockKind.Quote && Plain([b]).StartsWith("Nobody wanted to be the one who signs the loading sheet.", StringComparison.Ordinal));
        Assert.Contains(blocks, b => Plain([b]) == "• payment of overtime owed since August;");
        var link = blocks.SelectMany(b => b.Runs).Single(r => r.Text == "wagon numbers");
        Assert.Equal("https://labourfront.example/2026/11/27/wagon-numbers/", link.Href);
        Assert.Contains("A lawyer from the rail workers' rights network says the leave itself is unlawful.", text, StringComparison.Ordinal);
        foreach (var noise in new[] { "Skip to the content", "Donate", "Share this", "Post Comment", "Where can one send money", "Recent posts", "Powered by WordPress", "_wpemojiSettings" })
        {
            Assert.DoesNotContain(noise, text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("yard.jpg", FullText.Serialize(blocks), StringComparison.Ordinal);
    }

    [Fact]
    public void A_russian_news_page_keeps_the_story_and_loses_banners_state_scripts_related_links_and_the_donation_box()
    {
        var blocks = Extract("news-ru.html", "https://svodka.example/news/2026/11/29/barnaul");
        var text = Plain(blocks);

        Assert.Contains("Женщины собрались у здания военного комиссариата Алтайского края около одиннадцати утра.", text, StringComparison.Ordinal);
        Assert.Contains(blocks, b => b.Kind == BlockKind.Heading && Plain([b]) == "Что ответили в военкомате");
        Assert.Contains(blocks, b => b.Kind == BlockKind.Quote && Plain([b]) == "Мы не враги. Мы хотим, чтобы наши мужья вернулись домой живыми.");
        Assert.Equal("https://svodka.example/news/2026/10/14/barnaul-petition", blocks.SelectMany(b => b.Runs).Single(r => r.Text == "женщины собрали больше тысячи подписей").Href);
        Assert.Contains("Похожие встречи проходили в Новосибирске, Омске и Красноярске.", text, StringComparison.Ordinal);
        foreach (var noise in new[] { "__INITIAL_STATE__", "Реклама", "Поиск", "Поддержать нас", "Политика конфиденциальности", "ВКонтакте" })
        {
            Assert.DoesNotContain(noise, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_ukrainian_news_page_keeps_its_subheads_and_the_quoted_post_and_loses_the_newsletter_form()
    {
        var blocks = Extract("news-uk.html", "https://south.example/news/2026/11/30/teachers/");
        var text = Plain(blocks);

        Assert.Contains("вчителі вже другий рік відмовляються працювати в школах", text, StringComparison.Ordinal);
        Assert.Contains(blocks, b => b.Kind == BlockKind.Heading && Plain([b]) == "Тиск і погрози");
        Assert.Contains(blocks, b => b.Kind == BlockKind.Quote && Plain([b]).StartsWith("Ми вчили дітей українською тридцять років.", StringComparison.Ordinal));
        Assert.Equal("https://mon.example/news/okupovani", blocks.SelectMany(b => b.Runs).Single(r => r.Text == "повідомленні Міністерства освіти").Href);
        Assert.DoesNotContain("Ваш e-mail", text, StringComparison.Ordinal);
        Assert.DoesNotContain("analytics.example", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_page_of_links_has_no_article_text()
    {
        Assert.Null(FullText.Extract(Page("index-page.html"), new Uri("https://labourfront.example/category/strikes/")));
    }

    [Fact]
    public void Scripts_handlers_frames_and_non_http_links_never_survive_and_escaped_markup_stays_text()
    {
        var stored = FullText.Extract(Page("hostile.html"), new Uri("https://belgorod.example/fire"))!;
        var blocks = FullText.Parse(stored);

        foreach (var bad in new[] { "steal", "onclick", "onerror", "javascript", "data:", "iframe", "<img", "style", "tracker" })
        {
            Assert.DoesNotContain(bad, stored, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains("an electrical fault", Plain(blocks), StringComparison.Ordinal);
        Assert.DoesNotContain(blocks.SelectMany(b => b.Runs), r => r.Href is not null && r.Text.Contains("electrical fault", StringComparison.Ordinal));
        Assert.DoesNotContain(blocks.SelectMany(b => b.Runs), r => r.Href is not null && r.Text.Contains("different story", StringComparison.Ordinal));
        Assert.Equal("https://railfires.example/map", blocks.SelectMany(b => b.Runs).Single(r => r.Text == "map of relay-cabinet fires").Href);
        Assert.Contains("<b>not bold</b> & <a href=\"https://evil.example\">not a link</a>", Plain(blocks), StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;a href=&quot;https://evil.example&quot;&gt;", stored, StringComparison.Ordinal);
    }

    [Fact]
    public void Pasted_text_becomes_paragraphs_and_quotations()
    {
        var blocks = FullText.Parse(FullText.FromPlainText("First paragraph,\nwith a line break.\n\n> A quote\n> on two lines\n\nLast <b>one</b>."));

        Assert.Equal([BlockKind.Paragraph, BlockKind.Quote, BlockKind.Paragraph], blocks.Select(b => b.Kind));
        Assert.Equal("First paragraph,\nwith a line break.", Plain([blocks[0]]));
        Assert.Equal("A quote\non two lines", Plain([blocks[1]]));
        Assert.Equal("Last <b>one</b>.", Plain([blocks[2]]));
    }

    [Fact]
    public async Task Every_page_and_a_very_long_article_go_to_Telegram_in_parts_it_accepts_split_between_paragraphs()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var bot = new TelegramBotClient(new TelegramBotClientOptions(emulator.Token, emulator.BaseUrl.ToString()) { RetryThreshold = 0 });
        var reader = emulator.User(1, "Reader");
        var random = new Random(15);
        var words = "забастовка strike <b> & \"quoted\" відмова 🔥 ünïcødé line".Split(' ');
        var paragraphs = Enumerable.Range(0, 60).Select(i => string.Join(' ', Enumerable.Range(0, random.Next(5, 400)).Select(_ => words[random.Next(words.Length)])));
        var longText = FullText.FromPlainText(string.Join("\n\n", paragraphs) + "\n\n" + string.Concat(Enumerable.Repeat("без_пробелов", 900)));
        var texts = new[]
        {
            FullText.Extract(Page("wordpress-blog.html"), new Uri("https://labourfront.example/x"))!,
            FullText.Extract(Page("news-ru.html"), new Uri("https://svodka.example/x"))!,
            FullText.Extract(Page("news-uk.html"), new Uri("https://south.example/x"))!,
            longText,
        };

        var sent = 0;
        foreach (var text in texts)
        {
            var parts = FullText.ToTelegram("A title & <more>", text);
            var received = new List<string>();
            foreach (var part in parts)
            {
                var message = await bot.SendMessage(reader.Id, part, ParseMode.Html);
                Assert.InRange(message.Text!.Length, 1, 4096);
                received.Add(message.Text);
                sent++;
            }

            // Nothing lost: every block's text is there, in order, across the parts.
            var all = string.Join("\n\n", received);
            var at = 0;
            foreach (var block in FullText.Parse(text))
            {
                var first = block.Runs[0].Text.Split(' ', '\n')[0];
                first = first[..Math.Min(first.Length, 40)];
                var found = all.IndexOf(first, at, StringComparison.Ordinal);
                Assert.True(found >= 0, $"\"{first}\" is missing after position {at}");
                at = found;
            }
        }

        Assert.Equal(0, emulator.Stats.BadRequests);
        Assert.True(sent > 8, $"{sent} parts");
    }
}
