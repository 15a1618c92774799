using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ResistanceBot.Articles;
using ResistanceBot.Tests.Articles;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tests.Integration;

namespace ResistanceBot.Tests.Digests;

/// <summary>The editors' day through Telegram: feed → candidates → pick → preview → publish, and readers reading the edition.</summary>
public sealed class EditorialFlowTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const long AdminId = 5_000_001;
    private const long EditorId = 5_000_002;

    private TestWebServer _web = null!;
    private BotHost _bot = null!;

    public async Task InitializeAsync()
    {
        _web = await TestWebServer.StartAsync();
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        _bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={AdminId}"), database: db);
        var admin = _bot.Emulator.User(AdminId, "Admin");
        await admin.AskAsync($"/addstaff {EditorId} editor", Wait);
    }

    public async Task DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _web.DisposeAsync();
    }

    [Fact]
    public async Task Feed_to_candidates_to_pick_to_preview_to_publish_and_every_reader_gets_it_in_their_language()
    {
        _web.Serve("/feed.xml", FeedFixtures.Rss(
            "Strike Watch",
            ("Workers stop the <b>tank</b> line", "https://strikewatch.example/1?utm_source=rss", "<p>About 300 workers walked out.</p>"),
            ("Mothers protest at the draft office", "https://strikewatch.example/2", "Dozens gathered & demanded answers."),
            ("A story nobody picks", "https://strikewatch.example/3", "Ignored.")));
        var editor = _bot.Emulator.User(EditorId, "Editor");
        var readers = new[] { ("en", "📰 Resistance digest №1"), ("ru", "📰 Дайджест сопротивления №1"), ("uk", "📰 Дайджест опору №1") }
            .Select((r, i) => (User: _bot.Emulator.User(6_000_000 + i, "Reader", languageCode: r.Item1), Header: r.Item2))
            .ToList();
        foreach (var (reader, _) in readers)
        {
            await reader.AskAsync("/subscribe", Wait);
        }

        var hourly = _bot.Emulator.User(6_000_010, "Hourly");
        await hourly.AskAsync("/subscribe", Wait);
        var settings = await hourly.AskAsync("/settings", Wait);
        await ReaderJourneyTests.PressAsync(_bot, hourly, settings, "set:hour:6");

        var added = await editor.AskAsync($"/addfeed {_web.Url("/feed.xml")}", Wait);
        Assert.Equal("Following feed #1: Strike Watch. New candidates: 3.", added.Text);

        var candidates = await editor.AskAsync("/candidates", Wait);
        Assert.Contains("Workers stop the tank line — Strike Watch", candidates.Text, StringComparison.Ordinal);
        var ids = await _bot.WithDbAsync(db => db.Articles.OrderBy(a => a.Id).Select(a => a.Id).ToListAsync());
        await ReaderJourneyTests.PressAsync(_bot, editor, candidates, $"cand:pick:{ids[0]}");
        Assert.Contains("#" + ids[0], editor.BotMessages.Single(m => m.MessageId == candidates.MessageId).Text, StringComparison.Ordinal);
        Assert.StartsWith($"#{ids[1]} is item 2", (await editor.AskAsync($"/pick {ids[1]}", Wait)).Text, StringComparison.Ordinal);
        Assert.StartsWith($"#{ids[1]} is now item 1", (await editor.AskAsync($"/move {ids[1]} 1", Wait)).Text, StringComparison.Ordinal);
        Assert.StartsWith($"#{ids[2]} dropped", (await editor.AskAsync($"/drop {ids[2]}", Wait)).Text, StringComparison.Ordinal);

        var preview = await editor.AskAsync("/preview", Wait);
        Assert.StartsWith("📰 Resistance digest №1", preview.Text, StringComparison.Ordinal);
        Assert.True(preview.Text.IndexOf("Mothers protest", StringComparison.Ordinal) < preview.Text.IndexOf("Workers stop", StringComparison.Ordinal));
        Assert.Contains(preview.Entities, e => e.Type == "text_link" && e.Url == "https://strikewatch.example/1");
        Assert.True(preview.LinkPreviewDisabled);

        // Publishing reaches every subscriber and cannot be called back: it asks first, and Cancel does nothing.
        var question = await editor.AskAsync("/publish", Wait);
        Assert.Equal("Release the next edition now, with 2 items, to 4 subscribers? It cannot be called back.", question.Text);
        var cancelled = await Confirm.PressAsync(_bot.Emulator, editor, question, Confirm.Button(question, "k:n:"));
        Assert.Equal("Cancelled: nothing was done.", cancelled.Text);
        Assert.Equal(0, await _bot.WithDbAsync(db => db.Editions.CountAsync()));
        var published = await Confirm.CommandAsync(_bot.Emulator, editor, "/publish");
        Assert.Equal("Edition №1 released with 2 items. Getting it now: 3 subscribers; at the hour they chose: 1.", published.Text);
        Assert.Empty(published.Buttons);
        var edition = await _bot.WithDbAsync(db => db.Editions.Include(e => e.Items).Include(e => e.Parts).SingleAsync());
        Assert.Equal(["Mothers protest at the draft office", "Workers stop the tank line"], edition.Items.OrderBy(i => i.Position).Select(i => i.Title));
        Assert.Equal(3, edition.Parts.Select(p => p.Language).Distinct().Count());
        Assert.Equal(0, await _bot.WithDbAsync(db => db.Articles.CountAsync(a => a.State == CandidateState.Picked)));

        foreach (var (reader, header) in readers)
        {
            var digest = await reader.AskAsync("/digest", Wait);
            Assert.StartsWith(header, digest.Text, StringComparison.Ordinal);
            Assert.Contains("Dozens gathered & demanded answers.", digest.Text, StringComparison.Ordinal);
        }

        Assert.Equal("Nothing is picked for the next edition. /candidates lists what waits.", (await editor.AskAsync("/publish", Wait)).Text);
    }

    [Fact]
    public async Task Add_reads_the_title_summary_and_site_from_the_page_and_a_repeat_is_recognised()
    {
        _web.Serve("/article", """
            <!DOCTYPE html><html lang="ru"><head>
            <title>Fallback title</title>
            <meta property="og:title" content="Дезертиры &amp; их истории">
            <meta property="og:description" content="Как солдаты уходят из частей.">
            <meta property="og:site_name" content="Deserters' notes">
            </head><body><p>Body.</p></body></html>
            """, "text/html; charset=utf-8");
        _web.Serve("/plain", "<html><head><title>Only a title</title></head><body><article><p>This first paragraph is long enough to serve as the summary of the page.</p></article></body></html>", "text/html");
        var editor = _bot.Emulator.User(EditorId, "Editor");

        var added = await editor.AskAsync($"/add {_web.Url("/article?utm_campaign=x")}", Wait);
        var again = await editor.AskAsync($"/add {_web.Url("/article")}", Wait);
        await editor.AskAsync($"/add {_web.Url("/plain")}", Wait);
        var failed = await editor.AskAsync($"/add {_web.Url("/missing")}", Wait);

        Assert.Matches(@"^Added #\d+: Дезертиры & их истории$", added.Text);
        Assert.Matches(@"^Already there as #\d+: Дезертиры & их истории$", again.Text);
        Assert.Equal("Could not read that page: HTTP 404.", failed.Text);
        var articles = await _bot.WithDbAsync(db => db.Articles.OrderBy(a => a.Id).ToListAsync());
        Assert.Equal(("Deserters' notes", "Как солдаты уходят из частей.", "ru"), (articles[0].Source, articles[0].Summary, articles[0].Language));
        Assert.Equal(("Only a title", "This first paragraph is long enough to serve as the summary of the page."), (articles[1].Title, articles[1].Summary));
    }

    [Fact]
    public async Task A_reader_pressing_a_forged_pick_button_changes_nothing_and_is_audited()
    {
        _web.Serve("/one.xml", FeedFixtures.Rss("One", ("Only story", "https://one.example/1", "Text.")));
        var editor = _bot.Emulator.User(EditorId, "Editor");
        await editor.AskAsync($"/addfeed {_web.Url("/one.xml")}", Wait);
        var reader = _bot.Emulator.User(6_100_000, "Reader");
        var start = await reader.AskAsync("/start", Wait);
        var id = await _bot.WithDbAsync(db => db.Articles.Select(a => a.Id).SingleAsync());

        await ReaderJourneyTests.PressAsync(_bot, reader, start, $"cand:pick:{id}", expectEdit: false);
        var denied = await reader.AskAsync($"/pick {id}", Wait);

        Assert.Equal("I don't know that command. /help lists what you can do.", denied.Text);
        Assert.Equal(CandidateState.New, await _bot.WithDbAsync(db => db.Articles.Select(a => a.State).SingleAsync()));
        Assert.Equal(2, await _bot.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "denied" && a.Actor == "reader")));
    }

    [Fact]
    public async Task A_long_feed_list_comes_in_several_messages_that_Telegram_accepts()
    {
        await using (var scope = _bot.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ResistanceBot.Storage.BotDbContext>();
            for (var i = 0; i < 40; i++)
            {
                db.Feeds.Add(new Feed
                {
                    Url = $"https://feed{i}.example/rss",
                    Title = new string('T', 100),
                    Failures = 3,
                    LastError = "not a feed: " + new string('<', 280),
                    NextPollAt = DateTime.MaxValue.AddDays(-1),
                });
            }

            await db.SaveChangesAsync();
        }

        var editor = _bot.Emulator.User(EditorId, "Editor");
        var before = editor.BotMessageCount;
        editor.SendText("/feeds");
        await _bot.Emulator.WaitUntilAsync(() => _bot.Emulator.PendingUpdateCount == 0 && editor.BotMessageCount > before + 2, Wait, "the feed list");
        await Eventually.HoldsAsync(() => Task.FromResult(_bot.Emulator.PendingUpdateCount == 0));

        var list = string.Concat(editor.BotMessages.Skip(before).Select(m => m.Text));
        Assert.Equal(40, list.Split("⚠️ failing").Length - 1);
        Assert.Equal(0, _bot.Emulator.Stats.BadRequests);
    }

    [Fact]
    public async Task A_feed_that_fails_shows_as_failing_in_feeds_with_the_reason()
    {
        _web.Serve("/flaky.xml", FeedFixtures.Rss("Flaky", ("Story", "https://flaky.example/1", "Text.")));
        var editor = _bot.Emulator.User(EditorId, "Editor");
        await editor.AskAsync($"/addfeed {_web.Url("/flaky.xml")}", Wait);
        _web.Serve("/flaky.xml", "<!DOCTYPE html><html></html>", "text/html");
        await using (var scope = _bot.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ResistanceBot.Storage.BotDbContext>();
            await scope.ServiceProvider.GetRequiredService<FeedService>().PollAsync(db, await db.Feeds.SingleAsync(), CancellationToken.None);
        }

        var feeds = await editor.AskAsync("/feeds", Wait);
        Assert.Contains("#1 Flaky — ⚠️ failing (1 time in a row): not a feed: the address returns a web page.", feeds.Text, StringComparison.Ordinal);

        var refused = await editor.AskAsync($"/addfeed {_web.Url("/nothing-here.xml")}", Wait);
        Assert.Equal("Could not read that feed: HTTP 404. Nothing was added.", refused.Text);
        Assert.Equal(1, await _bot.WithDbAsync(db => db.Feeds.CountAsync()));

        // Unfollowing asks first, naming the feed; asking removes nothing.
        var question = await editor.AskAsync("/removefeed 1", Wait);
        Assert.Equal($"Stop following feed #1 ({_web.Url("/flaky.xml")})? Its articles stay.", question.Text);
        Assert.Equal(1, await _bot.WithDbAsync(db => db.Feeds.CountAsync()));
        Assert.Equal("Feed #1 removed; its articles stay.", (await Confirm.YesAsync(_bot.Emulator, editor, question)).Text);
        Assert.Equal(0, await _bot.WithDbAsync(db => db.Feeds.CountAsync()));
        Assert.Equal("There is no feed #1.", (await editor.AskAsync("/removefeed 1", Wait)).Text);
    }
}
