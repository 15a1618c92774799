using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

public sealed class WebhookTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private const string Secret = "s3cret_Webhook-token";

    private static async Task<(BotHost Bot, Uri Hook)> StartWebhookBotAsync()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var port = Loopback.FreePort();
        var hook = new Uri($"http://127.0.0.1:{port}/telegram/webhook");
        var db = TestDatabase.New();
        var settings = BotHost.DefaultSettings(emulator, db,
            "--Telegram:Mode=Webhook", $"--Telegram:WebhookUrl={hook}", $"--Telegram:WebhookSecret={Secret}", $"--Http:Urls=http://127.0.0.1:{port}");
        var bot = await BotHost.StartAsync(emulator, settings, database: db);
        await emulator.WaitUntilAsync(() => emulator.WebhookUrl is not null, Wait, "the bot to register its webhook");
        return (bot, hook);
    }

    private static string SubscribeUpdate(int updateId, long userId) => $$$"""
        {"update_id":{{{updateId}}},"message":{"message_id":1,"from":{"id":{{{userId}}},"is_bot":false,"first_name":"Forged"},
        "chat":{"id":{{{userId}}},"first_name":"Forged","type":"private"},"date":1718000000,"text":"/subscribe",
        "entities":[{"offset":0,"length":10,"type":"bot_command"}]}}
        """;

    [Fact]
    public async Task A_webhook_request_without_the_right_secret_gets_401_and_changes_nothing()
    {
        var (bot, hook) = await StartWebhookBotAsync();
        await using var _ = bot;
        var user = bot.Emulator.User(60001, "Reader");
        using var http = new HttpClient();

        using var none = await http.PostAsync(hook, new StringContent(SubscribeUpdate(1, user.Id), Encoding.UTF8, "application/json"));
        using var wrongRequest = new HttpRequestMessage(HttpMethod.Post, hook) { Content = new StringContent(SubscribeUpdate(2, user.Id), Encoding.UTF8, "application/json") };
        wrongRequest.Headers.Add("X-Telegram-Bot-Api-Secret-Token", Secret + "x");
        using var wrong = await http.SendAsync(wrongRequest);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(0, await bot.WithDbAsync(db => db.Readers.CountAsync()));
        Assert.Equal(0, await bot.WithDbAsync(db => db.ProcessedUpdates.CountAsync()));
        Assert.Equal(0, user.BotMessageCount);
    }

    [Fact]
    public async Task Updates_pushed_by_Telegram_with_the_secret_are_served_and_a_repeated_update_is_handled_once()
    {
        var (bot, hook) = await StartWebhookBotAsync();
        await using var _ = bot;
        var user = bot.Emulator.User(60002, "Reader");

        // Through the emulator's own webhook delivery, as Telegram would.
        var reply = await user.AskAsync("/subscribe", Wait);
        Assert.Contains("You are subscribed", reply.Text, StringComparison.Ordinal);

        // The same update posted twice (Telegram retries when an answer is lost).
        using var http = new HttpClient();
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, hook) { Content = new StringContent(SubscribeUpdate(99, user.Id), Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", Secret);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Eventually.HoldsAsync(() => Task.FromResult(user.BotMessageCount == 2));
        Assert.Contains("already subscribed", user.BotMessages[1].Text, StringComparison.Ordinal);
        Assert.Equal(2, user.BotMessageCount);
    }
}
