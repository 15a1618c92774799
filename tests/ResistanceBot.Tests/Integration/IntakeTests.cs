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
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        // Two updates at a time and four messages a second: thirty readers' /start take about eight seconds to answer.
        await using var bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(
            emulator, db, $"--Staff:AdminIds:0={AdminId}", "--Telegram:MaxConcurrentUpdates=2", "--Delivery:MessagesPerSecond=4"), database: db);
        var admin = emulator.User(AdminId, "Admin");
        await admin.AskAsync("/start", Wait);
        var readers = Enumerable.Range(1, 30).Select(i => emulator.User(8_200_000 + i, "Reader")).ToList();
        int Answered() => readers.Count(r => r.BotMessageCount > 0);

        foreach (var reader in readers)
        {
            reader.SendText("/start");
        }

        await emulator.WaitUntilAsync(() => Answered() >= 2, Wait, "the readers' answers to begin");
        var stats = await admin.AskAsync("/stats", Wait);
        var answeredBefore = Answered();
        output.WriteLine($"readers answered before the admin: {answeredBefore} of {readers.Count}");

        Assert.Contains("Subscribers", stats.Text, StringComparison.Ordinal);
        // Without lanes the admin would wait for every reader queued ahead (28 at least).
        Assert.InRange(answeredBefore, 2, 15);
        await emulator.WaitUntilAsync(() => Answered() == readers.Count, Wait, "every reader's answer");
        Assert.All(readers, r => Assert.Equal(1, r.BotMessageCount));
        Assert.Equal(0, emulator.Stats.TooManyRequests);
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
