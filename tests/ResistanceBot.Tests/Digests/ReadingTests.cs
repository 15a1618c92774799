using Microsoft.EntityFrameworkCore;
using ResistanceBot.Articles;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Tests.Articles;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tests.Integration;

namespace ResistanceBot.Tests.Digests;

/// <summary>
/// Readers read whole articles where they already are: the full text found when an article becomes a candidate, "📖" under
/// each item, topics that narrow a reader's edition, and the edition posted to the collective's channel.
/// </summary>
public sealed class ReadingTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const long EditorId = 5_200_001;
    private const long ChannelId = -1_001_234_567_890;

    private TestWebServer _web = null!;
    private BotHost _bot = null!;
    private TelegramUser _editor = null!;

    public async Task InitializeAsync()
    {
        _web = await TestWebServer.StartAsync();
        foreach (var (path, page) in new[] { ("/chita", "wordpress-blog.html"), ("/barnaul", "news-ru.html"), ("/teachers", "news-uk.html"), ("/relay", "hostile.html") })
        {
            _web.Serve(path, File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Pages", page)), "text/html; charset=utf-8");
        }

        _web.Serve("/feed.xml", FeedFixtures.Rss(
            "Resistance Wire",
            ("Rail workers in Chita refuse to load military freight", _web.Url("/chita").AbsoluteUri, "Forty workers stopped."),
            ("Mothers of the mobilised at the draft office in Barnaul", _web.Url("/barnaul").AbsoluteUri, "Thirty women."),
            ("Teachers in occupied Kherson region refuse to teach", _web.Url("/teachers").AbsoluteUri, "A second year of refusals."),
            ("Sabotage on the line near Belgorod", _web.Url("/relay").AbsoluteUri, "A relay cabinet burned.")));
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        emulator.CreateChannel(ChannelId, "Resistance digest");
        var db = TestDatabase.New();
        _bot = await BotHost.StartAsync(
            emulator,
            BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={EditorId}", $"--Digest:ChannelId={ChannelId}", "--Digest:ChannelLanguage=ru"),
            database: db);
        _editor = emulator.User(EditorId, "Editor");
    }

    public async Task DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _web.DisposeAsync();
    }

    private async Task FollowAndWaitForFullTextsAsync()
    {
        Assert.Equal("Following feed #1: Resistance Wire. New candidates: 4.", (await _editor.AskAsync($"/addfeed {_web.Url("/feed.xml")}", Wait)).Text);
        await _bot.Emulator.WaitUntilAsync(
            () => _bot.WithDbAsync(db => db.Articles.AllAsync(a => a.FullTextStatus != FullTextStatus.Pending)).Result,
            Wait,
            "the full texts to be looked for");
    }

    [Fact]
    public async Task Readers_with_different_topics_each_get_their_items_and_read_the_full_text_in_Telegram_once()
    {
        await FollowAndWaitForFullTextsAsync();
        var candidates = await _editor.AskAsync("/candidates", Wait);
        Assert.Contains("#1 📖 Rail workers in Chita", candidates.Text, StringComparison.Ordinal);
        Assert.Contains("#4 📖 Sabotage on the line", candidates.Text, StringComparison.Ordinal);

        await _editor.AskAsync("/topics add strikes Strikes / Забастовки / Страйки", Wait);
        await _editor.AskAsync("/topics add mobilisation Mobilisation / Мобилизация / Мобілізація", Wait);
        Assert.Equal("Topic sabotage added. Readers can now choose it in /settings.", (await _editor.AskAsync("/topics add sabotage Sabotage / Саботаж / Саботаж", Wait)).Text);
        Assert.Equal("#1 is tagged: strikes.", (await _editor.AskAsync("/tag 1 strikes", Wait)).Text);
        await _editor.AskAsync("/tag 2 mobilisation", Wait);
        await _editor.AskAsync("/tag 4 sabotage", Wait);
        Assert.Equal("No such topic: prisoners. /topics lists them.", (await _editor.AskAsync("/tag 3 prisoners", Wait)).Text);
        foreach (var id in new[] { 1, 2, 3, 4 })
        {
            await _editor.AskAsync($"/pick {id}", Wait);
        }

        // Everything, nothing chosen; strikes only; mobilisation and sabotage; every topic (which leaves nothing out).
        var all = await SubscribeAsync(6_100_001, "en", []);
        var strikes = await SubscribeAsync(6_100_002, "ru", ["strikes"]);
        var two = await SubscribeAsync(6_100_003, "uk", ["mobilisation", "sabotage"]);
        var every = await SubscribeAsync(6_100_004, "en", ["strikes", "mobilisation", "sabotage"]);
        var settings = await strikes.AskAsync("/settings", Wait);
        Assert.Contains("Темы: Забастовки", settings.Text, StringComparison.Ordinal);

        await Confirm.CommandAsync(_bot.Emulator, _editor, "/publish");

        var allEdition = await EditionAsync(all);
        var strikesEdition = await EditionAsync(strikes);
        var twoEdition = await EditionAsync(two);
        var everyEdition = await EditionAsync(every);
        Assert.Equal(["Rail workers", "Mothers of the mobilised", "Teachers in occupied", "Sabotage on the line"], Titles(allEdition));
        Assert.DoesNotContain("left out", allEdition.Text, StringComparison.Ordinal);
        Assert.Equal(["Rail workers", "Teachers in occupied"], Titles(strikesEdition));
        Assert.Contains("Только ваши темы: 2 материала на другие темы не вошли (/settings).", strikesEdition.Text, StringComparison.Ordinal);
        Assert.Equal(["Mothers of the mobilised", "Teachers in occupied", "Sabotage on the line"], Titles(twoEdition));
        Assert.Contains("Лише ваші теми: 1 матеріал на інші теми не ввійшли (/settings).", twoEdition.Text, StringComparison.Ordinal);
        Assert.Equal(allEdition.Text, everyEdition.Text);

        // One rendering per selection of items (whole, strikes', the other two's) and language, not per reader.
        var variants = await _bot.WithDbAsync(db => db.EditionParts.Select(p => p.Variant).Distinct().CountAsync());
        Assert.Equal(3, variants);

        // 📖 under every article with a full text, numbered as the reader sees the items.
        Assert.Equal(["📖 1", "📖 2"], strikesEdition.Buttons.SelectMany(r => r).Select(b => b.Text));
        var before = strikes.BotMessageCount;
        // The channel's post leaves the outbox once sent: wait for it, so that the count below can only move by the press.
        await _bot.Emulator.WaitUntilAsync(() => _bot.WithDbAsync(db => db.Outbox.AnyAsync(o => o.EditionId == null)).Result == false, Wait, "the channel's post to go");
        var rows = await RowsAsync();
        var press = strikesEdition.Buttons.SelectMany(r => r).First(b => b.Text == "📖 1").CallbackData!;
        strikes.PressButton(strikesEdition.MessageId, press);
        await _bot.Emulator.WaitUntilAsync(() => strikes.BotMessages.Single(m => m.MessageId == strikesEdition.MessageId).Buttons.SelectMany(r => r).Any(b => b.Text == "✓ 1"), Wait, "the pressed button to be marked");
        var text = strikes.BotMessages.Skip(before).ToList();
        Assert.NotEmpty(text);
        Assert.All(text, m => Assert.InRange(m.Text.Length, 1, 4096));
        Assert.StartsWith("Rail workers in Chita refuse to load military freight", text[0].Text, StringComparison.Ordinal);
        var whole = string.Join("\n", text.Select(m => m.Text));
        Assert.Contains("How the refusal began", whole, StringComparison.Ordinal);
        Assert.Contains("Nobody wanted to be the one who signs the loading sheet.", whole, StringComparison.Ordinal);
        Assert.Contains(text.SelectMany(m => m.Entities), e => e.Type == "text_link" && e.Url == "https://labourfront.example/2026/11/27/wagon-numbers/");
        Assert.Contains(text.SelectMany(m => m.Entities), e => e.Type == "blockquote");
        Assert.DoesNotContain("Share this", whole, StringComparison.Ordinal);
        Assert.EndsWith("Источник: Resistance Wire", text[^1].Text, StringComparison.Ordinal);
        Assert.Equal(rows, await RowsAsync()); // /privacy: which articles a reader opens is not stored

        // Pressed again (the ✓ button), or the old button pressed twice in a hurry: nothing new is sent.
        var count = strikes.BotMessageCount;
        var marked = strikes.BotMessages.Single(m => m.MessageId == strikesEdition.MessageId);
        var again = strikes.PressButton(strikesEdition.MessageId, marked.Buttons.SelectMany(r => r).First(b => b.Text == "✓ 1").CallbackData!);
        var twice = strikes.PressButton(strikesEdition.MessageId, press);
        await _bot.Emulator.WaitUntilAsync(() => _bot.Emulator.CallbackAnswers.Count(a => a.QueryId == again || a.QueryId == twice) == 2, Wait, "both presses answered");
        Assert.Equal(count, strikes.BotMessageCount);
        Assert.All(_bot.Emulator.CallbackAnswers.Where(a => a.QueryId == again || a.QueryId == twice), a => Assert.Equal("Уже отправлено выше.", a.Text));

        // The same button works from /digest, for the reader's own selection, in the reader's language.
        var digest = await two.AskAsync("/digest", Wait);
        Assert.Equal(twoEdition.Text, digest.Text);
        Assert.Equal(0, _bot.Emulator.Stats.BadRequests);
    }

    [Fact]
    public async Task The_edition_is_posted_to_the_channel_in_its_language_whole_and_without_buttons()
    {
        await FollowAndWaitForFullTextsAsync();
        await _editor.AskAsync("/pick 1", Wait);
        await _editor.AskAsync("/pick 3", Wait);
        await SubscribeAsync(6_100_010, "uk", []);

        await Confirm.CommandAsync(_bot.Emulator, _editor, "/publish");

        await _bot.Emulator.WaitUntilAsync(() => _bot.Emulator.Messages(ChannelId).Count > 0, Wait, "the channel's post");
        var post = Assert.Single(_bot.Emulator.Messages(ChannelId));
        Assert.StartsWith("📰 Дайджест сопротивления №1", post.Text, StringComparison.Ordinal);
        Assert.Contains("Rail workers in Chita refuse to load military freight", post.Text, StringComparison.Ordinal);
        Assert.Contains("Teachers in occupied Kherson region refuse to teach", post.Text, StringComparison.Ordinal);
        Assert.Empty(post.Buttons);
        Assert.Equal(0, await _bot.WithDbAsync(db => db.Outbox.CountAsync(o => o.EditionId == null)));
    }

    [Fact]
    public async Task An_editor_pastes_the_text_of_a_page_that_has_none_and_adds_to_it()
    {
        _web.Serve("/category", File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Pages", "index-page.html")), "text/html; charset=utf-8");
        await _editor.AskAsync($"/add {_web.Url("/category")}", Wait);
        Assert.Contains("#1 ∅ Strikes — Labour Front Watch", (await _editor.AskAsync("/candidates", Wait)).Text, StringComparison.Ordinal);

        var again = await _editor.AskAsync("/fulltext 1", Wait);
        var pasted = await _editor.AskAsync("/fulltext 1 The first paragraph, typed by an editor.\n\n> A quotation from a worker.", Wait);
        var added = await _editor.AskAsync("/fulltext 1 + A paragraph added afterwards.", Wait);

        Assert.Equal("No text found for #1: no article text found on the page. Readers get only the summary and the link; you can paste the text with /fulltext 1 TEXT.", again.Text);
        Assert.Equal("Full text of #1: 2 paragraphs, 66 characters. Readers can read it with 📖.", pasted.Text);
        Assert.Equal("Full text of #1: 3 paragraphs, 95 characters. Readers can read it with 📖.", added.Text);
        Assert.Contains("#1 📖 Strikes", (await _editor.AskAsync("/candidates", Wait)).Text, StringComparison.Ordinal);
        var text = await _bot.WithDbAsync(db => db.Articles.Select(a => a.FullText).SingleAsync());
        Assert.Equal([BlockKind.Paragraph, BlockKind.Quote, BlockKind.Paragraph], FullText.Parse(text).Select(b => b.Kind));
        Assert.Equal("There is no article #9.", (await _editor.AskAsync("/fulltext 9 Text", Wait)).Text);
    }

    private async Task<TelegramUser> SubscribeAsync(long id, string language, string[] topics)
    {
        var reader = _bot.Emulator.User(id, "Reader", languageCode: language);
        await reader.AskAsync("/subscribe", Wait);
        if (topics.Length > 0)
        {
            var settings = await reader.AskAsync("/settings", Wait);
            await ReaderJourneyTests.PressAsync(_bot, reader, settings, "set:top");
            foreach (var topic in topics)
            {
                await ReaderJourneyTests.PressAsync(_bot, reader, settings, "set:top:" + topic);
            }
        }

        return reader;
    }

    /// <summary>The rows a press could leave behind: readers and their settings, the outbox, the audit log, conversations.</summary>
    private Task<(int, int, int, int, int)> RowsAsync() => _bot.WithDbAsync(async db => (
        await db.Readers.CountAsync(),
        await db.Outbox.CountAsync(),
        await db.AuditEntries.CountAsync(),
        await db.Conversations.CountAsync(),
        await db.Readers.SumAsync(r => r.Topics.Length)));

    private async Task<ChatMessage> EditionAsync(TelegramUser reader)
    {
        await _bot.Emulator.WaitUntilAsync(() => reader.BotMessages.Any(m => m.Text.StartsWith("📰", StringComparison.Ordinal)), Wait, "the edition");
        return reader.BotMessages.Last(m => m.Text.StartsWith("📰", StringComparison.Ordinal));
    }

    private static List<string> Titles(ChatMessage edition) =>
        edition.Text.Split('\n').Where(l => l.Length > 3 && char.IsAsciiDigit(l[0]) && l.Contains(". ", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(". ", StringComparison.Ordinal) + 2)..])
            .Select(t => new[] { "Rail workers", "Mothers of the mobilised", "Teachers in occupied", "Sabotage on the line" }.First(p => t.StartsWith(p, StringComparison.Ordinal)))
            .ToList();
}
