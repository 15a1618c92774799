using System.Text;
using MetadataExtractor;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Privacy;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;

namespace ResistanceBot.Tests.Tips;

/// <summary>The tip line through the real host and the emulator, checked against privacy promises 2, 3, 4 and 5.</summary>
public sealed class TipLineTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const string HostileText = "<b>Raid</b> at dawn & \u202Eevil RTL\u202C near the draft office";

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Media", name));

    /// <summary>Sends a tip of text, a two-photo album and a JPEG document carrying GPS; returns the receipt message.</summary>
    internal static async Task<ChatMessage> SendTipAsync(BotHost bot, TelegramUser user, string text = HostileText, bool english = true)
    {
        var intro = await user.AskAsync("/tip", Wait);
        var added = await user.AskAsync(text, Wait);
        if (english)
        {
            Assert.Contains("A letter to the editors", intro.Text, StringComparison.Ordinal);
            Assert.StartsWith("Added to your letter (1 part so far", added.Text, StringComparison.Ordinal);
        }

        var before = user.BotMessageCount;
        user.SendPhoto(Fixture("gps.jpg"), mediaGroupId: "album-1");
        user.SendPhoto(Fixture("gps.jpg"), caption: "second photo", mediaGroupId: "album-1");
        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.PendingUpdateCount == 0 && user.BotMessageCount > before, Wait, "the album to be taken");
        await Eventually.HoldsAsync(() => Task.FromResult(bot.Emulator.PendingUpdateCount == 0));

        var document = await user.AskAsync("", Wait, () => user.SendDocument(Fixture("gps.jpg"), "IMG_0001.jpg", "image/jpeg"));
        Assert.True(!english || document.Text.StartsWith("Added, cleaned of metadata (5 parts in the draft). Editors will see it as a JPG file under a neutral name", StringComparison.Ordinal), document.Text);
        Assert.True(!english || document.ButtonData("Keep its own name") is not null, "the name is offered back");
        return await user.AskAsync("/send", Wait);
    }

    /// <summary>Presses a button and waits for the bot's answer to it.</summary>
    internal static async Task PressAsync(BotApiEmulator.BotApiEmulator emulator, TelegramUser user, ChatMessage message, string data)
    {
        var query = user.PressButton(message.MessageId, data);
        await emulator.WaitUntilAsync(() => emulator.CallbackAnswers.Any(a => a.QueryId == query), Wait, $"the bot to act on '{data}'");
    }

    internal static string ReceiptOf(ChatMessage receipt)
    {
        var code = Assert.Single(receipt.Entities, e => e.Type == "code");
        return receipt.Text.Substring(code.Offset, code.Length);
    }

    [Fact]
    public async Task A_tip_with_hostile_text_an_album_and_a_GPS_document_is_stored_clean_and_sealed_and_the_chat_is_cleared()
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(8_100_001, "Tipster", languageCode: "en");

        var receiptMessage = await SendTipAsync(bot, user);

        // Promise 3: a receipt of 100 bits in a <code> element.
        var receipt = ReceiptOf(receiptMessage);
        Assert.Matches("^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$", receipt);
        Assert.Contains("I deleted the messages of your letter from this chat.", receiptMessage.Text, StringComparison.Ordinal);

        // Promise 4: the tipster's messages of the tip, and the bot's messages about the draft, are gone from the chat.
        var earlier = user.Messages.Where(m => m.MessageId < receiptMessage.MessageId).ToList();
        Assert.NotEmpty(earlier);
        Assert.All(earlier, m => Assert.True(m.IsDeleted, $"message {m.MessageId} ('{m.Text}') is still in the chat"));

        var check = await user.AskAsync($"/check {receipt.ToLowerInvariant().Replace('-', ' ')}", Wait);
        Assert.Equal("Your letter is waiting for the editors.\n\nI delete this answer in 10 minutes, unless the bot is restarted before then.", check.Text);
        Assert.True(user.Messages.Single(m => !m.FromBot && m.Text.StartsWith("/check", StringComparison.Ordinal)).IsDeleted);

        var wrong = await user.AskAsync("/check 00000-00000-00000-00000", Wait);
        var malformed = await user.AskAsync("/check hello", Wait);
        Assert.Equal(("No letter matches this code.\n\nI delete this answer in 10 minutes, unless the bot is restarted before then.", "No letter matches this code.\n\nI delete this answer in 10 minutes, unless the bot is restarted before then."), (wrong.Text, malformed.Text));

        // Stored: text and files sealed to the vault, each as it arrived; the photos and the document cleaned of their GPS location.
        var tip = await bot.WithDbAsync(db => db.Tips.Include(t => t.Parts.OrderBy(p => p.Position)).SingleAsync());
        var texts = tip.Parts.Where(p => p.Kind == TipPartKind.Text).Select(p => Encoding.UTF8.GetString(TestVault.Open(p.SealedContent, TipService.TextPurpose)!));
        Assert.Equal([HostileText, "second photo"], texts);
        var files = tip.Parts.Where(p => p.Kind != TipPartKind.Text).ToList();
        Assert.Equal(3, files.Count);
        Assert.All(files, f => Assert.True(f.Cleaned));
        Assert.All(files, f => Assert.Null(f.SealedName)); // its own name is not kept unless asked
        Assert.Equal([".jpg", ".jpg", ".jpg"], files.Select(f => f.Extension));
        foreach (var file in files)
        {
            var content = TestVault.Open(file.SealedContent, TipService.FilePurpose)!;
            var metadata = ImageMetadataReader.ReadMetadata(new MemoryStream(content));
            Assert.DoesNotContain(metadata, d => d.Name is "GPS" or "Exif IFD0" or "XMP" or "IPTC");
        }

        Assert.Equal(TimeSpan.Zero, tip.SubmittedOn.TimeOfDay); // the day, never the time
        await bot.StopAsync();
        var stored = Encoding.UTF8.GetString(await bot.Database.StoredBytesAsync());
        Assert.DoesNotContain("Raid", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("Petrovich", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("IMG_0001", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_phone_video_and_a_Word_file_reach_the_moderator_cleaned_under_neutral_names_unless_the_tipster_keeps_a_name()
    {
        const long Admin = 8_100_900;
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        await using var bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={Admin}"), database: db);
        bot.UnlockVault();
        var admin = emulator.User(Admin, "Admin");
        await admin.AskAsync("/start", Wait);
        var tipster = emulator.User(8_100_004, "Tipster", languageCode: "en");
        await tipster.AskAsync("/tip", Wait);

        // A video with the place and the phone in it, named as a phone names it, sent "as a file" (the bytes decide, not the name).
        var video = await tipster.AskAsync("", Wait, () => tipster.SendDocument(Cleaning.DirtyFiles.Bytes("video.mov"), "VID_20190509_Petrov.txt", "text/plain"));
        Assert.StartsWith("Added, cleaned of metadata (1 part in the draft). Editors will see it as a MOV file under a neutral name", video.Text, StringComparison.Ordinal);
        var word = await tipster.AskAsync("", Wait, () => tipster.SendDocument(Cleaning.DirtyFiles.Bytes("report.docx"), "plan_Petrov.docx", "application/octet-stream"));
        await Integration.ReaderJourneyTests.PressAsync(bot, tipster, word, word.ButtonData("Keep its own name")!);
        Assert.Equal("Its own name is kept with it.", tipster.BotMessages.Single(m => m.MessageId == word.MessageId).Text);
        await tipster.AskAsync("/send", Wait);
        Assert.All(tipster.Messages.Where(m => m.MessageId < word.MessageId), m => Assert.True(m.IsDeleted, $"'{m.Text}' is still in the chat"));

        var before = admin.BotMessageCount;
        admin.SendText("/open 1");
        await emulator.WaitUntilAsync(() => admin.BotMessages.Skip(before).Count(m => m.Document is not null) == 2, Wait, "the two files");
        var files = admin.BotMessages.Skip(before).Where(m => m.Document is not null).Select(m => m.Document!).ToList();
        Assert.Equal(["tip-1-file-1.mov", "plan_Petrov.docx"], files.Select(f => f.FileName));
        foreach (var (file, n) in files.Select((f, i) => (f, i)))
        {
            var path = Path.Combine(Path.GetTempPath(), $"opened-{Guid.NewGuid():N}-{n}{Path.GetExtension(file.FileName)}");
            await File.WriteAllBytesAsync(path, file.Content);
            var tags = Tools.ExifTool(path);
            Assert.DoesNotContain(tags, t => t.Tag.Contains("GPS", StringComparison.Ordinal) || t.Value.Contains("Petrov", StringComparison.Ordinal) || t.Value.Contains("Sonarix", StringComparison.Ordinal));
            File.Delete(path);
        }

        Assert.True(files[0].Content.Length < Cleaning.DirtyFiles.Bytes("video.mov").Length);
        await bot.StopAsync();
        var stored = Encoding.UTF8.GetString(await bot.Database.StoredBytesAsync());
        Assert.DoesNotContain("VID_20190509", stored, StringComparison.Ordinal); // never stored: not even sealed
        Assert.DoesNotContain("plan_Petrov", stored, StringComparison.Ordinal); // kept, but sealed to the vault
    }

    [Fact]
    public async Task Limits_refusals_and_warnings_are_told_plainly_and_nothing_identifying_joins_the_tip()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        await using var bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, db, "--Tips:MaxPerDay=1", "--Tips:MaxFiles=1", "--Tips:MaxTextLength=100", "--Tips:MaxFileBytes=3000"), database: db);
        var user = emulator.User(8_100_002, "Tipster", phone: "+79160000000");

        Assert.Equal("You have no draft. /tip starts one.", (await user.AskAsync("/send", Wait)).Text);
        await user.AskAsync("/tip", Wait);
        Assert.Equal("You already have a draft open: add to it, then /send or /cancel.", (await user.AskAsync("/tip", Wait)).Text);
        Assert.StartsWith("Not added: voice messages, round videos, locations and contacts", (await user.AskAsync("", Wait, () => user.SendContact())).Text, StringComparison.Ordinal);
        Assert.StartsWith("Not added: a letter's text can be at most 100", (await user.AskAsync(new string('x', 101), Wait)).Text, StringComparison.Ordinal);
        Assert.Equal("Your draft is empty: send text, photos or files first.", (await user.AskAsync("/send", Wait)).Text);
        // A file no cleaner can read is held, and joins the tip only if the tipster keeps it.
        var pdf = await user.AskAsync("", Wait, () => user.SendDocument(Encoding.ASCII.GetBytes("%PDF-1.4 /Author (Tipster)"), "report.pdf", "application/pdf"));
        Assert.StartsWith("⚠️ The bot cannot clean this file (or something inside it). It would reach the editors with whatever it holds", pdf.Text, StringComparison.Ordinal);
        Assert.Equal("Nothing to send yet: your draft holds only files you have not chosen to keep. Press “Keep it as it is” under a file, or send something else.", (await user.AskAsync("/send", Wait)).Text);
        Assert.Equal("Not added: files can be at most 2 KB.", (await user.AskAsync("", Wait, () => user.SendPhoto(Fixture("gps.jpg")))).Text);
        Assert.StartsWith("Not added: a letter can have at most 1 file.", (await user.AskAsync("", Wait, () => user.SendDocument([1, 2, 3], "b.pdf", "application/pdf"))).Text, StringComparison.Ordinal);

        // A forged button (another token, another choice) does nothing; the real one keeps the file.
        var stale = user.PressButton(pdf.MessageId, "tipf:0123456789abcdef01234567:0");
        await emulator.WaitUntilAsync(() => emulator.CallbackAnswers.Any(a => a.QueryId == stale), Wait, "the forged button's answer");
        Assert.Equal("This button no longer works. Send the command again.", emulator.CallbackAnswers.Single(a => a.QueryId == stale).Text);
        await Integration.ReaderJourneyTests.PressAsync(bot, user, pdf, pdf.ButtonData("Keep it as it is")!);
        Assert.Equal("Kept. Editors will see it marked “not cleaned”.", user.BotMessages.Single(m => m.MessageId == pdf.MessageId).Text);

        var receipt = await user.AskAsync("/send", Wait);
        Assert.Contains("1 file is kept with its metadata, as you chose.", receipt.Text, StringComparison.Ordinal);
        var file = await bot.WithDbAsync(d => d.TipParts.SingleAsync(p => p.Kind != TipPartKind.Text));
        Assert.Equal((MediaKind.Pdf, false, false, ".pdf"), (file.Media, file.Cleaned, file.Held, file.Extension));

        await user.AskAsync("/tip", Wait);
        await user.AskAsync("one more", Wait);
        Assert.Equal("You have sent 1 letter today (by UTC); please wait until tomorrow before sending more.", (await user.AskAsync("/send", Wait)).Text);
        Assert.Equal("Your draft is dropped and its messages deleted.", (await user.AskAsync("/cancel", Wait)).Text);
        Assert.Equal(0, await bot.WithDbAsync(d => d.TipDrafts.CountAsync()));

        // A button of a dropped draft does nothing to the same place in the next one.
        var broken = Encoding.ASCII.GetBytes("%PDF-1.4 /Author (Tipster)");
        await user.AskAsync("/tip", Wait);
        var old = await user.AskAsync("", Wait, () => user.SendDocument(broken, "a.pdf", "application/pdf"));
        await user.AskAsync("/cancel", Wait);
        await user.AskAsync("/tip", Wait);
        var current = await user.AskAsync("", Wait, () => user.SendDocument(broken, "b.pdf", "application/pdf"));
        // (The old message is deleted with its draft; its data comes back forged onto the new one, as a hostile client can send it.)
        var leftover = user.PressButton(current.MessageId, old.ButtonData("Keep it as it is")!);
        await emulator.WaitUntilAsync(() => emulator.CallbackAnswers.Any(a => a.QueryId == leftover), Wait, "the leftover button's answer");
        Assert.Equal("This button no longer works. Send the command again.", emulator.CallbackAnswers.Single(a => a.QueryId == leftover).Text);
        Assert.True((await bot.WithDbAsync(d => d.TipParts.SingleAsync(p => p.DraftKey != null))).Held);
    }

    [Fact]
    public async Task Opting_in_to_replies_stores_the_chat_sealed_and_forget_erases_it_with_any_draft()
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(8_100_003, "Tipster");
        await user.AskAsync("/tip", Wait);
        await user.AskAsync("Text of the tip", Wait);
        var receipt = await user.AskAsync("/send", Wait);
        Assert.Null((await bot.WithDbAsync(d => d.Tips.SingleAsync())).SealedReplyRoute); // nothing kept unless asked

        await Integration.ReaderJourneyTests.PressAsync(bot, user, receipt, receipt.ButtonData("Tell me when there is news")!);
        var tip = await bot.WithDbAsync(d => d.Tips.AsNoTracking().SingleAsync());
        Assert.Equal(user.Id, await bot.Services.GetRequiredService<ErasableKeys>().OpenInt64Async(tip.SealedReplyRoute!, TipKeys.RoutePurpose, default));
        Assert.True(tip.ReplyRouteUntil <= TimeProvider.System.GetUtcNow().UtcDateTime.Date.AddDays(14));

        await user.AskAsync("/tip", Wait);
        await user.AskAsync("/forget", Wait);

        tip = await bot.WithDbAsync(d => d.Tips.AsNoTracking().SingleAsync());
        Assert.Null(tip.SealedReplyRoute);
        Assert.Null(tip.SenderTag); // /forget also unlinks the reader's tips
        Assert.Equal(0, await bot.WithDbAsync(d => d.TipDrafts.CountAsync()));
        Assert.Equal("Your letter is waiting for the editors.\n\nI delete this answer in 10 minutes, unless the bot is restarted before then.", (await user.AskAsync($"/check {ReceiptOf(receipt)}", Wait)).Text);
    }

    [Fact]
    public async Task After_a_data_key_rotation_subscriptions_and_drafts_from_before_still_open()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var path = TestDatabase.New();
        var settings = BotHost.DefaultSettings(emulator, path);
        var first = await BotHost.StartAsync(emulator, settings, database: path);
        var user = emulator.User(8_100_004, "Tipster");
        await user.AskAsync("/subscribe", Wait);
        await user.AskAsync("/tip", Wait);
        await user.AskAsync("Before the rotation", Wait);
        await first.StopAsync();

        var oldKey = settings.Single(s => s.StartsWith("--Security:DataKey=", StringComparison.Ordinal))["--Security:DataKey=".Length..];
        string[] rotated =
        [
            .. settings.Where(s => !s.StartsWith("--Security:DataKey=", StringComparison.Ordinal)),
            "--Security:DataKey=" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            "--Security:PreviousDataKeys:0=" + oldKey,
        ];
        await using var second = await BotHost.StartAsync(emulator, rotated, database: path);

        // The day's erasable key was sealed under the old DataKey: the draft goes on. The chat id opens too.
        Assert.StartsWith("Added to your letter (2 parts", (await user.AskAsync("After the rotation", Wait)).Text, StringComparison.Ordinal);
        Assert.StartsWith("✅", (await user.AskAsync("/send", Wait)).Text, StringComparison.Ordinal);
        var reader = await second.WithDbAsync(d => d.Readers.SingleAsync());
        Assert.Equal(user.Id, second.Services.GetRequiredService<DataSealer>().OpenInt64(reader.SealedChatId!, Purposes.SubscriberChat));
    }

    [Fact]
    public async Task Promise_4_the_receipt_message_deletes_itself_after_a_while()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var bot = await BotHost.StartAsync(services: s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)));
        var user = bot.Emulator.User(8_100_005, "Tipster");
        await user.AskAsync("/tip", Wait);
        await user.AskAsync("Short tip", Wait);
        var receipt = await user.AskAsync("/send", Wait);
        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.PendingUpdateCount == 0, Wait, "the send to finish");
        Assert.False(user.BotMessages.Single(m => m.MessageId == receipt.MessageId).IsDeleted);

        clock.Advance(TimeSpan.FromMinutes(11));

        await bot.Emulator.WaitUntilAsync(() => user.BotMessages.Single(m => m.MessageId == receipt.MessageId).IsDeleted, Wait, "the receipt to be deleted");
    }

    [Fact]
    public async Task A_draft_left_alone_expires_on_time_its_messages_leave_the_chat_and_nothing_is_sent()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var bot = await BotHost.StartAsync(services: s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)));
        var user = bot.Emulator.User(8_100_006, "Tipster");
        await user.AskAsync("/tip", Wait);
        await user.AskAsync("Started, then left", Wait);
        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.PendingUpdateCount == 0, Wait, "the draft to be saved");
        await bot.SettledAsync(Wait);
        var draftMessages = user.Messages.ToList(); // /tip, the intro, the text and its acknowledgement
        Assert.Equal(4, draftMessages.Count);

        clock.Advance(TimeSpan.FromMinutes(29));
        Assert.DoesNotContain(draftMessages, m => user.Messages.Single(x => x.MessageId == m.MessageId).IsDeleted);
        await Eventually.AdvanceUntilAsync(
            clock, TimeSpan.FromSeconds(30), () => draftMessages.All(m => user.Messages.Single(x => x.MessageId == m.MessageId).IsDeleted), Wait, "the expired draft's messages to be deleted");
        await Eventually.HoldsAsync(async () => await bot.WithDbAsync(d => d.TipDrafts.CountAsync()) == 0, Wait, "the expired draft to be erased");

        Assert.Equal("Not saved: the bot keeps nothing sent outside a letter. To write to the editors, send /tip first.", (await user.AskAsync("more text", Wait)).Text);
        Assert.Equal("You have no draft. /tip starts one.", (await user.AskAsync("/send", Wait)).Text);
        Assert.Equal(0, await bot.WithDbAsync(d => d.Tips.CountAsync()));
    }

    [Fact]
    public async Task Promise_3_guessing_receipts_is_stopped_after_ten_tries_an_hour()
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(8_100_007, "Guesser");
        for (var i = 0; i < 10; i++)
        {
            Assert.StartsWith("No letter matches this code.", (await user.AskAsync($"/check {Receipt.New()}", Wait)).Text, StringComparison.Ordinal);
        }

        Assert.Equal("Too many checks. Please try again in an hour.", (await user.AskAsync($"/check {Receipt.New()}", Wait)).Text);
    }

    [Theory]
    [InlineData("k7qmd-2xprt-9hwzb-4nf6c", "K7QMD2XPRT9HWZB4NF6C")]
    [InlineData("K7QMD 2XPRT 9HWZB 4NF6C", "K7QMD2XPRT9HWZB4NF6C")]
    [InlineData("O1LI0-00000-00000-00000", "01110000000000000000")]
    [InlineData("K7QMD-2XPRT-9HWZB-4NF6", null)]
    [InlineData("K7QMD-2XPRT-9HWZB-4NF6U", null)]
    public void Receipts_forgive_case_spaces_and_look_alike_letters(string typed, string? canonical) =>
        Assert.Equal(canonical, Receipt.Normalize(typed));
}
