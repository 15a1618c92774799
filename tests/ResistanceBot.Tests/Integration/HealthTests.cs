using System.Net;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

public sealed class HealthTests
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
}
