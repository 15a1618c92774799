using System.Net;
using System.Text;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Tests.Emulator;

/// <summary>
/// The emulator as the real Telegram.Bot 22.x client meets it, checked against the reference (shared/reference/telegram-bot-api.md):
/// envelope, error codes and descriptions, limits, long polling, files, faults.
/// </summary>
public sealed class BotApiConformanceTests : IAsyncLifetime
{
    private BotApiEmulator.BotApiEmulator _emulator = null!;
    private TelegramBotClient _bot = null!;

    public async Task InitializeAsync()
    {
        _emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        // Retries off, as the bot configures it, so that each call is one request.
        _bot = new TelegramBotClient(new TelegramBotClientOptions(_emulator.Token, _emulator.BaseUrl.ToString()) { RetryThreshold = 0 });
    }

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    private static async Task<ApiRequestException> Refused(Func<Task> call) => await Assert.ThrowsAsync<ApiRequestException>(call);

    [Fact]
    public async Task GetMe_returns_the_bot_user()
    {
        var me = await _bot.GetMe();
        Assert.True(me.IsBot);
        Assert.Equal(_emulator.BotId, me.Id);
        Assert.Equal("resistance_emulator_bot", me.Username);
    }

    [Fact]
    public async Task A_message_of_4096_emoji_is_accepted_and_4097_is_too_long()
    {
        var user = _emulator.User(10, "A");
        var ok = await _bot.SendMessage(user.Id, string.Concat(Enumerable.Repeat("😀", 4096)));
        Assert.Equal(8192, ok.Text!.Length);

        var e = await Refused(() => _bot.SendMessage(user.Id, string.Concat(Enumerable.Repeat("😀", 4097))));
        Assert.Equal((400, "Bad Request: message is too long"), (e.ErrorCode, e.Message));
    }

    [Fact]
    public async Task HTML_errors_come_back_as_400_with_the_parser_message()
    {
        var user = _emulator.User(11, "A");
        var e = await Refused(() => _bot.SendMessage(user.Id, "1 < 2", ParseMode.Html));
        Assert.Equal("Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2", e.Message);

        var sent = await _bot.SendMessage(user.Id, "<b>Hi</b> &amp; welcome", ParseMode.Html);
        Assert.Equal("Hi & welcome", sent.Text);
        Assert.Equal(MessageEntityType.Bold, Assert.Single(sent.Entities!).Type);

        var empty = await Refused(() => _bot.SendMessage(user.Id, "<b> </b>", ParseMode.Html));
        Assert.Equal("Bad Request: text must be non-empty", empty.Message);
    }

