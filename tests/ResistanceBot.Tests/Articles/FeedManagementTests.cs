using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using ResistanceBot.Articles;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Articles;

/// <summary>Feeds handled as a good reader app handles them: OPML in and out, the publisher's hints, an interval per feed, one notice for a dead feed.</summary>
public sealed class FeedManagementTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const long EditorId = 5_300_001;

    private TestWebServer _web = null!;

    public async Task InitializeAsync() => _web = await TestWebServer.StartAsync();

    public async Task DisposeAsync() => await _web.DisposeAsync();

    private static Task<BotHost> StartAsync(FakeTimeProvider? clock = null)
    {
        var emulator = BotApiEmulator.BotApiEmulator.StartAsync().GetAwaiter().GetResult();
        var db = TestDatabase.New();
        return BotHost.StartAsync(
            emulator,
            BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={EditorId}"),
            clock is null ? null : s =>
            {
                s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock));
                // The test polls by hand at the moments it sets; the background poller would poll again as the clock jumps.
                s.Remove(s.Single(d => d.ImplementationType == typeof(FeedPoller)));
            },
            db);
    }

    [Fact]
    public async Task Feeds_go_out_as_OPML_and_come_back_into_another_bot_unchanged()
    {
        _web.Serve("/a.xml", FeedFixtures.Rss("Strike Watch", ("One", "https://a.example/1", "x")));
        _web.Serve("/b.xml", FeedFixtures.Rss("Mothers' Council", ("Two", "https://b.example/1", "y")));
        await using var first = await StartAsync();
        var editor = first.Emulator.User(EditorId, "Editor");
        await editor.AskAsync($"/addfeed {_web.Url("/a.xml")}", Wait);
        await editor.AskAsync($"/addfeed {_web.Url("/b.xml")}", Wait);

        var export = await editor.AskAsync("/exportfeeds", Wait);

        Assert.Equal("feeds.opml", export.Document!.FileName);
        Assert.Equal("2 feeds in OPML: any feed reader can import this file, and /importfeeds takes it back.", export.Text);
        var opml = Encoding.UTF8.GetString(export.Document.Content);
        Assert.Contains("<opml version=\"2.0\">", opml, StringComparison.Ordinal);
        Assert.Contains($"xmlUrl=\"{_web.Url("/a.xml")}\"", opml, StringComparison.Ordinal);

        await using var second = await StartAsync();
        var other = second.Emulator.User(EditorId, "Editor");
        Assert.StartsWith("Send the OPML file as a document", (await other.AskAsync("/importfeeds", Wait)).Text, StringComparison.Ordinal);
        var imported = await other.AskAsync("", Wait, () => other.SendDocument(export.Document.Content, "feeds.opml", "text/x-opml"));
        Assert.Equal("Imported: 2 new feeds; already followed: 0; not http or https, skipped: 0. New feeds are read within a minute; /feeds shows how each fares.", imported.Text);
        // The poller looks for due feeds every 30 seconds.
        await second.Emulator.WaitUntilAsync(() => second.WithDbAsync(db => db.Feeds.AllAsync(f => f.LastSuccessAt != null)).Result, TimeSpan.FromSeconds(45), "the imported feeds to be read");

        var again = await other.AskAsync("/exportfeeds", Wait);
        Assert.Equal(Urls(opml), Urls(Encoding.UTF8.GetString(again.Document!.Content)));
        var feeds = await other.AskAsync("/feeds", Wait);
        Assert.Contains("Strike Watch", feeds.Text, StringComparison.Ordinal);
        Assert.Contains("Mothers' Council", feeds.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_OPML_file_from_another_reader_is_taken_with_its_folders_and_bad_entries_are_counted_not_followed()
    {
        await using var bot = await StartAsync();
        var editor = bot.Emulator.User(EditorId, "Editor");
        await editor.AskAsync("/importfeeds", Wait);
        var opml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <opml version="1.0"><head><title>My subscriptions</title></head><body>
              <outline text="Labour"><outline text="Rail" type="rss" xmlUrl="https://rail.example/feed"/><outline text="Mines" type="rss" xmlUrl="https://mines.example/rss.xml"/></outline>
              <outline text="Again" type="rss" xmlUrl="https://rail.example/feed?utm_source=reader"/>
              <outline text="Local file" type="rss" xmlUrl="file:///etc/passwd"/>
              <outline text="Folder without feeds"/>
            </body></opml>
            """;

        var answer = await editor.AskAsync("", Wait, () => editor.SendDocument(Encoding.UTF8.GetBytes(opml), "subs.opml", "text/x-opml"));

        Assert.Equal("Imported: 2 new feeds; already followed: 1; not http or https, skipped: 1. New feeds are read within a minute; /feeds shows how each fares.", answer.Text);
        Assert.Equal(["https://mines.example/rss.xml", "https://rail.example/feed"], await bot.WithDbAsync(db => db.Feeds.Select(f => f.Url).OrderBy(u => u).ToListAsync()));
    }

    [Theory]
    [InlineData("<!DOCTYPE opml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><opml version=\"2.0\"><body><outline xmlUrl=\"https://x.example/&b;\"/></body></opml>")]
    [InlineData("<rss version=\"2.0\"><channel><title>Not OPML</title></channel></rss>")]
    [InlineData("not xml at all")]
    public async Task A_file_that_is_not_plain_OPML_is_refused_and_nothing_is_followed(string content)
    {
        await using var bot = await StartAsync();
        var editor = bot.Emulator.User(EditorId, "Editor");
        await editor.AskAsync("/importfeeds", Wait);

        var answer = await editor.AskAsync("", Wait, () => editor.SendDocument(Encoding.UTF8.GetBytes(content), "x.opml", "text/x-opml"));

        Assert.Equal("Could not read that file as OPML (or it is larger than 1 MB). Nothing was imported.", answer.Text);
        Assert.Equal(0, await bot.WithDbAsync(db => db.Feeds.CountAsync()));
    }

    [Theory]
    [InlineData("<ttl>180</ttl>", null, 180)]
    [InlineData("", "max-age=3600", 60)]
    [InlineData("<ttl>10</ttl>", "max-age=60", 30)]
    [InlineData("<ttl>100000</ttl>", null, 360)]
    [InlineData("", "no-cache, max-age=7200", 30)]
    [InlineData("", null, 30)]
    public async Task The_publishers_ttl_and_Cache_Control_slow_polling_within_bounds_and_never_speed_it_up(string ttl, string? cacheControl, int expectedMinutes)
    {
        var path = "/hint-" + Guid.NewGuid().ToString("N") + ".xml";
        var rss = FeedFixtures.Rss("Hints", ("One", "https://h.example/1", "x")).Replace("<title>Hints</title>", "<title>Hints</title>" + ttl, StringComparison.Ordinal);
        _web.Route(path, async http =>
        {
            if (cacheControl is not null)
            {
                http.Response.Headers.CacheControl = cacheControl;
            }

            http.Response.ContentType = "application/rss+xml";
            await http.Response.WriteAsync(rss);
        });
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var bot = await StartAsync(clock);

        var feed = await bot.WithDbAsync(async db =>
        {
            var feed = new Feed { Url = _web.Url(path).AbsoluteUri, IntervalMinutes = 30, NextPollAt = DateTime.MaxValue.AddDays(-10) };
            db.Feeds.Add(feed);
            await db.SaveChangesAsync();
            await bot.Services.GetRequiredService<FeedService>().PollAsync(db, feed, CancellationToken.None);
            return feed;
        });

        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), feed.NextPollAt - clock.GetUtcNow().UtcDateTime);
    }

    [Fact]
    public async Task An_editor_sets_a_feeds_own_interval_within_bounds()
    {
        _web.Serve("/interval.xml", FeedFixtures.Rss("Interval", ("One", "https://i.example/1", "x")));
        await using var bot = await StartAsync();
        var editor = bot.Emulator.User(EditorId, "Editor");
        await editor.AskAsync($"/addfeed {_web.Url("/interval.xml")}", Wait);

        Assert.Equal("Feed #1 is now read every 10 minutes.", (await editor.AskAsync("/feedinterval 1 10", Wait)).Text);
        Assert.StartsWith("Usage: /feedinterval N MINUTES, from 5 to 1440 minutes.", (await editor.AskAsync("/feedinterval 1 2", Wait)).Text, StringComparison.Ordinal);
        Assert.Equal("There is no feed #7.", (await editor.AskAsync("/feedinterval 7 60", Wait)).Text);
        Assert.Equal(10, await bot.WithDbAsync(db => db.Feeds.Select(f => f.IntervalMinutes).SingleAsync()));
    }

    [Fact]
    public async Task Editors_hear_of_a_dead_feed_once_after_a_day_of_failures_and_once_when_it_works_again()
    {
        var failing = true;
        _web.Route("/dying.xml", async http =>
        {
            if (failing)
            {
                http.Response.StatusCode = 404; // not retried: the fetcher's retry delays run on the fake clock
                return;
            }

            http.Response.ContentType = "application/rss+xml";
            await http.Response.WriteAsync(FeedFixtures.Rss("Dying Wire", ("Back", "https://d.example/1", "x")));
        });
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var bot = await StartAsync(clock);
        var editor = bot.Emulator.User(EditorId, "Editor");
        await bot.WithDbAsync(async db =>
        {
            db.Feeds.Add(new Feed { Url = _web.Url("/dying.xml").AbsoluteUri, Title = "Dying Wire", IntervalMinutes = 30, NextPollAt = DateTime.MaxValue.AddDays(-10) });
            return await db.SaveChangesAsync();
        });

        async Task PollAsync(TimeSpan after)
        {
            clock.Advance(after);
            await bot.WithDbAsync(async db => await bot.Services.GetRequiredService<FeedService>().PollAsync(db, await db.Feeds.SingleAsync(), CancellationToken.None));
        }

        await PollAsync(TimeSpan.Zero);
        await PollAsync(TimeSpan.FromHours(6));
        await PollAsync(TimeSpan.FromHours(12));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, editor.BotMessageCount);

        await PollAsync(TimeSpan.FromHours(6.5));
        await bot.Emulator.WaitUntilAsync(() => editor.BotMessageCount == 1, Wait, "the failure notice");
        Assert.Equal("⚠️ Feed #1 (Dying Wire) has failed for a day without a break: 4 attempts, the last one with “HTTP 404”. It is still tried, less often. /feeds shows its state; /removefeed 1 stops it.", editor.BotMessages[0].Text);

        await PollAsync(TimeSpan.FromHours(6));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(1, editor.BotMessageCount);

        failing = false;
        await PollAsync(TimeSpan.FromHours(6));
        await bot.Emulator.WaitUntilAsync(() => editor.BotMessageCount == 2, Wait, "the recovery notice");
        Assert.Equal("✅ Feed #1 (Dying Wire) works again.", editor.BotMessages[1].Text);
    }

    private static List<string> Urls(string opml) =>
        System.Text.RegularExpressions.Regex.Matches(opml, "xmlUrl=\"([^\"]+)\"").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToList();
}
