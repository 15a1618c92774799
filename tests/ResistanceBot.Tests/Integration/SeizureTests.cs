using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

/// <summary>
/// Promises 3 and 4, played as the people our readers fear would play them: they seize the server whole, configuration and keys
/// included, some days after a tipster used the tip line. Nothing they hold may link a tip to its sender or date it to the hour.
/// </summary>
public sealed class SeizureTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const long TipsterId = 7_123_456_789;
    private const long ControlId = 7_555_000_111;
    private const long AdminId = 9_300_000;
    private const long ModeratorId = 9_300_001;
    private const long Group = -4_300;
    private const string Marker = "Tip text marker QZXW";

    /// <summary>A Wednesday afternoon: far from midnight, so that a day-granular date can never fall within the hour.</summary>
    private static readonly DateTimeOffset Submission = new(2031, 7, 23, 14, 23, 0, TimeSpan.Zero);

    [Fact]
    public async Task Promise_3_and_4_a_server_seized_with_every_key_names_no_tipster_and_dates_no_tip_finer_than_the_day()
    {
        var clock = new FakeTimeProvider(Submission);
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        emulator.CreateGroup(Group, "Moderators");
        var database = TestDatabase.New();
        var settings = BotHost.DefaultSettings(
            emulator, database, $"--Staff:AdminIds:0={AdminId}", $"--Staff:ModeratorChatId={Group}", "--Tips:RetentionDays=1", "--Tips:EpochDays=7");
        var bot = await BotHost.StartAsync(emulator, settings, s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)), database);
        bot.UnlockVault();
        var admin = emulator.User(AdminId, "Admin");
        await admin.AskAsync($"/addstaff {ModeratorId} moderator", Wait);
        var moderator = emulator.User(ModeratorId, "Moderator");
        await moderator.AskAsync("/start", Wait);
        var control = emulator.User(ControlId, "Control", languageCode: "en");
        await control.AskAsync("/subscribe", Wait);

        // The tipster subscribes, sends a tip with text, photos and a file, asks to be told of news, and is told once.
        var tipster = emulator.User(TipsterId, "Zebulonia", "Quixotewicz", "zq_tipster_77", "ru", "+79161234567");
        await tipster.AskAsync("/subscribe", Wait);
        await tipster.AskAsync("/queue", Wait); // a staff command: audited, with nothing that could name the reader
        var receiptMessage = await Tips.TipLineTests.SendTipAsync(bot, tipster, Marker + " at the draft office", english: false);
        var receipt = Tips.TipLineTests.ReceiptOf(receiptMessage);
        await ReaderJourneyTests.PressAsync(bot, tipster, receiptMessage, receiptMessage.ButtonData("🔔")!);
        await emulator.WaitUntilAsync(() => emulator.Messages(Group).Any(m => m.FromBot && m.Text.Contains("#1", StringComparison.Ordinal)), Wait, "the notice of tip #1");
        var notice = emulator.Messages(Group).First(m => m.FromBot);
        var before = moderator.BotMessageCount;
        moderator.PressButton(Group, notice.MessageId, notice.ButtonData("Open")!);
        await emulator.WaitUntilAsync(() => moderator.BotMessageCount >= before + 5, Wait, "the tip's contents in the moderator's chat");
        Assert.StartsWith("Reply to letter #1 saved", (await moderator.AskAsync("/reply 1 Thank you. Can you tell us which day?", Wait)).Text, StringComparison.Ordinal);
        await emulator.WaitUntilAsync(() => tipster.BotMessages.Any(m => m.Text.StartsWith("There is news about your letter", StringComparison.Ordinal)), Wait, "the nudge");

        // The route served its one nudge, and the nudge left the outbox as it was sent.
        await Eventually.HoldsAsync(async () => await bot.WithDbAsync(d => d.Outbox.CountAsync(o => o.EditionId == null)) == 0, Wait, "the nudge to leave the outbox");
        Assert.Null(await bot.WithDbAsync(d => d.Tips.Where(t => t.Id == 1).Select(t => t.SealedReplyRoute).SingleAsync()));

        Assert.Equal("Letter #1 approved.", (await moderator.AskAsync("/approve 1", Wait)).Text);
        Assert.Contains("Can you tell us which day?", (await tipster.AskAsync($"/check {receipt}", Wait)).Text, StringComparison.Ordinal);
        await tipster.AskAsync("/forget", Wait);

        // A second tip after /forget: it still waits when the server is taken, so only the epoch's end unlinks it.
        await tipster.AskAsync("/tip", Wait);
        await tipster.AskAsync(Marker + " second", Wait);
        await tipster.AskAsync("/send", Wait);
        Assert.NotNull(await bot.WithDbAsync(d => d.Tips.Where(t => t.Id == 2).Select(t => t.SenderTag).SingleAsync()));
        await emulator.WaitUntilAsync(() => emulator.Messages(Group).Count(m => m.FromBot) >= 2, Wait, "the notice of tip #2");

        // Eight days later: the epoch has changed and the hourly purge has run. (Every update handled first: a handler still
        // running when the clock jumps would pass its time limit.)
        await bot.SettledAsync(Wait);
        var purges = bot.Logs.Lines.Count(l => l.EventId == 1902);
        clock.Advance(TimeSpan.FromDays(8));
        await Eventually.HoldsAsync(() => Task.FromResult(bot.Logs.Lines.Count(l => l.EventId == 1902) > purges), Wait, "the purge after eight days");
        Assert.Null(await bot.WithDbAsync(d => d.Tips.Where(t => t.Id == 2).Select(t => t.SenderTag).SingleAsync()));
        Assert.Equal([2], await bot.WithDbAsync(d => d.Tips.Select(t => t.Id).ToListAsync())); // tip 1 was decided: erased

        // A control: a reader who tips now. Their tag is in the current epoch, and the adversary must find it.
        await control.AskAsync("/tip", Wait);
        await control.AskAsync("Control tip", Wait);
        await control.AskAsync("/send", Wait);

        string metrics;
        using (var http = new HttpClient { BaseAddress = bot.HttpAddress })
        {
            metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        }

        await bot.StopAsync();
        await emulator.DisposeAsync();

        // The seizure: the database's files with their WAL (or a dump and the data directory), the logs, the metrics, every key.
        var adversary = Adversary.WithConfiguration(settings);
        await adversary.SeizeDatabaseAsync(database);
        Assert.True(adversary.HasRawFiles || database.Provider != Storage.DatabaseProvider.Sqlite, "the SQLite files should be readable");
        adversary.Take("logs", bot.Logs.AllText);
        adversary.Take("metrics", metrics);
        var opened = adversary.OpenEverything();

        // Controls: what is stored is found, so finding nothing of the tipster means something.
        Assert.NotEmpty(adversary.ErasableKeysFound);
        Assert.Contains(opened, o => o.Plaintext.AsSpan().SequenceEqual(Adversary.FormsOf(ControlId).Single(f => f.What == "as a big-endian integer").Needle));
        Assert.Contains(adversary.HashesOf(ControlId), h => h.What.StartsWith("pseudonym key, 'reader'", StringComparison.Ordinal) && adversary.Holds(h.Hash));
        Assert.Contains(adversary.HashesOf(ControlId), h => h.What == $"erasable key, '{ResistanceBot.Tips.TipKeys.SenderPurpose}'" && adversary.Holds(h.Hash));
        Assert.NotEmpty(adversary.TimesNear(Submission.AddDays(8), TimeSpan.FromHours(1)));

        // 1. Every sealed value it can open: none holds the tipster's id (in a private chat, the chat id is the same number).
        foreach (var (where, plaintext) in opened)
        {
            foreach (var (what, needle) in Adversary.FormsOf(TipsterId))
            {
                Assert.False(plaintext.AsSpan().IndexOf(needle) >= 0, $"{where} opens to the tipster's id {what}");
            }
        }

        // 2. Every keyed hash of the tipster's id, under every key still present or recoverable: none is stored anywhere.
        foreach (var (what, hash) in adversary.HashesOf(TipsterId))
        {
            Assert.False(adversary.Holds(hash), $"the tipster's id hashed with the {what} is stored in {adversary.WhereHeld(hash)}");
        }

        foreach (var (what, needle) in Adversary.FormsOf(TipsterId))
        {
            Assert.False(adversary.Holds(needle), $"the tipster's id {what} is stored in {adversary.WhereHeld(needle)}");
        }

        foreach (var plain in new[] { "Zebulonia", "Quixotewicz", "zq_tipster_77", "79161234567", receipt, receipt.Replace("-", "", StringComparison.Ordinal) })
        {
            Assert.False(adversary.Holds(Encoding.UTF8.GetBytes(plain)), $"'{plain}' is stored or logged");
        }

        // 3. No time within an hour of the tips, in any table, file or dump; the day is all that is kept.
        Assert.Empty(adversary.TimesNear(Submission, TimeSpan.FromHours(1)));

        // Logs carry times of their own: none of the lines written while the tip line was used may tell that it was.
        var revealing = bot.Logs.Lines.Where(l => l.EventId != 1902
            && (l.Category.StartsWith("ResistanceBot.Tips", StringComparison.Ordinal) || l.Category.StartsWith("ResistanceBot.Moderation", StringComparison.Ordinal)
                || System.Text.RegularExpressions.Regex.IsMatch(l.Text, @"\btips?\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)
                || l.Text.Contains(Marker, StringComparison.Ordinal)));
        Assert.Empty(revealing.Select(l => $"{l.Category} [{l.EventId}] {l.Text}"));
        Assert.DoesNotContain(TipsterId.ToString(CultureInfo.InvariantCulture), metrics, StringComparison.Ordinal);
    }
}
