using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using ResistanceBot.Delivery;
using ResistanceBot.Telegram;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

/// <summary>What happens when things go wrong: handler bugs, crashes, duplicate updates, a flaky Bot API.</summary>
public sealed class ResilienceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private sealed class ThrowingCommand : ICommandHandler
    {
        public Task HandleAsync(BotContext context, CancellationToken ct) =>
            // Like int.Parse on a reader's text: the exception message quotes the input.
            throw new FormatException($"The input string '{context.Arguments}' was not in a correct format.");
    }

    [Fact]
    public async Task A_failing_handler_is_logged_without_the_readers_text_and_the_next_update_is_served()
    {
        await using var bot = await BotHost.StartAsync(services: s => s.AddCommand<ThrowingCommand>("boom", inMenu: false));
        var user = bot.Emulator.User(31337, "Reader");

        var apology = await user.AskAsync("/boom secret-words-of-the-reader", Wait);
        Assert.Contains("Something went wrong", apology.Text, StringComparison.Ordinal);

        var start = await user.AskAsync("/start", Wait);
        Assert.Contains("Every day the collective", start.Text, StringComparison.Ordinal);

        var failure = Assert.Single(bot.Logs.Lines, l => l.EventId == 1003);
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.Contains("System.FormatException", failure.Text, StringComparison.Ordinal);
        Assert.Contains(nameof(ThrowingCommand), failure.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-words-of-the-reader", bot.Logs.AllText, StringComparison.Ordinal);
    }

    private sealed class HangingCommand : ICommandHandler
    {
        public Task HandleAsync(BotContext context, CancellationToken ct) => Task.Delay(Timeout.Infinite, ct);
    }

    [Fact]
    public async Task A_stuck_handler_is_given_up_after_its_time_limit_and_the_worker_goes_on()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        await using var bot = await BotHost.StartAsync(services: s =>
        {
            s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock));
            s.AddCommand<HangingCommand>("hang", inMenu: false);
        });
        var user = bot.Emulator.User(31338, "Reader");

        user.SendText("/hang");
        // Move the bot's clock on until the handler's limit (2 minutes) has passed while it hangs.
        await Eventually.HoldsAsync(
            async () =>
            {
                clock.Advance(TimeSpan.FromMinutes(1));
                await Task.Yield();
                return bot.Logs.Lines.Any(l => l.EventId == 1205);
            },
            what: "the stuck handler to be given up");

        var start = await user.AskAsync("/start", Wait);
        Assert.Contains("Every day the collective", start.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_cut_short_by_a_crash_is_handled_after_the_restart()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var settings = BotHost.DefaultSettings(emulator, TestDatabase.New());
        var user = emulator.User(777001, "Reader");

        using (emulator.HoldSendsTo(user.Id))
        {
            using var first = BotProcess.Start(settings);
            user.SendText("/start");
            // The handler has received the update and is blocked inside its reply: the offset is not confirmed yet.
            await emulator.WaitUntilAsync(() => emulator.HeldSends == 1, Wait, "the bot to be mid-reply");
            first.Kill();
            await first.WaitForExitAsync(Wait);
            // Only once the emulator has seen the connection close is the request gone; released earlier, it would be sent.
            await emulator.WaitUntilAsync(() => emulator.HeldSends == 0, Wait, "the emulator to see the killed bot's request abort");
        }

        Assert.Equal(0, user.BotMessageCount);
        Assert.Equal(1, emulator.PendingUpdateCount);

        using var second = BotProcess.Start(settings);
        var reply = await user.NextBotMessageAsync(0, Wait);
        Assert.Contains("Every day the collective", reply.Text, StringComparison.Ordinal);
        var next = await user.AskAsync("/privacy", Wait);
        Assert.Contains("What Telegram sees", next.Text, StringComparison.Ordinal);
        Assert.Equal(2, user.BotMessageCount);
    }

    [Fact]
    public async Task SIGTERM_stops_the_bot_cleanly_with_exit_code_0()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        using var bot = BotProcess.Start(BotHost.DefaultSettings(emulator, TestDatabase.New()));
        var user = emulator.User(777002, "Reader");
        await user.AskAsync("/start", Wait);

        bot.Terminate();

        Assert.Equal(0, await bot.WaitForExitAsync(Wait));
    }

    [Fact]
    public async Task The_sender_waits_out_a_429_and_retries_5xx_so_every_reply_arrives_in_order()
    {
        await using var bot = await BotHost.StartAsync();
        var sender = bot.Services.GetService(typeof(BotSender)) as BotSender;
        var user = bot.Emulator.User(909090, "Reader");
        bot.Emulator.Faults.PerChatSendsPerSecond = 1;
        bot.Emulator.Faults.RetryAfterSeconds = 1;

        var outcomes = new List<SendOutcome>();
        for (var i = 1; i <= 4; i++)
        {
            if (i == 3)
            {
                bot.Emulator.Faults.FailNextRequests = 2;
            }

            outcomes.Add(await sender!.SendTextAsync(user.Id, $"message {i}"));
        }

        Assert.All(outcomes, o => Assert.Equal(SendStatus.Sent, o.Status));
        Assert.Equal(["message 1", "message 2", "message 3", "message 4"], user.BotMessages.Select(m => m.Text));
        Assert.True(bot.Emulator.Stats.TooManyRequests >= 1, "the emulator's per-chat limit should have answered 429 at least once");
        Assert.Equal(2, bot.Emulator.Stats.ServerErrors);
        // After a flood wait the retried send is accepted only once retry_after has passed.
        var dates = user.BotMessages.Select(m => m.Date).ToList();
        Assert.True(dates[^1] - dates[0] >= TimeSpan.FromSeconds(1), "four sends at one per second take at least a second");
    }

    [Fact]
    public async Task A_message_Telegram_refuses_is_reported_as_rejected_not_retried()
    {
        await using var bot = await BotHost.StartAsync();
        var sender = (BotSender)bot.Services.GetService(typeof(BotSender))!;
        var user = bot.Emulator.User(909091, "Reader");

        var outcome = await sender.SendTextAsync(user.Id, "a < b");

        Assert.Equal(SendStatus.Rejected, outcome.Status);
        Assert.Equal("Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2", outcome.Error);
        Assert.Equal(1, bot.Emulator.Stats.BadRequests);
    }

    [Fact]
    public async Task A_reader_who_blocked_the_bot_gets_unsubscribed_when_a_reply_is_refused_with_403()
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(909092, "Reader");
        await user.AskAsync("/subscribe", Wait);

        using (bot.Emulator.HoldSendsTo(user.Id))
        {
            user.SendText("/settings");
            await bot.Emulator.WaitUntilAsync(() => bot.Emulator.HeldSends == 1, Wait, "the reply to be on its way");
            user.BlockBot();
        }

        await Eventually.HoldsAsync(async () => (await bot.WithDbAsync(db => db.Readers.AsNoTracking().SingleAsync())).SealedChatId is null);
        Assert.True(bot.Emulator.Stats.Forbidden >= 1);
    }
}
