using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Articles;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;

namespace ResistanceBot.Tests.Tips;

/// <summary>Moderators work the tip queue from Telegram: privacy promises 6 and 7, and no way for a reader to act as one.</summary>
public sealed class ModerationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const long AdminId = 9_000_001;
    private const long ModeratorA = 9_000_002;
    private const long ModeratorB = 9_000_003;
    private const long Group = -4_001;
    private const string TipText = "<i>Hostile</i> & \u202Eraid\u202C at the draft office &amp; more";

    private static async Task<BotHost> StartAsync()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        emulator.CreateGroup(Group, "Moderators");
        var db = TestDatabase.New();
        var bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={AdminId}", $"--Staff:ModeratorChatId={Group}"), database: db);
        bot.UnlockVault();
        var admin = emulator.User(AdminId, "Admin");
        await admin.AskAsync($"/addstaff {ModeratorA} moderator", Wait);
        await admin.AskAsync($"/addstaff {ModeratorB} moderator", Wait);
        return bot;
    }

    [Fact]
    public async Task Tip_to_notice_to_open_reply_approve_redact_and_the_tipster_reads_it_and_the_copies_are_gone()
    {
        await using var bot = await StartAsync();
        var emulator = bot.Emulator;
        var tipster = emulator.User(9_100_001, "Tipster");
        var a = emulator.User(ModeratorA, "Moderator A");
        var b = emulator.User(ModeratorB, "Moderator B");

        var receiptMessage = await TipLineTests.SendTipAsync(bot, tipster, TipText);
        var code = receiptMessage.Entities.Single(e => e.Type == "code");
        var receipt = receiptMessage.Text.Substring(code.Offset, code.Length);
        await Integration.ReaderJourneyTests.PressAsync(bot, tipster, receiptMessage, receiptMessage.ButtonData("Tell me when there is news")!);

        // Promise 6: the group gets a notice without contents.
        await emulator.WaitUntilAsync(() => emulator.Messages(Group).Any(m => m.FromBot), Wait, "the notice in the group");
        var notice = emulator.Messages(Group).Single(m => m.FromBot);
        Assert.Equal("📥 New letter #1: text, 2 photos, 1 file. Open it in a private chat with the bot.", notice.Text);
        Assert.DoesNotContain("raid", notice.Text, StringComparison.Ordinal);

        // Moderator A opens it from the group: contents arrive in A's private chat, escaped and accepted by Telegram.
        var before = a.BotMessageCount;
        a.PressButton(Group, notice.MessageId, notice.ButtonData("Open")!);
        await emulator.WaitUntilAsync(() => a.BotMessageCount >= before + 5, Wait, "the tip's contents in A's chat");
        var opened = a.BotMessages.Skip(before).ToList();
        Assert.StartsWith("Letter #1 · waiting", opened[0].Text, StringComparison.Ordinal);
        Assert.Equal(TipText + "\n\nsecond photo", opened[1].Text); // the album's caption joins the text
        Assert.Equal(3, opened.Count(m => m.Photo is not null || m.Document is not null));
        Assert.DoesNotContain(emulator.Messages(Group), m => m.Text.Contains("raid", StringComparison.Ordinal));

        // Reply through the button, then decide; B comes second.
        await Integration.ReaderJourneyTests.PressAsync(bot, a, opened[0], opened[0].ButtonData("Reply")!, expectEdit: false);
        Assert.StartsWith("Reply to letter #1 saved", (await a.AskAsync("Thank you, we <b>verified</b> it.", Wait)).Text, StringComparison.Ordinal);
        Assert.Equal("Letter #1 approved.", (await a.AskAsync("/approve 1", Wait)).Text);
        Assert.Equal("Letter #1 was already decided.", (await b.AskAsync("/reject 1", Wait)).Text);
        Assert.Equal("Text for publication of letter #1 saved.", (await a.AskAsync("/redact 1 A reader reports a raid near the draft office.", Wait)).Text);

        var check = await tipster.AskAsync($"/check {receipt}", Wait);
        Assert.Contains("The editors accepted your letter.", check.Text, StringComparison.Ordinal);
        Assert.Contains("Thank you, we <b>verified</b> it.", check.Text, StringComparison.Ordinal);
        Assert.Contains(tipster.BotMessages, m => m.Text.StartsWith("There is news about your letter", StringComparison.Ordinal));
        var tip = await bot.WithDbAsync(d => d.Tips.SingleAsync());
        Assert.Null(tip.SealedReplyRoute); // erased at the decision

        // The reader report is a candidate, with the redacted text only.
        var report = await bot.WithDbAsync(d => d.Articles.SingleAsync(x => x.Kind == CandidateKind.ReaderReport));
        Assert.Equal("A reader reports a raid near the draft office.", report.Summary);

        // The bot's copies are gone from A's chat, and the notice shows the outcome.
        await emulator.WaitUntilAsync(() => opened.All(m => a.BotMessages.Single(x => x.MessageId == m.MessageId).IsDeleted), Wait, "the copies to be deleted");
        Assert.Matches(@"^📥 Letter #1: approved by a moderator, \d\d\.\d\d \d\d:\d\d UTC\.$", emulator.Messages(Group).Single(m => m.MessageId == notice.MessageId).Text);
        Assert.DoesNotContain(ModeratorA.ToString(System.Globalization.CultureInfo.InvariantCulture), emulator.Messages(Group).Single(m => m.MessageId == notice.MessageId).Text, StringComparison.Ordinal);

        var audit = await emulator.User(AdminId, "Admin").AskAsync("/audit 1", Wait);
        Assert.Contains($"staff:{ModeratorA} open", audit.Text, StringComparison.Ordinal);
        Assert.Contains($"staff:{ModeratorA} reply", audit.Text, StringComparison.Ordinal);
        Assert.Contains($"staff:{ModeratorA} approve", audit.Text, StringComparison.Ordinal);
        Assert.Contains($"staff:{ModeratorA} redact", audit.Text, StringComparison.Ordinal);
        Assert.Equal(0, emulator.Stats.BadRequests);
    }

    [Fact]
    public async Task A_reader_replaying_a_moderation_button_or_sending_approve_changes_nothing_and_is_audited()
    {
        await using var bot = await StartAsync();
        var emulator = bot.Emulator;
        var tipster = emulator.User(9_100_002, "Tipster");
        await tipster.AskAsync("/tip", Wait);
        await tipster.AskAsync("A tip", Wait);
        await tipster.AskAsync("/send", Wait);
        await emulator.WaitUntilAsync(() => emulator.Messages(Group).Any(m => m.FromBot), Wait, "the notice");
        var a = emulator.User(ModeratorA, "Moderator A");
        var notice = emulator.Messages(Group).Single(m => m.FromBot);
        var before = a.BotMessageCount;
        a.PressButton(Group, notice.MessageId, notice.ButtonData("Open")!);
        await emulator.WaitUntilAsync(() => a.BotMessageCount > before, Wait, "the opened tip");
        var approveData = a.BotMessages[before].ButtonData("Approve")!;

        // The reader copies the moderator's genuine button data onto a message of their own, and tries the command.
        var reader = emulator.User(9_100_003, "Reader");
        var start = await reader.AskAsync("/start", Wait);
        await Integration.ReaderJourneyTests.PressAsync(bot, reader, start, approveData, expectEdit: false);
        Assert.Equal("I don't know that command. /help lists what you can do.", (await reader.AskAsync("/approve 1", Wait)).Text);

        // A moderator's press with made-up data is refused as forged.
        await Integration.ReaderJourneyTests.PressAsync(bot, a, a.BotMessages[before], "m:approve:1:AAAAAAAAAAAA", expectEdit: false);

        Assert.Equal(TipState.Waiting, await bot.WithDbAsync(d => d.Tips.Select(t => t.State).SingleAsync()));
        var audit = await bot.WithDbAsync(d => d.AuditEntries.OrderBy(x => x.Id).Select(x => x.Action + " " + x.Target).ToListAsync());
        Assert.Contains("denied button:moderation", audit);
        Assert.Contains("denied /approve", audit);
        Assert.Contains("forged button:moderation", audit);
    }

    [Fact]
    public async Task Without_a_moderators_group_each_moderator_gets_the_notice_privately()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        await using var bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={AdminId}"), database: db);
        var admin = emulator.User(AdminId, "Admin");
        await admin.AskAsync($"/addstaff {ModeratorA} moderator", Wait);
        var a = emulator.User(ModeratorA, "Moderator A");
        await a.AskAsync("/start", Wait);
        var tipster = emulator.User(9_100_005, "Tipster");
        await tipster.AskAsync("/tip", Wait);
        await tipster.AskAsync("Seen at the station", Wait);
        await tipster.AskAsync("/send", Wait);

        await emulator.WaitUntilAsync(
            () => a.BotMessages.Any(m => m.Text.StartsWith("📥 New letter #1", StringComparison.Ordinal))
                && admin.BotMessages.Any(m => m.Text.StartsWith("📥 New letter #1", StringComparison.Ordinal)),
            Wait,
            "notices in the moderator's and the admin's chats");
        Assert.DoesNotContain(a.BotMessages, m => m.Text.Contains("station", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tip_of_maximal_length_full_of_markup_reaches_the_moderator_whole_in_parts_Telegram_accepts()
    {
        await using var bot = await StartAsync();
        var tipster = bot.Emulator.User(9_100_006, "Tipster");
        var text = string.Concat(Enumerable.Repeat("<b>&amp; 😀 ", 666)); // 7,992 characters of markup-like text
        await tipster.AskAsync("/tip", Wait);
        Assert.StartsWith("Added to your letter", (await tipster.AskAsync(text, Wait)).Text, StringComparison.Ordinal);
        await tipster.AskAsync("/send", Wait);
        var a = bot.Emulator.User(ModeratorA, "Moderator A");

        await a.AskAsync("/open 1", Wait);
        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.PendingUpdateCount == 0 && a.BotMessageCount >= 4, Wait, "the whole tip");

        // Telegram trims white space at the edges of each message: compare the content without it.
        static string Content(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));
        Assert.Equal(Content(text), Content(string.Concat(a.BotMessages.Skip(1).Select(m => m.Text))));
        Assert.Equal(0, bot.Emulator.Stats.BadRequests);
    }

    [Fact]
    public async Task Ban_and_reject_ask_first_say_until_when_and_are_undone_from_their_report_and_unban_lifts_a_ban()
    {
        await using var bot = await StartAsync();
        var emulator = bot.Emulator;
        var tipster = emulator.User(9_100_004, "Tipster");
        await tipster.AskAsync("/tip", Wait);
        await tipster.AskAsync("Spam", Wait);
        await tipster.AskAsync("/send", Wait);
        var a = emulator.User(ModeratorA, "Moderator A");
        var b = emulator.User(ModeratorB, "Moderator B");

        // Asking bans nobody; the question says until when.
        var question = await a.AskAsync("/ban 1", Wait);
        var day = Assert.Single(Regex.Matches(question.Text, @"\d\d\.\d\d\.\d{4}")).Value;
        Assert.Equal($"Refuse letters from the writer of letter #1 until {day} (UTC)?", question.Text);
        Assert.Equal(0, await bot.WithDbAsync(d => d.TipBans.CountAsync()));

        // Another moderator cannot press the first one's button: it is signed for the one who asked.
        var own = await b.AskAsync("/queue", Wait);
        var foreign = b.PressButton(own.MessageId, Confirm.Button(question, "k:y:"));
        await emulator.WaitUntilAsync(() => emulator.CallbackAnswers.Any(q => q.QueryId == foreign), Wait, "the foreign press to be answered");
        Assert.Equal(0, await bot.WithDbAsync(d => d.TipBans.CountAsync()));

        var report = await Confirm.YesAsync(emulator, a, question);
        Assert.Equal($"The writer of letter #1 can send no letters until {day} (UTC), and longer if they keep trying.", report.Text);
        Assert.Equal($"You cannot send letters to the editors until {day} (UTC).", (await tipster.AskAsync("/tip", Wait)).Text);

        var undone = await Confirm.UndoAsync(emulator, a, report);
        Assert.Equal("Ban lifted: the writer of letter #1 may write again.", undone.Text);
        Assert.Empty(undone.Buttons);
        Assert.Contains("A letter to the editors", (await tipster.AskAsync("/tip", Wait)).Text, StringComparison.Ordinal);
        await tipster.AskAsync("/cancel", Wait);

        await Confirm.CommandAsync(emulator, a, "/ban 1");
        Assert.Equal("The writer of letter #1 may write again.", (await a.AskAsync("/unban 1", Wait)).Text);
        Assert.Equal("The writer of letter #1 is not banned.", (await a.AskAsync("/unban 1", Wait)).Text);

        // Reject: asks, is done, and the tip waits again at Undo.
        var reject = await a.AskAsync("/reject 1 not for us", Wait);
        Assert.Equal("Reject letter #1? The writer sees “not used” with /check.", reject.Text);
        var cancelled = await Confirm.PressAsync(emulator, a, reject, Confirm.Button(reject, "k:n:"));
        Assert.Equal("Cancelled: nothing was done.", cancelled.Text);
        Assert.Equal(TipState.Waiting, await bot.WithDbAsync(d => d.Tips.Select(t => t.State).SingleAsync()));
        var rejected = await Confirm.CommandAsync(emulator, a, "/reject 1 not for us");
        Assert.Equal("Letter #1 rejected.", rejected.Text);
        Assert.Equal("No letters are waiting.", (await a.AskAsync("/queue", Wait)).Text);
        Assert.Equal("Letter #1 is waiting again: the rejection is undone.", (await Confirm.UndoAsync(emulator, a, rejected)).Text);
        Assert.StartsWith("#1 — text — today", (await a.AskAsync("/queue", Wait)).Text.Split('\n')[1], StringComparison.Ordinal);
        var audit = await bot.WithDbAsync(d => d.AuditEntries.Where(e => e.Target == "tip:1").Select(e => e.Action).ToListAsync());
        Assert.Equal(["ban", "unban", "ban", "unban", "reject", "reopen"], audit.Where(x => x is "ban" or "unban" or "reject" or "reopen"));
    }
}
