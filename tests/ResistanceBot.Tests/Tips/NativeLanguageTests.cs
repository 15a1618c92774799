using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Tips;

/// <summary>
/// Readers and staff who speak Russian or Ukrainian read the whole bot in their language: counts in the right form, zones by
/// their names, no English word slipped in, staff screens and buttons included.
/// </summary>
public sealed partial class NativeLanguageTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const long AdminId = 8_500_900;
    private const long ModeratorId = 8_500_901;
    private const long Group = -8_500;

    /// <summary>Names that have no other name: the bot's, file formats' and programs', English as the language button names itself; and UTC on staff screens.</summary>
    private static readonly HashSet<string> Names = ["ResistanceBot", "English", "JPEG", "PNG", "WebP", "HEIC", "HEIF", "AVIF", "MP", "MOV", "GP", "MP3", "Ogg", "Opus", "PDF", "Word", "Excel", "PowerPoint", "OpenDocument", "ZIP", "RAR", "UTC"];

    [GeneratedRegex(@"[A-Za-z]{2,}")]
    private static partial Regex LatinWord();

    [GeneratedRegex(@"/[a-z_]+(@\w+)?|https?://\S+")]
    private static partial Regex CommandOrUrl();

    /// <summary>Latin words in what the bot showed in a chat (texts and buttons), leaving out commands, links, names and code entities.</summary>
    private static List<string> LatinWords(IEnumerable<ChatMessage> messages) =>
        messages.Where(m => m.FromBot)
            .SelectMany(m => new[] { WithoutCode(m) }.Concat(m.Buttons.SelectMany(r => r).Select(b => b.Text)))
            .SelectMany(text => LatinWord().Matches(CommandOrUrl().Replace(text, " ")).Select(w => w.Value))
            .Where(w => !Names.Contains(w))
            .Distinct()
            .ToList();

    private static string WithoutCode(ChatMessage m)
    {
        var text = m.Text;
        foreach (var code in m.Entities.Where(e => e.Type == "code").OrderByDescending(e => e.Offset))
        {
            text = text.Remove(code.Offset, code.Length);
        }

        return text;
    }

    [Theory]
    [InlineData("ru", new[] { "часть", "части", "частей", "частей", "часть", "части" }, "Часовой пояс: Гринвич", "Ваше письмо ждёт")]
    [InlineData("uk", new[] { "частина", "частини", "частин", "частин", "частина", "частини" }, "Часовий пояс: Гринвіч", "Ваш лист чекає")]
    public async Task A_reader_in_Russian_or_Ukrainian_reads_every_count_zone_and_word_in_their_language(string language, string[] parts, string zone, string waiting)
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(8_500_001 + language[0], "Читач", languageCode: language);

        await user.AskAsync("/start", Wait);
        await user.AskAsync("/help", Wait);
        await user.AskAsync("/privacy", Wait);
        // /privacy takes more than one message: all of them are in before /settings is asked.
        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.PendingUpdateCount == 0, Wait, "/privacy to be handled");
        await bot.SettledAsync(Wait);
        var settings = await user.AskAsync("/settings", Wait);
        Assert.Contains(zone, settings.Text, StringComparison.Ordinal); // the default zone (UTC in tests), in the reader's words
        await Integration.ReaderJourneyTests.PressAsync(bot, user, settings, "set:tz");
        await Integration.ReaderJourneyTests.PressAsync(bot, user, settings, "set:tzo");
        await Integration.ReaderJourneyTests.PressAsync(bot, user, settings, "set:menu");
        await user.AskAsync("/subscribe", Wait);

        // Counts of 1, 2, 5, 11, 21 and 22 parts, each in the form a native speaker writes.
        await user.AskAsync("/tip", Wait);
        int[] counts = [1, 2, 5, 11, 21, 22];
        for (var n = 1; n <= 22; n++)
        {
            var added = await user.AskAsync($"Часть {n}", Wait);
            if (Array.IndexOf(counts, n) is var i and >= 0)
            {
                Assert.Contains($" {n} {parts[i]})", added.Text, StringComparison.Ordinal);
            }
        }

        var receipt = await user.AskAsync("/send", Wait);
        var code = TipLineTests.ReceiptOf(receipt);
        Assert.StartsWith(waiting, (await user.AskAsync($"/check {code}", Wait)).Text, StringComparison.Ordinal);
        await user.AskAsync("что-то без команды", Wait);
        await user.AskAsync("/unsubscribe", Wait);
        await user.AskAsync("/forget", Wait);

        Assert.Empty(LatinWords(user.Messages));
        Assert.Equal(0, bot.Emulator.Stats.BadRequests);
    }

    [Fact]
    public async Task Staff_screens_are_entirely_in_Russian_for_a_Russian_speaking_moderator_and_name_them_by_nickname()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        emulator.CreateGroup(Group, "Модераторы");
        var db = TestDatabase.New();
        await using var bot = await BotHost.StartAsync(
            emulator, BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={AdminId}", $"--Staff:ModeratorChatId={Group}", "--Staff:GroupLanguage=ru", "--Tips:NoticeDelayMinutes=0"), database: db);
        bot.UnlockVault();
        var admin = emulator.User(AdminId, "Admin");
        await admin.AskAsync($"/addstaff {ModeratorId} moderator", Wait);
        var moderator = emulator.User(ModeratorId, "Аня", languageCode: "ru");
        var start = await moderator.AskAsync("/start", Wait);
        await Integration.ReaderJourneyTests.PressAsync(bot, moderator, start, "lang:ru", expectEdit: false);
        Assert.Equal("В уведомлениях для сотрудников вас будут называть «Аня».", (await moderator.AskAsync("/nickname Аня", Wait)).Text);

        var tipster = emulator.User(8_500_002, "Tipster", languageCode: "ru");
        await tipster.AskAsync("/tip", Wait);
        await tipster.AskAsync("Обыски на заводе", Wait);
        await tipster.AskAsync("", Wait, () => tipster.SendPhoto(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Media", "gps.jpg"))));
        await tipster.AskAsync("/send", Wait);

        await emulator.WaitUntilAsync(() => emulator.Messages(Group).Any(m => m.FromBot), Wait, "the notice in the group");
        var notice = emulator.Messages(Group).Single(m => m.FromBot);
        Assert.Equal("📥 Новое письмо #1: текст, 1 фото. Откройте его в личном чате с ботом.", notice.Text);
        Assert.Equal("Открыть", notice.Buttons.Single().Single().Text);

        var help = await moderator.AskAsync("/help", Wait);
        Assert.Contains("\nДля всех\n", help.Text, StringComparison.Ordinal);
        Assert.Contains("\nМодераторам\n", help.Text, StringComparison.Ordinal);
        Assert.Equal("Письма в очереди\n#1 — текст, 1 фото — сегодня", (await moderator.AskAsync("/queue", Wait)).Text);

        var before = moderator.BotMessageCount;
        moderator.PressButton(Group, notice.MessageId, notice.ButtonData("Открыть")!);
        await emulator.WaitUntilAsync(() => moderator.BotMessages.Skip(before).Any(m => m.Photo is not null), Wait, "the letter in the moderator's chat");
        var header = moderator.BotMessages.Skip(before).First();
        Assert.Equal("Письмо #1 · ждёт решения · сегодня · текст, 1 фото", header.Text);
        Assert.Equal(["✅ Принять", "❌ Отклонить", "💬 Ответить", "🚫 Запретить писать"], header.Buttons.SelectMany(r => r).Select(b => b.Text));

        // Reject from the button: a question in Russian, then the report with Undo.
        before = moderator.BotMessageCount;
        moderator.PressButton(header.MessageId, header.ButtonData("Отклонить")!);
        var question = await emulator.WaitForBotMessageAsync(moderator.Id, before, Wait);
        Assert.Equal("Отклонить письмо #1? Автор по /check увидит, что письмо не использовано.", question.Text);
        Assert.Equal(["❌ Да, отклонить", "Отмена"], question.Buttons.SelectMany(r => r).Select(b => b.Text));
        var report = await Confirm.YesAsync(emulator, moderator, question);
        Assert.Equal("Письмо #1 отклонено.", report.Text);
        Assert.Equal("↩️ Отменить", report.Buttons.Single().Single().Text);
        await emulator.WaitUntilAsync(() => emulator.Messages(Group).Single(m => m.MessageId == notice.MessageId).EditCount > 0, Wait, "the notice to show the outcome");
        Assert.Matches(@"^📥 Письмо #1: отклонено, решение принял\(а\) Аня, \d\d\.\d\d \d\d:\d\d UTC\.$", emulator.Messages(Group).Single(m => m.MessageId == notice.MessageId).Text);

        var banQuestion = await moderator.AskAsync("/ban 1", Wait);
        Assert.Matches(@"^Не принимать письма от автора письма #1 до \d\d\.\d\d\.\d{4} \(по Гринвичу\)\?$", banQuestion.Text);
        Assert.Matches(@"^Автор письма #1 не сможет писать до \d\d\.\d\d\.\d{4} \(по Гринвичу\), а если будет пытаться — и дольше\.$", (await Confirm.YesAsync(emulator, moderator, banQuestion)).Text);

        Assert.Empty(LatinWords(moderator.Messages.Where(m => m.Photo is null)));
        Assert.Empty(LatinWords(emulator.Messages(Group)));
        Assert.DoesNotContain(ModeratorId.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join("\n", emulator.Messages(Group).Select(m => m.Text)), StringComparison.Ordinal);
    }
}