    [Fact]
    public async Task Callback_data_over_64_bytes_is_refused_with_BUTTON_DATA_INVALID()
    {
        var user = _emulator.User(12, "A");
        var markup = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("x", new string('я', 33)));
        var e = await Refused(() => _bot.SendMessage(user.Id, "hi", replyMarkup: markup));
        Assert.Equal("Bad Request: BUTTON_DATA_INVALID", e.Message);
    }

    [Fact]
    public async Task Sends_to_a_user_who_blocked_the_bot_get_403_and_unknown_chats_400()
    {
        var user = _emulator.User(13, "A");
        user.BlockBot();
        var blocked = await Refused(() => _bot.SendMessage(user.Id, "hi"));
        Assert.Equal((403, "Forbidden: bot was blocked by the user"), (blocked.ErrorCode, blocked.Message));

        var unknown = await Refused(() => _bot.SendMessage(999_999, "hi"));
        Assert.Equal("Bad Request: chat not found", unknown.Message);

        var update = Assert.Single(await _bot.GetUpdates());
        Assert.Equal(ChatMemberStatus.Kicked, update.MyChatMember!.NewChatMember.Status);
    }

    [Fact]
    public async Task Updates_stay_until_confirmed_by_a_higher_offset_and_a_long_poll_wakes_on_a_new_update()
    {
        var user = _emulator.User(14, "A");
        user.SendText("/start");
        user.SendText("hello");

        var first = await _bot.GetUpdates();
        var again = await _bot.GetUpdates();
        Assert.Equal(first.Select(u => u.Id), again.Select(u => u.Id));
        Assert.Equal("/start", first[0].Message!.Text);
        Assert.Equal(MessageEntityType.BotCommand, first[0].Message!.Entities![0].Type);

        var confirmed = await _bot.GetUpdates(offset: first[^1].Id + 1);
        Assert.Empty(confirmed);
        Assert.Equal(0, _emulator.PendingUpdateCount);

        var poll = _bot.GetUpdates(offset: first[^1].Id + 1, timeout: 10);
        await Task.Delay(100);
        Assert.False(poll.IsCompleted);
        user.SendText("later");
        var woken = await poll.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("later", Assert.Single(woken).Message!.Text);
    }

    [Fact]
    public async Task A_second_long_poll_ends_the_first_with_409_conflict()
    {
        var first = _bot.GetUpdates(timeout: 10);
        await Task.Delay(100);
        var second = _bot.GetUpdates(timeout: 1);

        var e = await Assert.ThrowsAsync<ApiRequestException>(() => first);
        Assert.Equal((409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"), (e.ErrorCode, e.Message));
        Assert.Empty(await second);
    }

    [Fact]
    public async Task With_a_webhook_set_getUpdates_is_refused_and_the_info_shows_the_url()
    {
        await _bot.SetWebhook("http://127.0.0.1:9/hook", secretToken: "abc_DEF-1");
        var info = await _bot.GetWebhookInfo();
        Assert.Equal("http://127.0.0.1:9/hook", info.Url);

        var e = await Refused(() => _bot.GetUpdates());
        Assert.Equal("Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", e.Message);

        var bad = await Refused(() => _bot.SetWebhook("http://127.0.0.1:9/hook", secretToken: "bad secret!"));
        Assert.Equal("Bad Request: secret token contains unallowed characters", bad.Message);
        var outside = await Refused(() => _bot.SetWebhook("https://example.org/hook"));
        Assert.StartsWith("Bad Request: bad webhook:", outside.Message, StringComparison.Ordinal);

        await _bot.DeleteWebhook();
        Assert.Equal("", (await _bot.GetWebhookInfo()).Url);
    }

    [Fact]
    public async Task Flood_limits_answer_429_with_retry_after_in_the_body_and_the_header()
    {
        var user = _emulator.User(15, "A");
        _emulator.Faults.PerChatSendsPerSecond = 1;
        _emulator.Faults.RetryAfterSeconds = 3;
        await _bot.SendMessage(user.Id, "one");
        var e = await Refused(() => _bot.SendMessage(user.Id, "two"));
        Assert.Equal((429, "Too Many Requests: retry after 3", 3), (e.ErrorCode, e.Message, e.Parameters?.RetryAfter));

        using var http = new HttpClient();
        using var raw = await http.PostAsync(new Uri(_emulator.BaseUrl, $"/bot{_emulator.Token}/sendMessage"), new StringContent($"{{\"chat_id\":{user.Id},\"text\":\"x\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.TooManyRequests, raw.StatusCode);
        Assert.Equal("3", raw.Headers.GetValues("Retry-After").Single());
    }

    [Fact]
    public async Task Server_errors_and_dropped_connections_reach_the_client_as_such()
    {
        var user = _emulator.User(16, "A");
        _emulator.Faults.FailNextRequests = 1;
        var e = await Refused(() => _bot.SendMessage(user.Id, "x"));
        Assert.Equal(500, e.ErrorCode);

        _emulator.Faults.DropConnectionRate = 1;
        var dropped = await Assert.ThrowsAsync<RequestException>(() => _bot.SendMessage(user.Id, "x"));
        Assert.IsNotType<ApiRequestException>(dropped);
        _emulator.Faults.DropConnectionRate = 0;
        Assert.Empty(user.BotMessages);
    }

    [Fact]
    public async Task Unknown_methods_are_404_and_wrong_tokens_401()
    {
        using var http = new HttpClient();
        using var unknown = await http.PostAsync(new Uri(_emulator.BaseUrl, $"/bot{_emulator.Token}/fooBar"), null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("\"description\":\"Not Found: method not found\"", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var stranger = new TelegramBotClient(new TelegramBotClientOptions("42:wrong-token", _emulator.BaseUrl.ToString()));
        Assert.False(await stranger.TestApi());
    }

    [Fact]
    public async Task Edits_deletes_and_button_answers_follow_the_Bot_API_rules()
    {
        var user = _emulator.User(17, "A");
        var markup = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Yes", "yes:1"));
        var sent = await _bot.SendMessage(user.Id, "Confirm?", replyMarkup: markup);

        var same = await Refused(() => _bot.EditMessageText(user.Id, sent.Id, "Confirm?", replyMarkup: markup));
        Assert.StartsWith("Bad Request: message is not modified", same.Message, StringComparison.Ordinal);
        var edited = await _bot.EditMessageText(user.Id, sent.Id, "Confirmed");
        Assert.Equal("Confirmed", edited.Text);

        var queryId = user.PressButton(sent.Id, "yes:1");
        var press = (await _bot.GetUpdates()).Single(u => u.CallbackQuery is not null).CallbackQuery!;
        Assert.Equal((queryId, "yes:1"), (press.Id, press.Data));
        await _bot.AnswerCallbackQuery(press.Id, "Done");
        var again = await Refused(() => _bot.AnswerCallbackQuery(press.Id));
        Assert.Equal("Bad Request: query is too old and response timeout expired or query ID is invalid", again.Message);

        var incoming = user.SendText("delete me");
        await _bot.DeleteMessage(user.Id, incoming); // bots may delete incoming messages in private chats
        var gone = await Refused(() => _bot.DeleteMessage(user.Id, incoming));
        Assert.Equal("Bad Request: message to delete not found", gone.Message);
        await _bot.DeleteMessages(user.Id, [sent.Id, 12345]); // missing ids are skipped
        Assert.All(user.Messages, m => Assert.True(m.IsDeleted || m.MessageId != sent.Id));
    }

    [Fact]
    public async Task Files_round_trip_through_multipart_upload_getFile_and_download()
    {
        var user = _emulator.User(18, "A");
        var bytes = Encoding.UTF8.GetBytes("%PDF-1.4 test document");
        await using var upload = new MemoryStream(bytes);
        var sent = await _bot.SendDocument(user.Id, InputFile.FromStream(upload, "report.pdf"), caption: "<i>cap</i>", parseMode: ParseMode.Html);
        Assert.Equal(("report.pdf", "cap"), (sent.Document!.FileName, sent.Caption));

        var file = await _bot.GetFile(sent.Document.FileId);
        Assert.StartsWith("documents/file_", file.FilePath, StringComparison.Ordinal);
        await using var download = new MemoryStream();
        await _bot.DownloadFile(file.FilePath!, download);
        Assert.Equal(bytes, download.ToArray());

        var photo = user.SendPhoto([0xFF, 0xD8, 0xFF, 0xD9], caption: "seen");
        var update = Assert.Single(await _bot.GetUpdates());
        Assert.Equal(photo, update.Message!.Id);
        Assert.Equal(2, update.Message.Photo!.Length);
        var copy = await _bot.CopyMessage(user.Id, user.Id, photo);
        Assert.True(copy.Id > photo);

        var bad = await Refused(() => _bot.GetFile("nope"));
        Assert.Equal("Bad Request: invalid file_id", bad.Message);
    }

    [Fact]
    public async Task SetMyCommands_checks_commands_as_the_server_does()
    {
        await _bot.SetMyCommands([new BotCommand("start", "Start"), new BotCommand("/help", "Help")], BotCommandScope.AllPrivateChats(), "ru");
        Assert.Equal(["start", "help"], _emulator.Commands("all_private_chats", "ru").Select(c => c.Command));

        var invalid = await Refused(() => _bot.SetMyCommands([new BotCommand("Start", "x")]));
        Assert.Equal("Bad Request: BOT_COMMAND_INVALID", invalid.Message);
        var empty = await Refused(() => _bot.SetMyCommands([new BotCommand("ok", "")]));
        Assert.Equal("Bad Request: command description must be non-empty", empty.Message);
    }

    [Fact]
    public async Task The_emulator_refuses_to_listen_anywhere_but_loopback()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => BotApiEmulator.BotApiEmulator.StartAsync(new BotApiEmulator.EmulatorOptions { Host = "0.0.0.0" }));
        Assert.Contains("loopback only", e.Message, StringComparison.Ordinal);
    }
}
