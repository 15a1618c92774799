using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Privacy;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

/// <summary>A reader's whole path through the real host, the real Telegram.Bot client and the emulator, in each language.</summary>
public sealed class ReaderJourneyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData("en", "en", "Every day the collective", "You are subscribed", "Time zone", "Moscow", "You are unsubscribed", "Your settings, your draft, the digests waiting for you and any request to be told of news are erased")]
    [InlineData("ru-RU", "ru", "Каждый день коллектив", "Вы подписались", "Часовой пояс", "Москва", "Вы отписались", "Ваши настройки, черновик, дайджесты, ждущие отправки, и просьба сообщить о новостях стёрты")]
    [InlineData("uk", "uk", "Щодня колектив", "Ви підписалися", "Часовий пояс", "Москва", "Ви відписалися", "Ваші налаштування, чернетку, дайджести, що чекають на надсилання, і прохання повідомити про новини стерто")]
    public async Task Start_subscribe_settings_unsubscribe_forget_in_the_readers_language(
        string telegramLanguage, string language, string welcome, string subscribed, string zoneLabel, string moscow, string unsubscribed, string forgotten)
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(424242, "Reader", languageCode: telegramLanguage);
        var strings = new Localization.Localizer();

        var start = await user.AskAsync("/start", Wait);
        Assert.Contains(welcome, start.Text, StringComparison.Ordinal);
        Assert.Equal(["English", "Русский", "Українська"], start.Buttons.SelectMany(r => r).Select(b => b.Text.TrimStart('✓', ' ')));
        Assert.Equal(0, await bot.WithDbAsync(db => db.Readers.CountAsync()));

        var subscribe = await user.AskAsync("/subscribe", Wait);
        Assert.Contains(subscribed, subscribe.Text, StringComparison.Ordinal);
        var reader = await bot.WithDbAsync(db => db.Readers.SingleAsync());
        Assert.Equal(language, reader.Language);
        var sealer = bot.Services.GetRequiredService<DataSealer>();
        Assert.Equal(user.Id, sealer.OpenInt64(reader.SealedChatId!, Purposes.SubscriberChat));

        var settings = await user.AskAsync("/settings", Wait);
        Assert.Contains(zoneLabel, settings.Text, StringComparison.Ordinal);

        // The hour is local, so a reader who has not chosen a zone is asked for it first; the zones are named in their language.
        await PressAsync(bot, user, settings, "set:hour");
        var zones = user.BotMessages.Single(m => m.MessageId == settings.MessageId);
        Assert.Equal(strings.Get(language, "settings.choose.tz.first"), zones.Text);
        Assert.Contains(zones.Buttons.SelectMany(r => r), b => b.Text == moscow && b.CallbackData == "set:tzh:Europe/Moscow");
        await PressAsync(bot, user, settings, "set:tzh:Europe/Moscow");
        var hours = user.BotMessages.Single(m => m.MessageId == settings.MessageId);
        Assert.Equal(strings.Get(language, "settings.choose.hour"), hours.Text);
        await PressAsync(bot, user, settings, "set:hour:8");
        var shown = user.BotMessages.Single(m => m.MessageId == settings.MessageId);
        Assert.Contains($"{zoneLabel}: {moscow}", shown.Text, StringComparison.Ordinal);
        Assert.Contains("08:00", shown.Text, StringComparison.Ordinal);
        reader = await bot.WithDbAsync(db => db.Readers.AsNoTracking().SingleAsync());
        Assert.Equal("Europe/Moscow", reader.TimeZone);
        Assert.Equal(8, reader.DigestHour);

        // Once a zone is set, the hour is asked at once; the zone can still be changed, from a list in the reader's language.
        await PressAsync(bot, user, settings, "set:hour");
        Assert.Equal(strings.Get(language, "settings.choose.hour"), user.BotMessages.Single(m => m.MessageId == settings.MessageId).Text);
        await PressAsync(bot, user, settings, "set:menu");
        await PressAsync(bot, user, settings, "set:tz");
        Assert.Contains(user.BotMessages.Single(m => m.MessageId == settings.MessageId).Buttons.SelectMany(r => r), b => b.Text == strings.Get(language, "zone.Europe/Kyiv"));

        var unsubscribe = await user.AskAsync("/unsubscribe", Wait);
        Assert.Contains(unsubscribed, unsubscribe.Text, StringComparison.Ordinal);
        reader = await bot.WithDbAsync(db => db.Readers.AsNoTracking().SingleAsync());
        Assert.Null(reader.SealedChatId);
        Assert.Equal(8, reader.DigestHour);

        var forget = await user.AskAsync("/forget", Wait);
        Assert.Contains(forgotten, forget.Text, StringComparison.Ordinal);
        Assert.Equal(0, await bot.WithDbAsync(db => db.Readers.CountAsync()));
    }

    [Fact]
    public async Task Language_buttons_under_start_switch_the_welcome_and_are_remembered()
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(5150, "Reader", languageCode: "de");

        var start = await user.AskAsync("/start", Wait);
        Assert.Contains("Every day the collective", start.Text, StringComparison.Ordinal);

        await PressAsync(bot, user, start, "lang:uk");
        Assert.Contains("Щодня колектив", user.BotMessages.Single(m => m.MessageId == start.MessageId).Text, StringComparison.Ordinal);

        var help = await user.AskAsync("/help", Wait);
        Assert.Contains("Команди", help.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_buttons_change_the_same_message_and_offer_utc_offsets()
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(5151, "Reader");
        var settings = await user.AskAsync("/settings", Wait);
        var before = user.BotMessageCount;

        await PressAsync(bot, user, settings, "set:tz");
        await PressAsync(bot, user, settings, "set:tzo");
        var offsets = user.BotMessages.Single(m => m.MessageId == settings.MessageId);
        Assert.Contains(offsets.Buttons.SelectMany(r => r), b => b.Text == "UTC+03:00" && b.CallbackData == "set:tz:UTC+03:00");
        await PressAsync(bot, user, settings, "set:tz:UTC+03:00");
        await PressAsync(bot, user, settings, "set:sub:on");

        Assert.Equal(before, user.BotMessageCount); // edited in place, no new messages
        var reader = await bot.WithDbAsync(db => db.Readers.AsNoTracking().SingleAsync());
        Assert.Equal("UTC+03:00", reader.TimeZone);
        Assert.NotNull(reader.SealedChatId);
    }

    [Fact]
    public async Task Forged_settings_button_changes_nothing()
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(5152, "Reader");
        var settings = await user.AskAsync("/settings", Wait);

        await PressAsync(bot, user, settings, "set:tz:Mars/Olympus_Mons", expectEdit: false);
        await PressAsync(bot, user, settings, "set:hour:25", expectEdit: false);
        await PressAsync(bot, user, settings, "set:lang:xx", expectEdit: false);

        Assert.Equal(0, await bot.WithDbAsync(db => db.Readers.CountAsync()));
        Assert.All(bot.Emulator.CallbackAnswers, a => Assert.Contains("no longer works", a.Text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Blocking_the_bot_unsubscribes_the_reader()
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(5153, "Reader");
        await user.AskAsync("/subscribe", Wait);

        user.BlockBot();

        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.PendingUpdateCount == 0, Wait, "the block to be taken");
        await Eventually.HoldsAsync(async () => (await bot.WithDbAsync(db => db.Readers.AsNoTracking().SingleAsync())).SealedChatId is null);
    }

    /// <summary>Presses a button and waits for the answer to the press and, unless the press is refused, for the message to change.</summary>
    internal static async Task PressAsync(BotHost bot, TelegramUser user, ChatMessage message, string data, bool expectEdit = true)
    {
        var edits = user.BotMessages.Single(m => m.MessageId == message.MessageId).EditCount;
        var query = user.PressButton(message.MessageId, data);
        await bot.Emulator.WaitUntilAsync(
            () => bot.Emulator.CallbackAnswers.Any(a => a.QueryId == query)
                && (!expectEdit || user.BotMessages.Single(m => m.MessageId == message.MessageId).EditCount > edits),
            Wait,
            $"the bot to act on '{data}'");
    }
}
