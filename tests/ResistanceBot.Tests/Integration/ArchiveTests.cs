using System.Net;
using System.ServiceModel.Syndication;
using System.Xml;
using OpenQA.Selenium;
using ResistanceBot.Archive;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

/// <summary>
/// The web archive under /archive: the published editions and their full texts as plain pages in three languages, an Atom
/// feed, a static copy for mirrors, and nothing that reaches another site or says anything about readers or visitors.
/// </summary>
public sealed class ArchiveTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const long EditorId = 5_400_001;
    private const long ReaderId = 6_400_001;

    private TestWebServer _web = null!;
    private BotHost _bot = null!;
    private TelegramUser _reader = null!;

    public async Task InitializeAsync()
    {
        _web = await TestWebServer.StartAsync();
        _web.Serve("/chita", File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Pages", "wordpress-blog.html")), "text/html; charset=utf-8");
        _web.Serve("/barnaul", File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Pages", "news-ru.html")), "text/html; charset=utf-8");
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        _bot = await BotHost.StartAsync(
            emulator,
            BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={EditorId}", "--Archive:PublicUrl=https://mirror.example/archive/"),
            database: db);
        var editor = emulator.User(EditorId, "Editor");
        _reader = emulator.User(ReaderId, "Reader Secretname", username: "secret_reader", languageCode: "ru");
        await _reader.AskAsync("/subscribe", Wait);
        await editor.AskAsync($"/add {_web.Url("/chita")}", Wait);
        await editor.AskAsync($"/add {_web.Url("/barnaul")}", Wait);
        await editor.AskAsync("/pick 1", Wait);
        await editor.AskAsync("/pick 2", Wait);
        await Confirm.CommandAsync(emulator, editor, "/publish");
        await emulator.WaitUntilAsync(() => _reader.BotMessages.Any(m => m.Text.StartsWith("📰", StringComparison.Ordinal)), Wait, "the edition");
    }

    public async Task DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _web.DisposeAsync();
    }

    private HttpClient Http() => new() { BaseAddress = _bot.HttpAddress };

    [Fact]
    public async Task The_edition_message_links_to_its_copy_on_the_public_archive()
    {
        var edition = _reader.BotMessages.Last(m => m.Text.StartsWith("📰", StringComparison.Ordinal));

        Assert.Contains("🌐 Этот выпуск на сайте", edition.Text, StringComparison.Ordinal);
        Assert.Contains(edition.Entities, e => e.Type == "text_link" && e.Url == "https://mirror.example/archive/ru/1.html");
    }

    [Fact]
    public async Task Every_page_is_plain_HTML_under_a_policy_that_forbids_anything_from_elsewhere()
    {
        using var http = Http();
        var paths = new[] { "/archive/", "/archive/en/index.html", "/archive/ru/1.html", "/archive/uk/1/1.html", "/archive/en/1/2.html", "/archive/style.css", "/archive/ru/atom.xml" };
        foreach (var path in paths)
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            Assert.Equal(ArchiveSite.Policy, response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            var body = await response.Content.ReadAsStringAsync();
            foreach (var forbidden in new[] { "<script", "<img", "<iframe", "src=", "style=", "@import", "url(", "Secretname", "secret_reader", ReaderId.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            {
                Assert.DoesNotContain(forbidden, body, StringComparison.OrdinalIgnoreCase);
            }
        }

        var edition = await http.GetStringAsync(new Uri("/archive/ru/1.html", UriKind.Relative));
        Assert.Contains("Дайджест сопротивления №1", edition, StringComparison.Ordinal);
        Assert.Contains("<a href=\"1/1.html\">Rail workers in Chita refuse to load military freight</a>", edition, StringComparison.Ordinal);
        Assert.Contains("<a href=\"../uk/1.html\" hreflang=\"uk\" lang=\"uk\">Українська</a>", edition, StringComparison.Ordinal);
        var article = await http.GetStringAsync(new Uri("/archive/en/1/1.html", UriKind.Relative));
        Assert.Contains("<h2>How the refusal began</h2>", article, StringComparison.Ordinal);
        Assert.Contains("<blockquote>", article, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://labourfront.example/2026/11/27/wagon-numbers/\">wagon numbers</a>", article, StringComparison.Ordinal);
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _bot.HttpAddress };
        using var bare = await noRedirects.GetAsync(new Uri("/archive", UriKind.Relative));
        Assert.Equal((HttpStatusCode.MovedPermanently, "/archive/"), (bare.StatusCode, bare.Headers.Location?.OriginalString));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/archive/en/2.html", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/archive/de/1.html", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/archive/en/1/../../../appsettings.json", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task The_Atom_feed_lists_the_editions_with_links_to_their_pages()
    {
        using var http = Http();
        await using var stream = await http.GetStreamAsync(new Uri("/archive/uk/atom.xml", UriKind.Relative));
        using var reader = XmlReader.Create(stream);

        var feed = SyndicationFeed.Load(reader);

        var entry = Assert.Single(feed.Items);
        Assert.StartsWith("📰 Дайджест опору №1", entry.Title.Text, StringComparison.Ordinal);
        Assert.Equal(new Uri("https://mirror.example/archive/uk/1.html"), new Uri(feed.BaseUri ?? new Uri("https://x/"), entry.Links.Single().Uri));
        Assert.Contains("Rail workers in Chita", ((TextSyndicationContent)entry.Summary).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Visitors_leave_no_address_in_the_log()
    {
        var before = _bot.Logs.Lines.Count;
        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/archive/ru/1.html", UriKind.Relative));
        request.Headers.Add("X-Forwarded-For", "203.0.113.77");
        request.Headers.UserAgent.ParseAdd("VisitorBrowser/1.0");
        (await http.SendAsync(request)).EnsureSuccessStatusCode();
        await http.GetStringAsync(new Uri("/archive/en/1/1.html", UriKind.Relative));

        var after = string.Join("\n", _bot.Logs.Lines.Skip(before).Select(l => l.Text));
        Assert.DoesNotContain("203.0.113.77", after, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", after, StringComparison.Ordinal);
        Assert.DoesNotContain("VisitorBrowser", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_export_writes_the_same_pages_as_files_that_work_from_disk()
    {
        var directory = Path.Combine(Path.GetTempPath(), "archive-" + Guid.NewGuid().ToString("N"));
        var output = new StringWriter();

        Assert.Equal(0, await ArchiveFeature.ExportAsync(_bot.Services, directory, output, CancellationToken.None));

        Assert.StartsWith($"Wrote the archive to {directory}: ", output.ToString(), StringComparison.Ordinal);
        using var http = Http();
        foreach (var path in new[] { "index.html", "style.css", "en/index.html", "ru/1.html", "uk/1/2.html", "en/atom.xml" })
        {
            Assert.Equal(await http.GetByteArrayAsync(new Uri("/archive/" + path, UriKind.Relative)), await File.ReadAllBytesAsync(Path.Combine(directory, path)));
        }

        // Every relative link of every exported page leads to an exported file.
        foreach (var page in Directory.EnumerateFiles(directory, "*.html", SearchOption.AllDirectories))
        {
            foreach (System.Text.RegularExpressions.Match link in System.Text.RegularExpressions.Regex.Matches(await File.ReadAllTextAsync(page), "(?:href)=\"(?!https?:)([^\"]+)\""))
            {
                var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, link.Groups[1].Value));
                Assert.True(File.Exists(target), $"{Path.GetRelativePath(directory, page)} links to {link.Groups[1].Value}, which is not exported");
            }
        }

        Directory.Delete(directory, recursive: true);
    }

    [OnceFact]
    public void In_a_browser_a_reader_goes_from_the_archive_to_an_edition_to_an_article_switches_language_and_nothing_leaves_the_origin()
    {
        using var browser = Chromium.Open();
        var driver = browser.Driver;
        var shots = Repository.Artifacts("archive");
        var origin = _bot.HttpAddress.GetLeftPart(UriPartial.Authority);

        driver.Navigate().GoToUrl(origin + "/archive/");
        driver.FindElement(By.LinkText("English — Resistance digest: archive")).Click();
        Assert.Equal("Resistance digest: archive", driver.Title);
        driver.FindElement(By.PartialLinkText("Resistance digest №1")).Click();
        Assert.Contains("Матери мобилизованных вышли к военкомату в Барнауле", driver.FindElement(By.TagName("main")).Text, StringComparison.Ordinal);
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(Path.Combine(shots, "01-edition.png"));
        driver.FindElement(By.LinkText("Rail workers in Chita refuse to load military freight")).Click();
        Assert.Equal("Rail workers in Chita refuse to load military freight", driver.FindElement(By.TagName("h1")).Text);
        Assert.Contains("How the refusal began", driver.FindElement(By.TagName("article")).Text, StringComparison.Ordinal);
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(Path.Combine(shots, "02-article.png"));

        driver.FindElement(By.LinkText("Русский")).Click();
        Assert.Equal(origin + "/archive/ru/1/1.html", driver.Url);
        Assert.Equal("Назад", driver.FindElement(By.CssSelector("nav a")).Text.TrimStart('←', ' '));
        Assert.Equal("ru", driver.FindElement(By.TagName("html")).GetAttribute("lang"));
        driver.FindElement(By.PartialLinkText("Назад")).Click();
        Assert.Equal(origin + "/archive/ru/1.html", driver.Url);
        Assert.Contains("Дайджест сопротивления №1", driver.FindElement(By.TagName("h1")).Text, StringComparison.Ordinal);
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(Path.Combine(shots, "03-edition-ru.png"));

        var urls = browser.RequestedUrls();
        Assert.Contains(urls, u => u.EndsWith("/archive/style.css", StringComparison.Ordinal));
        Assert.All(urls, u => Assert.StartsWith(origin + "/", u, StringComparison.Ordinal));
        Assert.Empty(browser.ConsoleProblems());
    }
}
