using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;

namespace ResistanceBot.Tests.Tips;

/// <summary>
/// The chat cleans up after itself, and says so only when it did: stray content, a pasted code and the news nudge leave the
/// chat, an edited message replaces its part of the draft, and a message Telegram refuses to delete is pointed out to the reader.
/// </summary>
public sealed class ChatCleanupTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const long AdminId = 8_300_900;

    private static async Task<(BotHost Bot, FakeTimeProvider Clock)> StartAsync(params string[] extra)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 3, 3, 9, 0, 0, TimeSpan.Zero));
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync(new EmulatorOptions { TimeProvider = clock });
        var db = TestDatabase.New();
        var bot = await BotHost.StartAsync(
            emulator, BotHost.DefaultSettings(emulator, db, [$"--Staff:AdminIds:0={AdminId}", "--Tips:NoticeDelayMinutes=0", .. extra]), s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)), db);
        return (bot, clock);
    }

    /// <summary>Waits until every update so far is handled, so the clock may jump without cutting a handler off.</summary>
    private static async Task SettledAsync(BotHost bot)
    {
        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.PendingUpdateCount == 0, Wait, "the updates to be taken");
        await bot.SettledAsync(Wait);
    }

    private static bool Deleted(TelegramUser user, int messageId) => user.Messages.Single(m => m.MessageId == messageId).IsDeleted;

    [Fact]
    public async Task Stray_content_is_not_saved_it_is_deleted_at_once_and_the_answer_after_a_while()
    {
        var (bot, clock) = await StartAsync();
        await using var _ = bot;
        var user = bot.Emulator.User(8_300_001, "Reader", languageCode: "ru");

        var answer = await user.AskAsync("Колонна техники у моста, 40 машин", Wait);
        Assert.Equal("Не сохранено: бот ничего не хранит из того, что прислано вне письма. Чтобы написать в редакцию, сначала отправьте /tip.", answer.Text);
        var words = user.Messages.Single(m => !m.FromBot && m.Text.StartsWith("Колонна", StringComparison.Ordinal));
        Assert.True(words.IsDeleted);
        var photo = await user.AskAsync("", Wait, () => user.SendPhoto(DirtyJpeg()));
        Assert.True(Deleted(user, photo.MessageId - 1), "a photo sent without /tip is deleted");
        Assert.Equal(0, await bot.WithDbAsync(d => d.TipParts.CountAsync()));

        await SettledAsync(bot);
        clock.Advance(TimeSpan.FromMinutes(11));
        await bot.Emulator.WaitUntilAsync(() => Deleted(user, answer.MessageId) && Deleted(user, photo.MessageId), Wait, "the answers to be deleted");
    }

    [Fact]
    public async Task A_pasted_code_is_checked_like_check_and_deleted_from_the_chat()
    {
        var (bot, _) = await StartAsync();
        await using var __ = bot;
        var user = bot.Emulator.User(8_300_002, "Tipster", languageCode: "uk");
        await user.AskAsync("/tip", Wait);
        await user.AskAsync("Обшуки на заводі", Wait);
        var receipt = await user.AskAsync("/send", Wait);
        var code = TipLineTests.ReceiptOf(receipt);

        var pasted = code.ToLowerInvariant();
        var answer = await user.AskAsync(pasted, Wait);
        Assert.StartsWith("Ваш лист чекає, доки його прочитає редакція.", answer.Text, StringComparison.Ordinal);
        Assert.True(user.Messages.Single(m => !m.FromBot && m.Text == pasted).IsDeleted, "the pasted code is deleted at once");
        Assert.DoesNotContain(code, string.Join("\n", user.Messages.Where(m => !m.IsDeleted && m.MessageId != receipt.MessageId).Select(m => m.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_news_nudge_deletes_itself_after_a_while()
    {
        var (bot, clock) = await StartAsync();
        await using var _ = bot;
        var tipster = bot.Emulator.User(8_300_003, "Tipster");
        var admin = bot.Emulator.User(AdminId, "Admin");
        await admin.AskAsync("/start", Wait);
        await tipster.AskAsync("/tip", Wait);
        await tipster.AskAsync("Seen at the depot", Wait);
        var receipt = await tipster.AskAsync("/send", Wait);
        await Integration.ReaderJourneyTests.PressAsync(bot, tipster, receipt, receipt.ButtonData("Tell me when there is news")!);

        await admin.AskAsync("/approve 1", Wait);
        await Eventually.AdvanceUntilAsync(
            clock, TimeSpan.FromSeconds(1), () => tipster.BotMessages.Any(m => m.Text.StartsWith("There is news about your letter", StringComparison.Ordinal)), Wait, "the nudge");
        var nudge = tipster.BotMessages.Single(m => m.Text.StartsWith("There is news about your letter", StringComparison.Ordinal));
        Assert.Contains("This message deletes itself in 10 minutes.", nudge.Text, StringComparison.Ordinal);
        Assert.Contains("Это сообщение удалится само через 10 минут.", nudge.Text, StringComparison.Ordinal);
        Assert.Contains("Це повідомлення видалиться саме через 10 хвилин.", nudge.Text, StringComparison.Ordinal);

        await SettledAsync(bot);
        clock.Advance(TimeSpan.FromMinutes(9));
        await Task.Delay(200);
        Assert.False(Deleted(tipster, nudge.MessageId));
        await Eventually.AdvanceUntilAsync(clock, TimeSpan.FromSeconds(30), () => Deleted(tipster, nudge.MessageId), Wait, "the nudge to delete itself");
        Assert.Equal(0, await bot.WithDbAsync(d => d.Outbox.CountAsync())); // nothing left that says a chat got news
    }

    [Fact]
    public async Task An_edited_message_replaces_its_part_of_the_draft_and_nothing_of_the_first_words_is_kept()
    {
        var (bot, _) = await StartAsync();
        await using var __ = bot;
        var user = bot.Emulator.User(8_300_004, "Tipster", languageCode: "ru");
        var outside = user.SendText("/start");
        await bot.Emulator.WaitForBotMessageAsync(user.Id, 0, Wait);
        await user.AskAsync("/tip", Wait);
        var first = user.SendText("Обыски на заводе в 5 утра, фамилия Зебулонов");
        await bot.Emulator.WaitForBotMessageAsync(user.Id, user.BotMessageCount, Wait);
        await SettledAsync(bot);
        var count = user.BotMessageCount;
        user.EditMessage(first, "Обыски на заводе в 6 утра");
        var edited = await bot.Emulator.WaitForBotMessageAsync(user.Id, count, Wait);
        Assert.Equal("Исправленный вариант заменил прежний в черновике (пока 1 часть).", edited.Text);
        await user.AskAsync("И ещё: охрана сменилась", Wait);
        var photo = user.SendPhoto(DirtyJpeg());
        await bot.Emulator.WaitUntilAsync(() => user.BotMessages.Any(m => m.Text.StartsWith("Добавлено в письмо (пока 3 части)", StringComparison.Ordinal)), Wait, "the photo");
        await SettledAsync(bot);

        // A caption written into the photo's message afterwards joins as words of their own; the photo stays as first sent.
        count = user.BotMessageCount;
        user.EditMessage(photo, "Вид из окна цеха");
        Assert.Equal("Исправленный вариант заменил прежний в черновике (пока 4 части).", (await bot.Emulator.WaitForBotMessageAsync(user.Id, count, Wait)).Text);
        await SettledAsync(bot);

        // An edit outside the draft changes nothing and is not answered.
        count = user.BotMessageCount;
        user.EditMessage(outside, "/start изменено вне черновика");
        await SettledAsync(bot);
        Assert.Equal(count, user.BotMessageCount);

        var receipt = await user.AskAsync("/send", Wait);
        Assert.Contains("Я удалил из чата сообщения вашего письма.", receipt.Text, StringComparison.Ordinal);
        Assert.True(Deleted(user, edited.MessageId), "the answer to the edit goes with the draft");
        var tip = await bot.WithDbAsync(d => d.Tips.Include(t => t.Parts.OrderBy(p => p.Position)).SingleAsync());
        var texts = tip.Parts.Where(p => p.Kind == TipPartKind.Text).Select(p => Encoding.UTF8.GetString(TestVault.Open(p.SealedContent, TipService.TextPurpose)!)).ToList();
        Assert.Equal(["Обыски на заводе в 6 утра", "И ещё: охрана сменилась", "Вид из окна цеха"], texts);
        Assert.Single(tip.Parts, p => p.Kind != TipPartKind.Text);
        await bot.StopAsync();
        Assert.DoesNotContain("Зебулонов", Encoding.UTF8.GetString(await bot.Database.StoredBytesAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deletion_Telegram_refuses_is_pointed_out_to_the_reader_and_the_receipt_does_not_claim_it()
    {
        var (bot, _) = await StartAsync();
        await using var __ = bot;
        var user = bot.Emulator.User(8_300_005, "Tipster");
        await user.AskAsync("/tip", Wait);
        await user.AskAsync("Seen at the depot", Wait);
        await SettledAsync(bot);
        var draft = user.Messages.Select(m => m.MessageId).ToList(); // /tip, the intro, the text, its answer

        // Telegram refuses to delete (it does, for a message older than 48 hours): the reader is told which ones are left.
        bot.Emulator.Faults.RefuseDeletes = true;
        user.SendText("/send");
        await bot.Emulator.WaitUntilAsync(() => user.BotMessages.Any(m => m.Text.StartsWith('✅')), Wait, "the receipt");
        await SettledAsync(bot);
        bot.Emulator.Faults.RefuseDeletes = false;
        var receipt = user.BotMessages.Single(m => m.Text.StartsWith('✅'));
        var send = draft.Max() + 1;
        Assert.Contains($"⚠️ I could not delete {draft.Count + 1} messages from this chat; each is marked with a reply. Delete them by hand, and my replies too.", receipt.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("I deleted the messages of your letter", receipt.Text, StringComparison.Ordinal);
        var marks = user.BotMessages.Where(m => m.Text == "⚠️ I could not delete this message: delete it by hand.").ToList();
        Assert.Equal([.. draft, send], marks.Select(m => m.ReplyTo!.Value).Order());
        Assert.All(draft, id => Assert.False(Deleted(user, id)));
    }

    private static byte[] DirtyJpeg() => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Media", "gps.jpg"));
}
