using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

/// <summary>Updates of different chats handled at once, one chat's in order, and who goes first when the bot is busy.</summary>
public sealed class IntakeTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const long AdminId = 8_100_000;

    private static bool IsHelp(string text) => text.StartsWith("Commands", StringComparison.Ordinal);

    private static bool IsWelcome(string text) => text.StartsWith("ResistanceBot", StringComparison.Ordinal);

    [Fact]
    public async Task A_chat_whose_answer_hangs_holds_up_only_itself_and_its_updates_are_answered_in_the_order_sent()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        await using var bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, db, "--Telegram:MaxConcurrentUpdates=4"), database: db);
        var slow = emulator.User(8_000_001, "Slow");
        var other = emulator.User(8_000_002, "Other");

        var hold = emulator.HoldSendsTo(slow.Id);
        slow.SendText("/help");
        slow.SendText("/start");
        slow.SendText("/help");
        slow.SendText("/start");
        await emulator.WaitUntilAsync(() => emulator.HeldSends == 1, Wait, "the first answer to hang");

        // Another chat is answered while the first hangs: updates are not handled one after another.
        var answer = await other.AskAsync("/start", Wait);
        Assert.StartsWith("ResistanceBot", answer.Text, StringComparison.Ordinal);

        // The hanging chat's later updates waited for its first, though slots were free: one send is held, not four.
        Assert.Equal(1, emulator.HeldSends);
        hold.Dispose();
        await emulator.WaitUntilAsync(() => slow.BotMessageCount == 4, Wait, "the four answers");
        var texts = slow.BotMessages.Select(m => m.Text).ToList();
        Assert.True(IsHelp(texts[0]) && IsWelcome(texts[1]) && IsHelp(texts[2]) && IsWelcome(texts[3]), "answered in the order sent: " + string.Join(" | ", texts.Select(t => t[..20])));
    }

    [Fact]
    public async Task A_staff_command_overtakes_a_queue_of_readers_answers()
    {
        // Two updates at a time and four messages a second: thirty readers' /start take about eight seconds to answer.
        var answeredBefore = await ReadersAnsweredBeforeTheAdminAsync(30, 8_200_000, 2, "--Telegram:MaxConcurrentUpdates=2", "--Delivery:MessagesPerSecond=4");

        // Without lanes the admin would wait for every reader queued ahead (28 at least).
        Assert.InRange(answeredBefore, 2, 15);
    }

    [Fact]
    public async Task A_staff_command_behind_more_readers_than_one_batch_is_read_and_answered_before_their_answers()
    {
        // 150 readers' /start at ten messages a second: fifteen seconds of answers, and more updates ahead of the admin's than
        // one getUpdates brings (100). Telegram gives the admin's update only once the bot has confirmed the readers' before it.
        var answeredBefore = await ReadersAnsweredBeforeTheAdminAsync(150, 8_250_000, 1, "--Delivery:MessagesPerSecond=10");

        // Had the readers' updates stayed unconfirmed until answered, the admin's would be read after 51 answers at least.
        Assert.InRange(answeredBefore, 1, 25);
    }

    /// <summary>
    /// <paramref name="count"/> readers send /start at once; once <paramref name="begun"/> are answered the admin asks /stats.
    /// Returns how many readers were answered before the admin, after checking that every reader is still answered once.
    /// </summary>
    private async Task<int> ReadersAnsweredBeforeTheAdminAsync(int count, long firstId, int begun, params string[] settings)
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        await using var bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, db, [$"--Staff:AdminIds:0={AdminId}", .. settings]), database: db);
        var admin = emulator.User(AdminId, "Admin");
        await admin.AskAsync("/start", Wait);
        var readers = Enumerable.Range(1, count).Select(i => emulator.User(firstId + i, "Reader")).ToList();
        int Answered() => readers.Count(r => r.BotMessageCount > 0);

        foreach (var reader in readers)
        {
            reader.SendText("/start");
        }

        await emulator.WaitUntilAsync(() => Answered() >= begun, Wait, "the readers' answers to begin");
        var stats = await admin.AskAsync("/stats", Wait);
        var answeredBefore = Answered();
        output.WriteLine($"readers answered before the admin: {answeredBefore} of {readers.Count}");

        Assert.Contains("Subscribers", stats.Text, StringComparison.Ordinal);
        // However early their updates were done with, every reader is answered, once.
        await emulator.WaitUntilAsync(() => Answered() == readers.Count, Wait, "every reader's answer");
        Assert.All(readers, r => Assert.Equal(1, r.BotMessageCount));
        Assert.Equal(0, emulator.Stats.TooManyRequests);
        return answeredBefore;
    }

    [Fact]
    public async Task Killing_the_bot_while_readers_answers_wait_loses_no_subscription_that_telegram_was_told_is_done()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        // Two messages a second: thirty readers' answers take fifteen seconds, and nearly all of them wait.
        var settings = BotHost.DefaultSettings(emulator, db, "--Delivery:MessagesPerSecond=2");
        var readers = Enumerable.Range(1, 30).Select(i => emulator.User(8_260_000 + i, "Reader")).ToList();
        var bot = BotProcess.Start(settings);
        try
        {
            foreach (var reader in readers)
            {
                reader.SendText("/subscribe");
            }

            // Done with once only the answer is left: every update is confirmed long before its answer can go out.
            await emulator.WaitUntilAsync(() => emulator.PendingUpdateCount == 0, Wait, "Telegram to be told every update is done");
            var answered = readers.Count(r => r.BotMessageCount > 0);
            bot.Kill();
            await bot.WaitForExitAsync(TimeSpan.FromSeconds(10));
            output.WriteLine($"answered before the kill: {answered} of {readers.Count}");
            Assert.InRange(answered, 0, 20);
        }
        finally
        {
            bot.Dispose();
        }

        // What Telegram was told is done had been saved: the answers were lost with the process, the subscriptions were not.
        await using (var seed = await Seed.OpenAsync(settings))
        {
            Assert.Equal(readers.Count, await seed.CountSubscribedAsync());
        }

        // A reader whose answer was lost asks again, and hears that the subscription holds.
        await using var restarted = await BotHost.StartAsync(emulator, settings, database: db);
        var unanswered = readers.First(r => r.BotMessageCount == 0);
        var again = await unanswered.AskAsync("/subscribe", Wait);
        Assert.Contains("already", again.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_readers_answer_overtakes_a_running_fan_out_under_the_same_ceiling()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        var settings = BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={AdminId}", "--Delivery:MessagesPerSecond=20", "--Delivery:Parallelism=64");
        var ids = Enumerable.Range(1, 300).Select(i => 8_300_000L + i).ToList();
        await using (var seed = await Seed.OpenAsync(settings))
        {
            await seed.SubscribersAsync(ids);
            await seed.PickedArticlesAsync(10);
        }

        emulator.AddUsers(ids);
        emulator.Faults.GlobalSendsPerSecond = 25;
        await using var bot = await BotHost.StartAsync(emulator, settings, database: db);
        var editor = emulator.User(AdminId, "Editor");
        await Confirm.CommandAsync(emulator, editor, "/publish");
        await emulator.WaitUntilAsync(() => emulator.Stats.Sends > 100, Wait, "the fan-out to be under way");

        var reader = emulator.User(8_399_999, "Reader");
        var sendsBefore = emulator.Stats.Sends;
        var answer = await reader.AskAsync("/help", Wait);
        var overtaken = emulator.Stats.Sends - sendsBefore - 1;
        output.WriteLine($"edition sends between the reader's /help and its answer: {overtaken}");

        Assert.StartsWith("Commands", answer.Text, StringComparison.Ordinal);
        // 64 edition sends wait for the ceiling at any moment; first in, first out, the answer would come after them all.
        Assert.InRange(overtaken, 0, 16);
        Assert.Equal(0, emulator.Stats.TooManyRequests);
    }
}
