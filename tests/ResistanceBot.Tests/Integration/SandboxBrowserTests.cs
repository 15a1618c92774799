using System.Diagnostics;
using System.Text.RegularExpressions;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using ResistanceBot.Hosting;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

/// <summary>
/// The sandbox's web chat in a real browser (Debian's headless Chromium, driven by Selenium through ChromeDriver): a newsroom's
/// first day played with clicks and typing, from a reader's tip with a GPS-tagged photo to an edition in another language.
/// Screenshots of each step are saved under TestResults/sandbox.
/// </summary>
public sealed partial class SandboxBrowserTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    [OnceFact]
    public async Task A_newsroom_plays_a_whole_story_in_the_browser_and_the_page_asks_nothing_of_any_other_origin()
    {
        await using var sandbox = await Sandbox.StartAsync(["--Sandbox:Port=0"]);
        using var browser = Chromium.Open();
        var driver = browser.Driver;
        var shots = Repository.Artifacts("sandbox");
        var step = 0;
        void Shot(string name) => ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(Path.Combine(shots, $"{++step:00}-{name}.png"));

        try
        {
            await PlayAsync(sandbox, browser, Shot);
        }
        catch
        {
            Shot("failed");
            throw;
        }

        Assert.True(step >= 7);
    }

    private static async Task PlayAsync(Sandbox sandbox, Chromium browser, Action<string> shot)
    {
        var driver = browser.Driver;
        driver.Navigate().GoToUrl(sandbox.PageUrl);
        Until(driver, d => d.FindElements(By.CssSelector("section.pane")).Count == 5, "the five panes");
        Assert.Equal(
            ["Маша reader · ru", "Оксана reader · uk", "Mod moderator · en", "Ed editor · en", "Moderators moderators' group"],
            driver.FindElements(By.CssSelector("section.pane > h2")).Select(h => h.Text));
        shot("empty");

        // Both readers subscribe, each in the language their app reports.
        Type(driver, "reader-ru", "/subscribe");
        Type(driver, "reader-uk", "/subscribe");
        WaitForText(driver, "reader-ru", "Вы подписались.");
        WaitForText(driver, "reader-uk", "Ви підписалися.");
        shot("subscribed");

        // Reader 1 writes to the editors: a few words and the sample photo, sent from disk through the file picker.
        Type(driver, "reader-ru", "/tip");
        WaitForText(driver, "reader-ru", "Письмо в редакцию");
        Type(driver, "reader-ru", "Ночная смена остановила линию на заводе.");
        WaitForText(driver, "reader-ru", "пока 1 часть");
        Pane(driver, "reader-ru").FindElement(By.CssSelector("input[type=file][name=photo]")).SendKeys(sandbox.SamplePhotoPath);
        WaitForText(driver, "reader-ru", "пока 2 части");
        Type(driver, "reader-ru", "/send");
        WaitForText(driver, "reader-ru", "Письмо сохранено.");
        shot("tip-sent");

        // The moderator opens it from the group's notice and sees the photo, cleaned.
        Click(driver, "group", "Open");
        Until(driver, _ => Pane(driver, "moderator").FindElements(By.CssSelector(".msg.bot img")).Count == 1, "the tip's photo in the moderator's chat");
        WaitForText(driver, "moderator", "Ночная смена остановила линию на заводе.");
        shot("tip-opened");
        var photo = Pane(driver, "moderator").FindElement(By.CssSelector(".msg.bot img")).GetAttribute("src")!;
        Assert.StartsWith(sandbox.PageUrl.ToString(), photo, StringComparison.Ordinal);
        using (var http = new HttpClient())
        {
            var bytes = await http.GetByteArrayAsync(new Uri(photo));
            var seen = await ExifToolAsync(bytes);
            Assert.Contains("Image Width", seen, StringComparison.Ordinal);
            Assert.DoesNotContain("GPS", seen, StringComparison.Ordinal);
            Assert.DoesNotContain("SandboxPhone", seen, StringComparison.Ordinal);
            Assert.Contains("GPS Latitude", await ExifToolAsync(await File.ReadAllBytesAsync(sandbox.SamplePhotoPath)), StringComparison.Ordinal);
        }

        // Words fit for publication, then the Approve button.
        Type(driver, "moderator", "/redact 1 Рабочие ночной смены остановили линию.");
        WaitForText(driver, "moderator", "Text for publication of letter #1 saved.");
        Click(driver, "moderator", "Approve");
        Until(driver, _ => Pane(driver, "moderator").FindElement(By.CssSelector(".toast")).Text.Contains("Letter #1 approved.", StringComparison.Ordinal), "the notice of the press");
        Until(driver, _ => Pane(driver, "group").Text.Contains("Letter #1: approved by a moderator", StringComparison.Ordinal), "the group notice to show the outcome");
        shot("tip-approved");

        // The editor follows the sandbox's sample feed, picks the reader report and an article, and publishes, confirming
        // with the button.
        Type(driver, "editor", "/addfeed " + sandbox.FeedUrl);
        WaitForText(driver, "editor", "Following feed #1: Sandbox Strike Watch. New candidates: 3.");
        Type(driver, "editor", "/candidates");
        WaitForText(driver, "editor", "🗣");
        var report = ReportId().Match(Pane(driver, "editor").Text).Groups[1].Value;
        Type(driver, "editor", $"/pick {report}");
        WaitForText(driver, "editor", $"#{report} is item 1");
        var article = Regex.Match(Pane(driver, "editor").Text, @"#(\d+) \S+ Workers at a tank plant stop the line").Groups[1].Value;
        Click(driver, "editor", $"✓ #{article}");
        Until(driver, _ => Pane(driver, "editor").FindElements(By.CssSelector("button.inline")).All(b => b.Text != $"✓ #{article}"), "the picked article's button to go");
        Type(driver, "editor", "/publish");
        WaitForText(driver, "editor", "Release the next edition now");
        ClickData(driver, "editor", "k:y:");
        WaitForText(driver, "editor", "Edition №1 released with 2 items.");
        shot("published");

        // Reader 2 receives it in Ukrainian, with the reader's report in it.
        WaitForText(driver, "reader-uk", "📰 Дайджест опору №1");
        WaitForText(driver, "reader-uk", "Рабочие ночной смены остановили линию.");
        WaitForText(driver, "reader-uk", "Workers at a tank plant stop the line");
        WaitForText(driver, "reader-ru", "📰 Дайджест сопротивления №1");
        shot("edition-received");

        // Everything the page fetched, as Chromium's network log saw it: its own origin and nothing else.
        var urls = browser.RequestedUrls();
        Assert.Contains(urls, u => u.EndsWith("/app.js", StringComparison.Ordinal));
        Assert.Contains(urls, u => u.Contains("/api/file/", StringComparison.Ordinal));
        var origin = sandbox.PageUrl.GetLeftPart(UriPartial.Authority);
        Assert.DoesNotContain(urls, u => !u.StartsWith(origin + "/", StringComparison.Ordinal));
    }

    private static IWebElement Pane(IWebDriver driver, string person) => driver.FindElement(By.CssSelector($"section.pane[data-person='{person}']"));

    private static void Type(IWebDriver driver, string person, string text)
    {
        var input = Pane(driver, person).FindElement(By.CssSelector("form.compose input[name=text]"));
        input.SendKeys(text);
        Pane(driver, person).FindElement(By.CssSelector("form.compose button.send")).Click();
    }

    private static void WaitForText(IWebDriver driver, string person, string text) =>
        Until(driver, _ => Pane(driver, person).FindElement(By.CssSelector(".messages")).Text.Contains(text, StringComparison.Ordinal), $"'{text}' in {person}'s chat");

    /// <summary>Clicks the last button in the pane whose label contains <paramref name="label"/>.</summary>
    private static void Click(IWebDriver driver, string person, string label) =>
        ClickWhere(driver, person, b => b.Text.Contains(label, StringComparison.Ordinal), $"a '{label}' button in {person}'s chat");

    /// <summary>Clicks the last button in the pane whose callback data starts with <paramref name="prefix"/>.</summary>
    private static void ClickData(IWebDriver driver, string person, string prefix) =>
        ClickWhere(driver, person, b => b.GetAttribute("data-callback")?.StartsWith(prefix, StringComparison.Ordinal) == true, $"a {prefix} button in {person}'s chat");

    private static void ClickWhere(IWebDriver driver, string person, Func<IWebElement, bool> which, string what)
    {
        IWebElement? button = null;
        Until(driver, _ => (button = Pane(driver, person).FindElements(By.CssSelector("button.inline")).LastOrDefault(which)) is not null, what);
        button!.Click();
    }

    private static void Until(IWebDriver driver, Func<IWebDriver, bool> condition, string what)
    {
        var wait = new WebDriverWait(driver, Wait) { Message = $"waiting for {what}" };
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(NoSuchElementException));
        wait.Until(condition);
    }

    private static async Task<string> ExifToolAsync(byte[] image)
    {
        var path = Path.Combine(Path.GetTempPath(), $"rb-sandbox-{Guid.NewGuid():N}.jpg");
        await File.WriteAllBytesAsync(path, image);
        try
        {
            using var process = Process.Start(new ProcessStartInfo("exiftool", ["-a", "-G1", path]) { RedirectStandardOutput = true })!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return output;
        }
        finally
        {
            File.Delete(path);
        }
    }

    [GeneratedRegex(@"#(\d+) 🗣")]
    private static partial Regex ReportId();
}
