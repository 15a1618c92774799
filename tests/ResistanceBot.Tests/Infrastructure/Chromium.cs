using System.Text.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>Debian's Chromium, headless, with its network log on; nothing is downloaded (no Selenium Manager).</summary>
public sealed class Chromium : IDisposable
{
    private Chromium(ChromeDriver driver) => Driver = driver;

    public ChromeDriver Driver { get; }

    public static Chromium Open()
    {
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1700,1000",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=en");
        options.SetLoggingPreference("performance", LogLevel.All);
        options.SetLoggingPreference("browser", LogLevel.All);
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        return new Chromium(new ChromeDriver(service, options, TimeSpan.FromSeconds(60)));
    }

    /// <summary>Every URL the page asked for (Network.requestWillBeSent in Chromium's performance log).</summary>
    public List<string> RequestedUrls()
    {
        var urls = new List<string>();
        foreach (var entry in Driver.Manage().Logs.GetLog("performance"))
        {
            using var json = JsonDocument.Parse(entry.Message);
            var message = json.RootElement.GetProperty("message");
            if (message.GetProperty("method").GetString() == "Network.requestWillBeSent")
            {
                urls.Add(message.GetProperty("params").GetProperty("request").GetProperty("url").GetString()!);
            }
        }

        return urls;
    }

    /// <summary>What the page wrote to its console at warning level or worse: a Content-Security-Policy violation shows here.</summary>
    public List<string> ConsoleProblems() =>
        Driver.Manage().Logs.GetLog("browser").Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message).ToList();

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
    }
}
