using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ResistanceBot.BotApiEmulator;

/// <summary>
/// An in-memory Telegram Bot API server on loopback (reference: shared/reference/telegram-bot-api.md).
/// The bot talks to it over real HTTP with the real Telegram.Bot client; a test plays the users through <see cref="User"/>.
/// </summary>
public sealed partial class BotApiEmulator : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly EmulatorOptions _options;
    private readonly WebApplication _app;
    private readonly Dictionary<long, ChatState> _chats = [];
    private readonly LinkedList<(int Id, string Type, JsonObject Json)> _updates = new();
    private readonly Dictionary<string, StoredFile> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long ChatId, int MessageId)> _openCallbacks = new(StringComparer.Ordinal);
    private readonly List<CallbackAnswer> _callbackAnswers = [];
    private readonly Dictionary<string, JsonArray> _commands = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _holds = new();
    private readonly RateBuckets _rates;
    private readonly Random _random;
    private TaskCompletionSource _changed = NewSignal();
    private CancellationTokenSource? _waitingPoll;
    private int _nextUpdateId;
    private int _heldSends;
    private int _disposed;
    private readonly List<FloodWindow> _floods = [];
    private int _nextFileNumber = 1;
    private long _nextCallbackId = 4_242_426_734_219_861_423;
    private HashSet<string>? _allowedUpdates;
    private WebhookState? _webhook;
    private readonly WebhookPusher _pusher;

    private BotApiEmulator(EmulatorOptions options, WebApplication app)
    {
        _options = options;
        _app = app;
        _nextUpdateId = options.FirstUpdateId;
        _random = new Random(Faults.Seed);
        _rates = new RateBuckets(options.TimeProvider);
        BotId = long.Parse(options.Token.AsSpan(0, options.Token.IndexOf(':', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        _pusher = new WebhookPusher(this);
    }

    /// <summary>The base URL to give Telegram.Bot (<c>Telegram:ApiBaseUrl</c>).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public string Token => _options.Token;

    public long BotId { get; }

    public EmulatorFaults Faults { get; } = new();

    public EmulatorStats Stats { get; } = new();

    /// <summary>Starts the emulator on loopback. A non-loopback host is refused: it must never be mistaken for Telegram.</summary>
    public static async Task<BotApiEmulator> StartAsync(EmulatorOptions? options = null, CancellationToken ct = default)
    {
        options ??= new EmulatorOptions();
        if (!IsLoopback(options.Host))
        {
            throw new InvalidOperationException($"The Bot API emulator listens on loopback only, not on '{options.Host}'.");
        }

        if (!options.Token.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("The emulator's token must look like a Bot API token (id:secret).", nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port.ToString(CultureInfo.InvariantCulture)}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 60 << 20);
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(f => f.MultipartBodyLengthLimit = 60 << 20);
        var app = builder.Build();
        var emulator = new BotApiEmulator(options, app);
        app.Map("/bot{token}/{method}", emulator.HandleMethodAsync);
        app.MapGet("/file/bot{token}/{**path}", emulator.HandleFileAsync);
        app.MapFallback(ctx => WriteErrorAsync(ctx, new ApiException(404, "Not Found")));
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator.BaseUrl = new Uri(address);
        emulator._pusher.Start();
        return emulator;
    }

    private static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        foreach (var hold in _holds.Values)
        {
            hold.TrySetResult();
        }

        await _pusher.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    // ---- the user side, for tests ----

    /// <summary>A user in a private chat with the bot. The chat exists from the first call.</summary>
    public TelegramUser User(long id, string firstName = "Test", string? lastName = null, string? username = null, string? languageCode = "en", string? phone = null)
    {
        var user = new EmulatedUser(id, firstName, lastName, username, languageCode, phone);
        lock (_gate)
        {
            if (!_chats.ContainsKey(id))
            {
                _chats[id] = new ChatState(id, "private", user, null);
            }
        }

        return new TelegramUser(this, user);
    }

    /// <summary>Makes many private chats at once (for fan-out benchmarks), without any update.</summary>
    public void AddUsers(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        lock (_gate)
        {
            foreach (var id in ids)
            {
                if (!_chats.ContainsKey(id))
                {
                    _chats[id] = new ChatState(id, "private", new EmulatedUser(id, "User"), null);
                }
            }
        }
    }

    /// <summary>These users have blocked the bot without the bot being told (no my_chat_member): it learns from a 403.</summary>
    public void BlockSilently(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        lock (_gate)
        {
            foreach (var id in ids)
            {
                _chats[id].BlockedBot = true;
            }
        }
    }

    /// <summary>Flood waits imposed so far (<see cref="EmulatorFaults.FloodRate"/>).</summary>
    public IReadOnlyList<FloodWindow> FloodWindows
    {
        get
        {
            lock (_gate)
            {
                return [.. _floods];
            }
        }
    }

    /// <summary>A group chat (basic group ids are negative).</summary>
    public long CreateGroup(long id, string title)
    {
        if (id >= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(id), "Group chat ids are negative.");
        }

        lock (_gate)
        {
            _chats[id] = new ChatState(id, "group", null, title);
        }

        return id;
    }

    /// <summary>Every message in a chat, both directions, deleted ones marked.</summary>
    public IReadOnlyList<ChatMessage> Messages(long chatId)
    {
        lock (_gate)
        {
            return _chats.TryGetValue(chatId, out var chat) ? chat.Messages.Select(m => m.Snapshot()).ToList() : [];
        }
    }

    /// <summary>How many messages the bot has sent to a chat (deleted ones included).</summary>
    public int BotMessageCount(long chatId)
    {
        lock (_gate)
        {
            return _chats.TryGetValue(chatId, out var chat) ? chat.Messages.Count(m => m.FromBot) : 0;
        }
    }

    public IReadOnlyList<CallbackAnswer> CallbackAnswers
    {
        get
        {
            lock (_gate)
            {
                return [.. _callbackAnswers];
            }
        }
    }

    /// <summary>The command menu the bot set for a scope ("default", "all_private_chats", "chat:ID") and language ("" for all).</summary>
    public IReadOnlyList<(string Command, string Description)> Commands(string scope, string languageCode = "")
    {
        lock (_gate)
        {
            if (!_commands.TryGetValue(scope + "|" + languageCode, out var list))
            {
                return [];
            }

            return list.OfType<JsonObject>().Select(c => ((string)c["command"]!, (string)c["description"]!)).ToList();
        }
    }

    public int PendingUpdateCount
    {
        get
        {
            lock (_gate)
            {
                return _updates.Count;
            }
        }
    }

    public string? WebhookUrl
    {
        get
        {
            lock (_gate)
            {
                return _webhook?.Url;
            }
        }
    }

    /// <summary>Sends waiting on a <see cref="HoldSendsTo"/> hold right now.</summary>
    public int HeldSends => Volatile.Read(ref _heldSends);

    /// <summary>Holds every send into a chat until the returned handle is disposed (to catch the bot mid-handler).</summary>
    public IDisposable HoldSendsTo(long chatId)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _holds[chatId] = tcs;
        return new Release(() =>
        {
            _holds.TryRemove(chatId, out _);
            tcs.TrySetResult();
        });
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking whenever the emulator's state changes.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string? what = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition())
            {
                return;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                if (condition())
                {
                    return;
                }

                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what ?? "a condition"}.");
            }
        }
    }

    /// <summary>Waits for the bot's next new message in a chat after <paramref name="afterCount"/> bot messages.</summary>
    public async Task<ChatMessage> WaitForBotMessageAsync(long chatId, int afterCount, TimeSpan? timeout = null)
    {
        ChatMessage? found = null;
        await WaitUntilAsync(
            () =>
            {
                lock (_gate)
                {
                    if (_chats.TryGetValue(chatId, out var chat))
                    {
                        found = chat.Messages.Where(m => m.FromBot).Skip(afterCount).FirstOrDefault()?.Snapshot();
                    }
                }

                return found is not null;
            },
            timeout ?? TimeSpan.FromSeconds(10),
            "a message from the bot");
        return found!;
    }

    internal void Changed()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = NewSignal();
        }

        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Release(Action action) : IDisposable
    {
        private Action? _action = action;

        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }

    // ---- updates from users ----

    internal int EnqueueUserMessage(EmulatedUser user, long chatId, Action<MessageRecord> fill)
    {
        int messageId;
        lock (_gate)
        {
            var chat = _chats[chatId];
            messageId = chat.NextMessageId++;
            var record = new MessageRecord
            {
                MessageId = messageId,
                Chat = chat,
                FromBot = false,
                From = user,
                Date = _options.TimeProvider.GetUtcNow(),
            };
            fill(record);
            chat.Messages.Add(record);
            EnqueueLocked("message", new JsonObject { ["message"] = MessageJson(record) });
        }

        Changed();
        return messageId;
    }

    /// <summary>The user edits one of their own messages: its text (or a caption) changes and an edited_message update follows.</summary>
    internal void EnqueueUserEdit(EmulatedUser user, long chatId, int messageId, string text)
    {
        lock (_gate)
        {
            var record = _chats[chatId].Messages.FirstOrDefault(m => m.MessageId == messageId && !m.FromBot && !m.Deleted)
                ?? throw new InvalidOperationException($"The user has no message {messageId} to edit.");
            record.Text = text; // a photo's or file's caption is its text here, as in MessageJson
            record.HasText = true;
            if (record.Photo is null && record.Document is null)
            {
                record.RawText = text;
            }

            record.EditCount++;
            EnqueueLocked("edited_message", new JsonObject { ["edited_message"] = MessageJson(record) });
        }

        Changed();
    }

    internal string EnqueueCallback(EmulatedUser user, long chatId, int messageId, string data)
    {
        string queryId;
        lock (_gate)
        {
            var chat = _chats[chatId];
            var message = chat.Messages.FirstOrDefault(m => m.MessageId == messageId && m.FromBot && !m.Deleted)
                ?? throw new InvalidOperationException($"The bot has no message {messageId} in this chat to press a button on.");
            queryId = (_nextCallbackId++).ToString(CultureInfo.InvariantCulture);
            _openCallbacks[queryId] = (chatId, messageId);
            EnqueueLocked("callback_query", new JsonObject
            {
                ["callback_query"] = new JsonObject
                {
                    ["id"] = queryId,
                    ["from"] = UserJson(user),
                    ["message"] = MessageJson(message),
                    ["chat_instance"] = "-3284093248930428510",
                    ["data"] = data,
                },
            });
        }

        Changed();
        return queryId;
    }

    internal void SetBlocked(EmulatedUser user, bool blocked)
    {
        lock (_gate)
        {
            var chat = _chats[user.Id];
            if (chat.BlockedBot == blocked)
            {
                return;
            }

            chat.BlockedBot = blocked;
            var bot = BotUserJson();
            var member = new JsonObject { ["user"] = bot.DeepClone(), ["status"] = "member" };
            var kicked = new JsonObject { ["user"] = bot.DeepClone(), ["status"] = "kicked", ["until_date"] = 0 };
            EnqueueLocked("my_chat_member", new JsonObject
            {
                ["my_chat_member"] = new JsonObject
                {
                    ["chat"] = chat.ToJson(),
                    ["from"] = UserJson(user),
                    ["date"] = _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds(),
                    ["old_chat_member"] = blocked ? member : kicked,
                    ["new_chat_member"] = blocked ? kicked : member,
                },
            });
        }

        Changed();
    }

    internal StoredFile StoreUserFile(byte[] content, string folder, string extension, string? fileName, string? mimeType)
    {
        lock (_gate)
        {
            return StoreFileLocked(content, folder, extension, fileName, mimeType);
        }
    }

    private StoredFile StoreFileLocked(byte[] content, string folder, string extension, string? fileName, string? mimeType)
    {
        var n = _nextFileNumber++;
        var prefix = folder == "photos" ? "AgACAgIAAxkBAA" : "BQACAgIAAxkBAA";
        var file = new StoredFile(
            $"{prefix}{n:D6}-{Convert.ToHexString(BitConverter.GetBytes(n * 7919))}",
            $"AQAD{n:D6}",
            $"{folder}/file_{n}{extension}",
            content,
            fileName,
            mimeType);
        _files[file.FileId] = file;
        return file;
    }

    private void EnqueueLocked(string type, JsonObject update)
    {
        var allowed = _allowedUpdates ?? DefaultAllowedUpdates;
        if (!allowed.Contains(type))
        {
            return;
        }

        var id = _nextUpdateId++;
        var json = new JsonObject { ["update_id"] = id };
        foreach (var (key, value) in update.ToList())
        {
            update.Remove(key);
            json[key] = value;
        }

        _updates.AddLast((id, type, json));
        _pusher.Wake();
    }

    private static readonly HashSet<string> DefaultAllowedUpdates =
    [
        "message", "edited_message", "channel_post", "edited_channel_post", "inline_query", "chosen_inline_result", "callback_query",
        "shipping_query", "pre_checkout_query", "poll", "poll_answer", "my_chat_member", "chat_join_request", "chat_boost",
        "removed_chat_boost", "business_connection", "business_message", "edited_business_message", "deleted_business_messages",
        "purchased_paid_media",
    ];

    // ---- JSON shapes (field order as JsonMessage::store writes them) ----

    private JsonObject BotUserJson() => new()
    {
        ["id"] = BotId,
        ["is_bot"] = true,
        ["first_name"] = _options.BotFirstName,
        ["username"] = _options.BotUsername,
    };

    private static JsonObject UserJson(EmulatedUser user)
    {
        var json = new JsonObject { ["id"] = user.Id, ["is_bot"] = false, ["first_name"] = user.FirstName };
        if (user.LastName is not null)
        {
            json["last_name"] = user.LastName;
        }

        if (user.Username is not null)
        {
            json["username"] = user.Username;
        }

        if (user.LanguageCode is not null)
        {
            json["language_code"] = user.LanguageCode;
        }

        return json;
    }

    private JsonObject MessageJson(MessageRecord m)
    {
        var json = new JsonObject
        {
            ["message_id"] = m.MessageId,
            ["from"] = m.FromBot ? BotUserJson() : UserJson(m.From!),
            ["chat"] = m.Chat.ToJson(),
            ["date"] = m.Date.ToUnixTimeSeconds(),
        };
        if (m.EditCount > 0)
        {
            json["edit_date"] = m.Date.ToUnixTimeSeconds();
        }

        if (m.MediaGroupId is not null)
        {
            json["media_group_id"] = m.MediaGroupId;
        }

        var hasMedia = m.Photo is not null || m.Document is not null;
        if (!hasMedia && m.HasText)
        {
            json["text"] = m.Text;
            if (m.Entities.Count > 0)
            {
                json["entities"] = EntitiesJson(m.Entities);
            }

            if (m.LinkPreviewDisabled)
            {
                json["link_preview_options"] = new JsonObject { ["is_disabled"] = true };
            }
        }

        if (m.Photo is { } photo)
        {
            json["photo"] = new JsonArray(
                PhotoSizeJson(photo, 90, 68, small: true),
                PhotoSizeJson(photo, 1280, 960, small: false));
        }

        if (m.Document is { } doc)
        {
            var d = new JsonObject();
            if (doc.FileName is not null)
            {
                d["file_name"] = doc.FileName;
            }

            if (doc.MimeType is not null)
            {
                d["mime_type"] = doc.MimeType;
            }

            d["file_id"] = doc.FileId;
            d["file_unique_id"] = doc.FileUniqueId;
            d["file_size"] = doc.Content.Length;
            json["document"] = d;
        }

        if (m.Contact is { } contact)
        {
            var c = new JsonObject { ["phone_number"] = contact.PhoneNumber ?? "", ["first_name"] = contact.FirstName };
            if (contact.LastName is not null)
            {
                c["last_name"] = contact.LastName;
            }

            c["user_id"] = contact.Id;
            json["contact"] = c;
        }

        if (hasMedia && m.HasText && m.Text.Length > 0)
        {
            json["caption"] = m.Text;
            if (m.Entities.Count > 0)
            {
                json["caption_entities"] = EntitiesJson(m.Entities);
            }
        }

        if (m.ReplyMarkup is not null)
        {
            json["reply_markup"] = m.ReplyMarkup.DeepClone();
        }

        return json;
    }

    private static JsonObject PhotoSizeJson(StoredFile photo, int width, int height, bool small) => new()
    {
        // The emulator keeps one copy of the bytes; the small size is a distinct id for the same content.
        ["file_id"] = small ? photo.FileId + "-s" : photo.FileId,
        ["file_unique_id"] = small ? photo.FileUniqueId + "s" : photo.FileUniqueId,
        ["file_size"] = photo.Content.Length,
        ["width"] = width,
        ["height"] = height,
    };

    private static JsonArray EntitiesJson(IReadOnlyList<MessageEntity> entities)
    {
        var array = new JsonArray();
        foreach (var e in entities)
        {
            var json = new JsonObject { ["offset"] = e.Offset, ["length"] = e.Length, ["type"] = e.Type };
            if (e.Url is not null && e.Type == "text_link")
            {
                json["url"] = e.Url;
            }

            if (e.Language is not null)
            {
                json["language"] = e.Language;
            }

            if (e.CustomEmojiId is not null)
            {
                json["custom_emoji_id"] = e.CustomEmojiId;
            }

            array.Add(json);
        }

        return array;
    }

    // ---- HTTP plumbing ----

    private async Task HandleMethodAsync(HttpContext http, string token, string method)
    {
        Stats.Request();
        try
        {
            CheckToken(token);
            if (await InjectTransportFaultAsync(http))
            {
                return;
            }

            var request = await ApiRequest.ReadAsync(http.Request, http.RequestAborted);
            var (result, description) = await InvokeAsync(method.ToLowerInvariant(), request, http.RequestAborted);
            if (method.StartsWith("send", StringComparison.OrdinalIgnoreCase) && LoseAnswer())
            {
                Stats.DroppedAfter();
                http.Abort();
                return;
            }
            var envelope = new JsonObject { ["ok"] = true, ["result"] = result };
            if (description is not null)
            {
                envelope["description"] = description;
            }

            http.Response.StatusCode = 200;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(envelope.ToJsonString(), http.RequestAborted);
        }
        catch (ApiException e)
        {
            Stats.Error(e.Code);
            await WriteErrorAsync(http, e);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away (a killed bot, or a timeout); nothing to answer.
        }
    }

    private void CheckToken(string token)
    {
        var colon = token.IndexOf(':', StringComparison.Ordinal);
        if (token.Length > 80 || token.StartsWith('0') || colon is < 1)
        {
            throw new ApiException(401, "Unauthorized: invalid token specified");
        }

        if (!string.Equals(token, _options.Token, StringComparison.Ordinal))
        {
            throw new ApiException(401, "Unauthorized");
        }
    }

    /// <returns>true when the request was answered by the fault itself.</returns>
    private async Task<bool> InjectTransportFaultAsync(HttpContext http)
    {
        var faults = Faults;
        if (faults.Latency > TimeSpan.Zero)
        {
            await Task.Delay(faults.Latency, _options.TimeProvider, http.RequestAborted);
        }

        double roll;
        bool failNext;
        lock (_gate)
        {
            roll = _random.NextDouble();
            failNext = faults.FailNextRequests > 0;
            if (failNext)
            {
                faults.FailNextRequests--;
            }
        }

        if (failNext || roll < faults.ServerErrorRate)
        {
            Stats.Error(500);
            await WriteErrorAsync(http, new ApiException(500, "Internal Server Error"));
            return true;
        }

        if (roll < faults.ServerErrorRate + faults.DropConnectionRate)
        {
            Stats.Dropped();
            http.Abort();
            return true;
        }

        return false;
    }

    private bool LoseAnswer()
    {
        lock (_gate)
        {
            return Faults.DropAfterSendRate > 0 && _random.NextDouble() < Faults.DropAfterSendRate;
        }
    }

    private static async Task WriteErrorAsync(HttpContext http, ApiException e)
    {
        var body = new JsonObject { ["ok"] = false, ["error_code"] = e.Code, ["description"] = e.Description };
        if (e.RetryAfter is { } retry)
        {
            body["parameters"] = new JsonObject { ["retry_after"] = retry };
            http.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        }

        http.Response.StatusCode = e.Code;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString());
    }

    private async Task HandleFileAsync(HttpContext http, string token, string path)
    {
        Stats.Request();
        try
        {
            CheckToken(token);
        }
        catch (ApiException e)
        {
            await WriteErrorAsync(http, e);
            return;
        }

        StoredFile? file;
        lock (_gate)
        {
            file = _files.Values.FirstOrDefault(f => f.FilePath == path);
        }

        if (file is null)
        {
            await WriteErrorAsync(http, new ApiException(404, "Not Found"));
            return;
        }

        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = file.Content.Length;
        await http.Response.Body.WriteAsync(file.Content, http.RequestAborted);
    }
}
