using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ResistanceBot.Articles;
using ResistanceBot.Storage;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Articles;

/// <summary>Feed polling against a real HTTP server on 127.0.0.1 that answers 304, 500, slowly, with garbage or too much.</summary>
public sealed class FeedPollingTests : IAsyncLifetime
{
    private TestWebServer _web = null!;
    private BotHost _bot = null!;

    public async Task InitializeAsync()
    {
        _web = await TestWebServer.StartAsync();
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        _bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, db, "--Articles:FetchTimeoutSeconds=2", "--Articles:MaxDownloadBytes=100000"), database: db);
    }

    public async Task DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _web.DisposeAsync();
    }

    private async Task<(FeedService.PollOutcome Outcome, Feed Feed)> PollAsync(string path)
    {
        await using var scope = _bot.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        var feed = await db.Feeds.FirstOrDefaultAsync(f => f.Url == _web.Url(path).AbsoluteUri);
        if (feed is null)
        {
            // Far in the future: this test polls it, not the background poller.
            feed = new Feed { Url = _web.Url(path).AbsoluteUri, IntervalMinutes = 30, NextPollAt = DateTime.MaxValue.AddDays(-10) };
            db.Feeds.Add(feed);
            await db.SaveChangesAsync();
        }

        var outcome = await scope.ServiceProvider.GetRequiredService<FeedService>().PollAsync(db, feed, CancellationToken.None);
        return (outcome, feed);
    }

    [Fact]
    public async Task An_unchanged_feed_is_asked_for_with_its_ETag_and_answers_304_without_new_candidates()
    {
        _web.Serve("/etag.xml", FeedFixtures.Rss("Etag feed", ("One", "https://e.example/1", "First.")), etag: "\"v1\"");

        var (first, _) = await PollAsync("/etag.xml");
        var (second, feed) = await PollAsync("/etag.xml");

        Assert.Equal((true, 1), (first.Ok, first.Added));
        Assert.Equal((true, 0), (second.Ok, second.Added));
        Assert.Equal("\"v1\"", _web.Requests.Last(r => r.Path == "/etag.xml").IfNoneMatch);
        Assert.Equal(0, feed.Failures);
        Assert.Equal(1, await _bot.WithDbAsync(db => db.Articles.CountAsync()));
    }

    [Fact]
    public async Task A_failing_server_is_retried_then_the_feed_backs_off_and_says_why()
    {
        _web.Status("/down.xml", 500);
        var before = TimeProvider.System.GetUtcNow().UtcDateTime;

        var (outcome, feed) = await PollAsync("/down.xml");

        Assert.False(outcome.Ok);
        Assert.Equal("HTTP 500", feed.LastError);
        Assert.Equal(1, feed.Failures);
        Assert.Equal(3, _web.Count("/down.xml")); // one try and two retries
        Assert.True(feed.NextPollAt >= before.AddMinutes(29), "a failing feed waits at least its interval");

        var (_, again) = await PollAsync("/down.xml");
        Assert.Equal(2, again.Failures);
        Assert.True(again.NextPollAt >= before.AddMinutes(59), "and longer after each failure");
    }

    [Fact]
    public async Task A_slow_server_times_out()
    {
        _web.Route("/slow.xml", async http => await Task.Delay(TimeSpan.FromSeconds(30), http.RequestAborted));

        var (outcome, feed) = await PollAsync("/slow.xml");

        Assert.False(outcome.Ok);
        Assert.Equal("timed out", feed.LastError);
    }

    [Theory]
    [InlineData("/garbage.xml", "not a feed: the XML is broken")]
    [InlineData("/page.xml", "not a feed: the address returns a web page")]
    [InlineData("/huge.xml", "larger than 0.1 MB")]
    public async Task Garbage_a_web_page_or_an_oversized_answer_fails_with_a_reason(string path, string reason)
    {
        _web.Serve("/garbage.xml", "<rss><channel><item>", "text/xml");
        _web.Serve("/page.xml", "<!DOCTYPE html><html><body>moved</body></html>", "text/html");
        _web.Serve("/huge.xml", FeedFixtures.Rss("Huge", ("x", "https://h.example/1", new string('x', 200_000))));

        var (outcome, feed) = await PollAsync(path);

        Assert.False(outcome.Ok);
        Assert.StartsWith(reason, feed.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_broken_feed_does_not_stop_the_others_and_reposts_across_feeds_are_one_candidate()
    {
        _web.Status("/broken.xml", 404);
        _web.Serve("/a.xml", FeedFixtures.Rss("A", ("Shared story", "https://news.example/story?utm_source=a", "From A."), ("Only A", "https://news.example/a-only", "A.")));
        _web.Serve("/b.xml", FeedFixtures.Rss("B", ("Shared story, reposted", "http://www.news.example/story/?fbclid=b", "From B.")));
        await using (var scope = _bot.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
            foreach (var path in new[] { "/broken.xml", "/a.xml", "/b.xml" })
            {
                db.Feeds.Add(new Feed { Url = _web.Url(path).AbsoluteUri, NextPollAt = DateTime.UnixEpoch });
            }

            await db.SaveChangesAsync();
            await scope.ServiceProvider.GetRequiredService<FeedService>().PollDueAsync(db, CancellationToken.None);
        }

        var titles = await _bot.WithDbAsync(db => db.Articles.OrderBy(a => a.Id).Select(a => a.Title).ToListAsync());
        Assert.Equal(["Shared story", "Only A"], titles);
        var feeds = await _bot.WithDbAsync(db => db.Feeds.AsNoTracking().OrderBy(f => f.Id).ToListAsync());
        Assert.Equal("HTTP 404", feeds[0].LastError);
        Assert.All(feeds.Skip(1), f => Assert.NotNull(f.LastSuccessAt));
    }
}
