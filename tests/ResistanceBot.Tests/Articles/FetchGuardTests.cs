using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ResistanceBot.Articles;
using ResistanceBot.Hosting;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Articles;

/// <summary>
/// An editor (or a feed an editor follows) cannot turn the bot's fetches against the server or its network: every address is
/// checked after resolution and on each redirect, and the refusal tells the editor why.
/// </summary>
public sealed class FetchGuardTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const long EditorId = 5_100_001;

    private TestWebServer _web = null!;
    private TestWebServer _inside = null!;
    private BotHost _bot = null!;
    private BotApiEmulator.TelegramUser _editor = null!;

    public async Task InitializeAsync()
    {
        _web = await TestWebServer.StartAsync();
        _inside = await TestWebServer.StartAsync();
        _inside.Serve("/secret.xml", FeedFixtures.Rss("Inside", ("Internal", "https://inside.example/1", "Only for this network.")));
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        _bot = await BotHost.StartAsync(
            emulator,
            BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={EditorId}", "--Articles:TestHosts:intranet.test=10.0.0.1"),
            services => services.AddSingleton<IHostResolver>(new Resolver(new()
            {
                // A name whose answer holds a public address and an internal one: rebinding in one answer.
                ["rebind.example"] = [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("10.0.0.1")],
                ["metadata.example"] = [IPAddress.Parse("169.254.169.254")],
                ["six.example"] = [IPAddress.Parse("::ffff:127.0.0.1")],
            })),
            db);
        _editor = _bot.Emulator.User(EditorId, "Editor");
    }

    public async Task DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _web.DisposeAsync();
        await _inside.DisposeAsync();
    }

    [Fact]
    public async Task A_redirect_from_a_public_site_to_127_0_0_1_is_refused_and_the_inside_server_never_sees_a_request()
    {
        _web.Route("/moved.xml", http =>
        {
            http.Response.StatusCode = 302;
            http.Response.Headers.Location = _inside.LoopbackUrl("/secret.xml").AbsoluteUri;
            return Task.CompletedTask;
        });

        var answer = await _editor.AskAsync($"/addfeed {_web.Url("/moved.xml")}", Wait);

        Assert.Equal("Could not read that feed: refused: 127.0.0.1 is a loopback address, not a public address. Nothing was added.", answer.Text);
        Assert.Contains(_web.Requests, r => r.Path == "/moved.xml");
        Assert.Empty(_inside.Requests);
        Assert.Equal(0, await _bot.WithDbAsync(db => Task.FromResult(db.Feeds.Count())));
    }

    [Fact]
    public async Task A_redirect_to_another_scheme_is_refused()
    {
        _web.Route("/to-file", http =>
        {
            http.Response.StatusCode = 301;
            http.Response.Headers.Location = "file:///etc/passwd";
            return Task.CompletedTask;
        });

        var answer = await _editor.AskAsync($"/add {_web.Url("/to-file")}", Wait);

        Assert.Equal("Could not read that page: only http and https links can be fetched, not file:.", answer.Text);
    }

    [Theory]
    [InlineData("/addfeed http://intranet.test/feed.xml", "Could not read that feed: refused: intranet.test is a private network address, not a public address. Nothing was added.")]
    [InlineData("/add https://rebind.example/story", "Could not read that page: refused: rebind.example is a private network address, not a public address.")]
    [InlineData("/add http://metadata.example/latest/meta-data/", "Could not read that page: refused: metadata.example is a link-local address, not a public address.")]
    [InlineData("/add http://six.example/", "Could not read that page: refused: six.example is a loopback address, not a public address.")]
    [InlineData("/add http://[::1]:80/", "Could not read that page: refused: [::1] is a loopback address, not a public address.")]
    [InlineData("/add http://0x7f000001/", "Could not read that page: refused: 127.0.0.1 is a loopback address, not a public address.")]
    [InlineData("/addfeed file:///etc/passwd", "Could not read that feed: only http and https links can be fetched, not file:. Nothing was added.")]
    [InlineData("/add gopher://news.test:70/1", "Could not read that page: only http and https links can be fetched, not gopher:.")]
    public async Task Internal_addresses_and_other_schemes_are_refused_with_the_reason(string command, string expected)
    {
        var answer = await _editor.AskAsync(command, Wait);

        Assert.Equal(expected, answer.Text);
    }

    [Fact]
    public async Task The_bots_own_metrics_are_refused_even_under_a_name_that_is_allowed_to_reach_loopback()
    {
        var own = new UriBuilder(_bot.HttpAddress) { Host = TestWebServer.PublicName, Path = "/metrics" }.Uri;

        var metrics = await _editor.AskAsync($"/add {own}", Wait);
        var health = await _editor.AskAsync($"/addfeed {new Uri(own, "/healthz")}", Wait);

        Assert.Equal("Could not read that page: refused: that is this bot's own web server.", metrics.Text);
        Assert.Equal("Could not read that feed: refused: that is this bot's own web server. Nothing was added.", health.Text);
    }

    [Fact]
    public async Task A_feed_that_starts_redirecting_inside_fails_its_poll_and_the_editor_sees_why_in_feeds()
    {
        _web.Serve("/feed.xml", FeedFixtures.Rss("Turncoat", ("First", "https://turncoat.example/1", "Fine.")));
        await _editor.AskAsync($"/addfeed {_web.Url("/feed.xml")}", Wait);
        _web.Route("/feed.xml", http =>
        {
            http.Response.StatusCode = 307;
            http.Response.Headers.Location = _inside.LoopbackUrl("/secret.xml").AbsoluteUri;
            return Task.CompletedTask;
        });
        await _bot.WithDbAsync(async db =>
        {
            var feed = db.Feeds.Single();
            await _bot.Services.GetRequiredService<FeedService>().PollAsync(db, feed, CancellationToken.None);
            return feed;
        });

        var feeds = await _editor.AskAsync("/feeds", Wait);

        Assert.Contains("refused: 127.0.0.1 is a loopback address", feeds.Text, StringComparison.Ordinal);
        Assert.Empty(_inside.Requests);
    }

    [Theory]
    [InlineData("8.8.8.8", null)]
    [InlineData("2a00:1450:4001:80b::200e", null)]
    [InlineData("127.0.0.53", "a loopback address")]
    [InlineData("10.1.2.3", "a private network address")]
    [InlineData("172.31.255.1", "a private network address")]
    [InlineData("172.32.0.1", null)]
    [InlineData("192.168.0.1", "a private network address")]
    [InlineData("100.64.0.1", "a carrier-grade NAT address")]
    [InlineData("0.0.0.0", "an unspecified address")]
    [InlineData("224.0.0.1", "a multicast address")]
    [InlineData("255.255.255.255", "a reserved address")]
    [InlineData("::1", "a loopback address")]
    [InlineData("::", "an unspecified address")]
    [InlineData("fe80::1", "a link-local address")]
    [InlineData("fd12:3456::1", "a private network address")]
    [InlineData("::ffff:10.0.0.1", "a private network address")]
    [InlineData("64:ff9b::7f00:1", "a loopback address")]
    [InlineData("2002:a00:1::", "a private network address")]
    [InlineData("2001:db8::1", "a reserved address")]
    public void Each_kind_of_non_public_address_is_named(string address, string? kind)
    {
        Assert.Equal(kind, FetchGuard.NonPublic(IPAddress.Parse(address)));
    }

    [Fact]
    public void Test_hosts_are_refused_outside_the_test_and_sandbox_environments()
    {
        var options = new ArticlesOptions { TestHosts = { ["news.test"] = "127.0.0.1" } };

        var production = new ArticlesOptionsValidator(new Environment("Production")).Validate(null, options);
        var testing = new ArticlesOptionsValidator(new Environment("Testing")).Validate(null, options);
        var none = new ArticlesOptionsValidator(new Environment("Production")).Validate(null, new ArticlesOptions());

        Assert.True(production.Failed);
        Assert.Equal("Articles:TestHosts is for tests only and is refused in the Production environment: remove it.", production.FailureMessage);
        Assert.True(testing.Succeeded);
        Assert.True(none.Succeeded);
    }

    [Fact]
    public async Task The_bot_does_not_start_in_production_with_test_hosts()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var settings = BotHost.DefaultSettings(emulator, TestDatabase.New()).Where(s => !s.StartsWith("--environment=", StringComparison.Ordinal)).ToArray();

        var error = Assert.ThrowsAny<Exception>(() => BotApp.Build(settings));

        Assert.Contains("Articles:TestHosts is for tests only", Assert.Single(Cli.ValidationFailures(error)), StringComparison.Ordinal);
        await emulator.DisposeAsync();
    }

    private sealed class Resolver(Dictionary<string, IPAddress[]> names) : IHostResolver
    {
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
            Task.FromResult(names.TryGetValue(host, out var addresses) ? addresses : throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound));
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "test";

        public string ContentRootPath { get; set; } = "/";

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }
}
