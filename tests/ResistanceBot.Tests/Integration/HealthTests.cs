using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ResistanceBot.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace ResistanceBot.Tests.Integration;

public sealed partial class HealthTests
{
    private static async Task<HttpResponseMessage> HealthzAsync(BotHost bot)
    {
        using var http = new HttpClient { BaseAddress = bot.HttpAddress };
        return await http.GetAsync(new Uri("/healthz", UriKind.Relative));
    }

    [Fact]
    public async Task Healthz_is_200_while_the_database_and_the_Bot_API_answer()
    {
        await using var bot = await BotHost.StartAsync();
        using var response = await HealthzAsync(bot);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Healthz_is_503_when_the_Bot_API_does_not_answer_and_the_bot_keeps_running()
    {
        var gone = await BotApiEmulator.BotApiEmulator.StartAsync();
        await gone.DisposeAsync();
        await using var bot = await BotHost.StartAsync(gone);

        using var response = await HealthzAsync(bot);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        // getUpdates fails and backs off: logged, not fatal.
        await Eventually.HoldsAsync(() => Task.FromResult(bot.Logs.Lines.Any(l => l.EventId == 1202)), what: "the poll failure to be logged");
    }

    [Fact]
    public async Task Metrics_count_updates_sends_and_429s_and_show_the_queue_depth_in_Prometheus_format()
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(64001, "Reader");
        await user.AskAsync("/start", TimeSpan.FromSeconds(15));
        await user.AskAsync("/help", TimeSpan.FromSeconds(15));
        // One message every two seconds into a chat: the second answer gets a 429, and the bot waits and sends it again.
        bot.Emulator.Faults.PerChatSendsPerSecond = 0.5;
        var before = user.BotMessageCount;
        user.SendText("/privacy");
        user.SendText("/help");
        await user.NextBotMessageAsync(before + 1, TimeSpan.FromSeconds(15));
        Assert.Equal(1, bot.Emulator.Stats.TooManyRequests);

        using var http = new HttpClient { BaseAddress = bot.HttpAddress };
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("resistancebot_updates_handled_total{type=\"message\"} 4", text, StringComparison.Ordinal);
        Assert.Matches(@"resistancebot_sends_total\{outcome=""sent""\} [4-9]", text);
        Assert.Contains("resistancebot_telegram_429_total 1", text, StringComparison.Ordinal);
        Assert.Contains("resistancebot_outbox_pending 0", text, StringComparison.Ordinal);
        Assert.Contains("resistancebot_leader 1", text, StringComparison.Ordinal);
        Assert.Contains("resistancebot_handler_errors_total 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_metric_the_Grafana_dashboard_queries_is_exported_by_metrics_and_monitoring_stays_on_this_host()
    {
        var monitoring = Repository.PathOf("deploy/monitoring");
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(monitoring, "grafana", "dashboards", "resistancebot.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        var queries = panels.SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        var queried = queries.SelectMany(q => MetricName().Matches(q).Select(m => m.Value)).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(queries.Count, panels.Sum(p => p.GetProperty("targets").GetArrayLength()));
        Assert.Superset(
            new HashSet<string> { "resistancebot_updates_handled_total", "resistancebot_handler_errors_total", "resistancebot_sends_total", "resistancebot_telegram_429_total",
                "resistancebot_outbox_pending", "resistancebot_leader", "resistancebot_feed_polls_total", "resistancebot_feeds_failing" },
            queried.ToHashSet());
        Assert.DoesNotContain(queried, q => q.Contains("tips", StringComparison.Ordinal)); // a tip counter, plotted, would date tips

        // A bot that has done a little of everything, so that every labelled series exists.
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var database = TestDatabase.New();
        await using var bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, database, "--Staff:AdminIds:0=64100"), database: database);
        var web = await TestWebServer.StartAsync();
        await using var _ = web;
        web.Serve("/feed.xml", Articles.FeedFixtures.Rss("Metrics Watch", ("One", "https://metrics.example/1", "One.")));
        var admin = bot.Emulator.User(64100, "Admin");
        await admin.AskAsync($"/addfeed {web.Url("/feed.xml")}", TimeSpan.FromSeconds(15));
        using var http = new HttpClient { BaseAddress = bot.HttpAddress };
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var exported = text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToHashSet();
        Assert.All(queried, m => Assert.Contains(m, exported));
        Assert.Contains("resistancebot_feed_polls_total{outcome=\"ok\"} 1", text, StringComparison.Ordinal);

        // Prometheus scrapes the bot's own /metrics; both it and Grafana listen on loopback only, in an optional profile.
        var yaml = new YamlStream();
        yaml.Load(new StringReader(await File.ReadAllTextAsync(Repository.PathOf("deploy/compose.yaml"))));
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        foreach (var name in new[] { "prometheus", "grafana" })
        {
            var service = (YamlMappingNode)services[name];
            Assert.Equal(["monitoring"], ((YamlSequenceNode)service["profiles"]).Select(n => ((YamlScalarNode)n).Value));
            Assert.All(((YamlSequenceNode)service["ports"]).Select(n => ((YamlScalarNode)n).Value!), p => Assert.StartsWith("127.0.0.1:", p, StringComparison.Ordinal));
        }

        var scrape = await File.ReadAllTextAsync(Path.Combine(monitoring, "prometheus.yml"));
        Assert.Contains("metrics_path: /metrics", scrape, StringComparison.Ordinal);
        Assert.Contains("bot:8080", scrape, StringComparison.Ordinal);
    }

    [GeneratedRegex("resistancebot_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
