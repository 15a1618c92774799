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
}
