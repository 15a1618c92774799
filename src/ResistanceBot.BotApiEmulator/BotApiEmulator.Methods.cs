using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResistanceBot.BotApiEmulator;

public sealed partial class BotApiEmulator
{
    private const int MaxTextBytes = 32768;
    private const int MaxTextLength = 4096;
    private const int MaxCaptionLength = 1024;
    private const int MaxDownloadBytes = 20 << 20;

    private async Task<(JsonNode? Result, string? Description)> InvokeAsync(string method, ApiRequest r, CancellationToken ct)
    {
        switch (method)
        {
            case "getme":
                return (GetMe(), null);
            case "getupdates":
                return (await GetUpdatesAsync(r, ct), null);
            case "setwebhook":
                return SetWebhook(r);
            case "deletewebhook":
                return DeleteWebhook(r);
            case "getwebhookinfo":
                return (GetWebhookInfo(), null);
            case "setmycommands":
                return (SetMyCommands(r), null);
            case "getmycommands":
                return (GetMyCommands(r), null);
            case "deletemycommands":
                return (DeleteMyCommands(r), null);
            case "sendmessage":
                return (await SendAsync(r, m => FillText(m, r, "text", caption: false), ct), null);
            case "sendphoto":
                return (await SendAsync(r, m => FillMedia(m, r, "photo"), ct), null);
            case "senddocument":
                return (await SendAsync(r, m => FillMedia(m, r, "document"), ct), null);
            case "copymessage":
                return (await CopyMessageAsync(r, ct), null);
            case "editmessagetext":
                return (EditMessageText(r), null);
            case "editmessagereplymarkup":
                return (EditMessageReplyMarkup(r), null);
            case "deletemessage":
                return (DeleteMessage(r), null);
            case "deletemessages":
                return (DeleteMessages(r), null);
            case "answercallbackquery":
                return (AnswerCallbackQuery(r), null);
            case "getfile":
                return (GetFile(r), null);
            case "setchatmenubutton":
                _ = r.Json("menu_button", "can't parse menu button JSON object");
                return (true, null);
            default:
                throw new ApiException(404, "Not Found: method not found");
        }
    }

    private JsonObject GetMe()
    {
        var me = BotUserJson();
        me["can_join_groups"] = true;
        me["can_read_all_group_messages"] = false;
        me["supports_inline_queries"] = false;
        me["can_connect_to_business"] = false;
        me["has_main_web_app"] = false;
        return me;
    }

    // ---- getUpdates (reference §3.2) ----

    private async Task<JsonArray> GetUpdatesAsync(ApiRequest r, CancellationToken ct)
    {
        var offset = r.Long("offset") ?? 0;
        var limit = r.Int("limit", 100, 1, 100);
        var timeout = r.Int("timeout", 0, 0, _options.MaxLongPollSeconds);
        CancellationTokenSource? previous;
        bool confirmed;
        var mine = CancellationTokenSource.CreateLinkedTokenSource(ct);
        lock (_gate)
        {
            if (_webhook is not null)
            {
                mine.Dispose();
                throw new ApiException(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
            }

            if (r.Has("allowed_updates"))
            {
                SetAllowedUpdatesLocked(r);
            }

            confirmed = ConfirmLocked(offset);
            previous = _waitingPoll;
            _waitingPoll = mine;
        }

        if (confirmed)
        {
            Changed();
        }

        // Only one long poll at a time: a newer request ends the older one with 409.
        if (previous is not null)
        {
            try
            {
                await previous.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // It already finished.
            }
        }

        try
        {
            var deadline = _options.TimeProvider.GetUtcNow().AddSeconds(timeout);
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    var batch = new JsonArray();
                    foreach (var update in _updates.Take(limit))
                    {
                        batch.Add(update.Json.DeepClone());
                    }

                    if (batch.Count > 0 || timeout == 0)
                    {
                        return batch;
                    }

                    changed = _changed.Task;
                }

                var left = deadline - _options.TimeProvider.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    return [];
                }

                try
                {
                    await changed.WaitAsync(left, _options.TimeProvider, mine.Token);
                }
                catch (TimeoutException)
                {
                    return [];
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    lock (_gate)
                    {
                        if (_webhook is not null)
                        {
                            throw new ApiException(409, "Conflict: terminated by setWebhook request");
                        }
                    }

                    throw new ApiException(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running");
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                if (_waitingPoll == mine)
                {
                    _waitingPoll = null;
                }
            }

            mine.Dispose();
        }
    }

    /// <summary>An update is confirmed (and forgotten) once getUpdates is called with an offset above its id.</summary>
    /// <returns>whether any update was forgotten.</returns>
    private bool ConfirmLocked(long offset)
    {
        var before = _updates.Count;
        if (offset < 0)
        {
            while (_updates.Count > -offset)
            {
                _updates.RemoveFirst();
            }
        }
        else if (offset > 0 && _updates.Count > 0 && offset <= _updates.Last!.Value.Id + 11)
        {
            // (offset 0 reads from the head; an offset far in the future also reads from the head)
            while (_updates.First is { } first && first.Value.Id < offset)
            {
                _updates.RemoveFirst();
            }
        }

        return _updates.Count != before;
    }

    private void SetAllowedUpdatesLocked(ApiRequest r)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(r.String("allowed_updates") ?? "");
        }
        catch (JsonException)
        {
            return; // unparsable: keep the previous setting
        }

        if (node is not JsonArray array)
        {
            return;
        }

        var known = array.OfType<JsonValue>()
            .Where(v => v.GetValueKind() == JsonValueKind.String)
            .Select(v => v.GetValue<string>().ToLowerInvariant())
            .Where(n => DefaultAllowedUpdates.Contains(n) || n is "chat_member" or "message_reaction" or "message_reaction_count")
            .ToHashSet(StringComparer.Ordinal);
        _allowedUpdates = known.Count == 0 ? null : known;
    }

    // ---- webhooks (reference §3.3) ----

    private (JsonNode?, string?) SetWebhook(ApiRequest r)
    {
        var url = r.String("url") ?? "";
        if (url.Length == 0)
        {
            return DeleteWebhook(r);
        }

        if (!Uri.TryCreate(url.Contains("://", StringComparison.Ordinal) ? url : "https://" + url, UriKind.Absolute, out var uri))
        {
            throw ApiException.BadRequest("invalid webhook URL specified");
        }

        // Like a local-mode server, but deliveries never leave this machine.
        if (!uri.IsLoopback)
        {
            throw ApiException.BadRequest("bad webhook: the emulator delivers webhooks to loopback addresses only");
        }

        var secret = r.String("secret_token");
        if (secret is not null)
        {
            if (secret.Length > 256)
            {
                throw ApiException.BadRequest("secret token is too long");
            }

            if (!secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                throw ApiException.BadRequest("secret token contains unallowed characters");
            }
        }

        CancellationTokenSource? poll;
        string description;
        lock (_gate)
        {
            if (r.Has("allowed_updates"))
            {
                SetAllowedUpdatesLocked(r);
            }

            var next = new WebhookState(uri.ToString(), string.IsNullOrEmpty(secret) ? null : secret, r.Int("max_connections", 40, 1, 100));
            description = _webhook == next ? "Webhook is already set" : "Webhook was set";
            _webhook = next;
            if (r.Bool("drop_pending_updates"))
            {
                _updates.Clear();
            }

            poll = _waitingPoll;
        }

        poll?.Cancel();
        _pusher.Wake();
        return (true, description);
    }

    private (JsonNode?, string?) DeleteWebhook(ApiRequest r)
    {
        lock (_gate)
        {
            var had = _webhook is not null;
            _webhook = null;
            if (r.Bool("drop_pending_updates"))
            {
                _updates.Clear();
            }

            return (true, had ? "Webhook was deleted" : "Webhook is already deleted");
        }
    }

    private JsonObject GetWebhookInfo()
    {
        lock (_gate)
        {
            var info = new JsonObject
            {
                ["url"] = _webhook?.Url ?? "",
                ["has_custom_certificate"] = false,
                ["pending_update_count"] = _updates.Count,
            };
            if (_webhook is { } hook)
            {
                if (hook.LastErrorMessage is not null)
                {
                    info["last_error_date"] = hook.LastErrorDate;
                    info["last_error_message"] = hook.LastErrorMessage;
                }

                info["max_connections"] = hook.MaxConnections;
                info["ip_address"] = "127.0.0.1";
            }

            if (_allowedUpdates is not null)
            {
                info["allowed_updates"] = new JsonArray(_allowedUpdates.Order(StringComparer.Ordinal).Select(a => (JsonNode)a).ToArray());
            }

            return info;
        }
    }

    internal (int Id, string Json, string Url, string? Secret)? NextWebhookDelivery()
    {
        lock (_gate)
        {
            if (_webhook is not { } hook || _updates.First is not { } first)
            {
                return null;
            }

            return (first.Value.Id, first.Value.Json.ToJsonString(), hook.Url, hook.Secret);
        }
    }

    internal void WebhookDelivered(int updateId)
    {
        lock (_gate)
        {
            if (_updates.First is { } first && first.Value.Id == updateId)
            {
                _updates.RemoveFirst();
            }
        }

        Changed();
    }

    internal void WebhookFailed(string message)
    {
        lock (_gate)
        {
            if (_webhook is { } hook)
            {
                hook.LastErrorMessage = message;
                hook.LastErrorDate = _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
            }
        }
    }

    internal TimeSpan WebhookRetryDelay => _options.WebhookRetryDelay;

    // ---- commands menu (reference §3.12) ----

    private bool SetMyCommands(ApiRequest r)
    {
        var commands = r.Json("commands", "can't parse commands JSON object") as JsonArray ?? [];
        if (commands.Count > 100)
        {
            throw ApiException.BadRequest("too many commands specified");
        }

        var stored = new JsonArray();
        foreach (var item in commands)
        {
            var command = ((string?)item?["command"] ?? "").Trim();
            if (command.StartsWith('/'))
            {
                command = command[1..];
            }

            var description = ((string?)item?["description"] ?? "").Trim();
            if (command.Length == 0)
            {
                throw ApiException.BadRequest("command must be non-empty");
            }

            if (command.Length > 32)
            {
                throw ApiException.BadRequest("command length must not exceed 32");
            }

            if (description.Length == 0)
            {
                throw ApiException.BadRequest("command description must be non-empty");
            }

            if (description.Length > 256)
            {
                throw ApiException.BadRequest("command description length must not exceed 256");
            }

            if (!command.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                throw ApiException.BadRequest("BOT_COMMAND_INVALID");
            }

            stored.Add(new JsonObject { ["command"] = command, ["description"] = description });
        }

        lock (_gate)
        {
            _commands[CommandsKey(r)] = stored;
        }

        return true;
    }

    private JsonArray GetMyCommands(ApiRequest r)
    {
        lock (_gate)
        {
            return _commands.TryGetValue(CommandsKey(r), out var list) ? (JsonArray)list.DeepClone() : [];
        }
    }

    private bool DeleteMyCommands(ApiRequest r)
    {
        lock (_gate)
        {
            _commands.Remove(CommandsKey(r));
        }

        return true;
    }

    private static string CommandsKey(ApiRequest r)
    {
        var scope = r.Json("scope", "can't parse BotCommandScope JSON object");
        var type = (string?)scope?["type"] ?? "default";
        var key = type is "chat" or "chat_administrators" or "chat_member" ? $"{type}:{scope?["chat_id"]}" : type;
        return key + "|" + (r.String("language_code") ?? "");
    }

    // ---- sending (reference §3.4, §3.7, §5) ----

    private async Task<JsonNode> SendAsync(ApiRequest r, Action<MessageRecord> fill, CancellationToken ct)
    {
        var chatId = ChatId(r);
        await WaitForHoldAsync(chatId, ct);
        MessageRecord record;
        lock (_gate)
        {
            var chat = AccessibleChatLocked(chatId);
            record = new MessageRecord { MessageId = 0, Chat = chat, FromBot = true, Date = _options.TimeProvider.GetUtcNow() };
            fill(record);
            record.ReplyMarkup = ReplyMarkup(r);
            record.Protected = r.Bool("protect_content");
            record.ReplyTo = (int?)(r.Json("reply_parameters", "can't parse reply parameters JSON object")?["message_id"]?.GetValue<long>() ?? r.Long("reply_to_message_id"));
            if (record.ReplyTo is { } replyTo && !chat.Messages.Any(m => m.MessageId == replyTo && !m.Deleted))
            {
                throw ApiException.BadRequest("message to be replied not found");
            }

            CheckFloodLocked(chat);
            record = new MessageRecord
            {
                MessageId = chat.NextMessageId++,
                Chat = chat,
                FromBot = true,
                Date = record.Date,
                Text = record.Text,
                RawText = record.RawText,
                HasText = record.HasText,
                Entities = record.Entities,
                ReplyMarkup = record.ReplyMarkup,
                Photo = record.Photo,
                Document = record.Document,
                LinkPreviewDisabled = record.LinkPreviewDisabled,
                Protected = record.Protected,
                ReplyTo = record.ReplyTo,
            };
            chat.Messages.Add(record);
        }

        Stats.Sent();
        Changed();
        lock (_gate)
        {
            return MessageJson(record);
        }
    }

    private async Task WaitForHoldAsync(long chatId, CancellationToken ct)
    {
        if (_holds.TryGetValue(chatId, out var hold))
        {
            Interlocked.Increment(ref _heldSends);
            Changed();
            try
            {
                await hold.Task.WaitAsync(ct);
            }
            finally
            {
                Interlocked.Decrement(ref _heldSends);
                Changed();
            }
        }
    }

    private static long ChatId(ApiRequest r)
    {
        var raw = r.String("chat_id");
        if (string.IsNullOrWhiteSpace(raw))
        {
            throw ApiException.BadRequest("chat_id is empty");
        }

        return long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw ApiException.BadRequest("chat not found");
    }

    private ChatState AccessibleChatLocked(long chatId)
    {
        if (!_chats.TryGetValue(chatId, out var chat))
        {
            throw ApiException.BadRequest("chat not found");
        }

        if (chat.BlockedBot)
        {
            throw ApiException.Forbidden(chat.Type == "private" ? "bot was blocked by the user" : "bot was kicked from the group chat");
        }

        return chat;
    }

    private static void FillText(MessageRecord m, ApiRequest r, string parameter, bool caption)
    {
        var raw = r.String(parameter);
        if (!caption && string.IsNullOrEmpty(raw))
        {
            throw ApiException.BadRequest("message text is empty");
        }

        raw ??= "";
        if (Encoding.UTF8.GetByteCount(raw) > MaxTextBytes)
        {
            throw ApiException.BadRequest("text is too long");
        }

        var parsed = ParseText(raw, r.String("parse_mode"));
        if (!caption && parsed.Text.Length == 0)
        {
            throw ApiException.BadRequest("text must be non-empty");
        }

        var max = caption ? MaxCaptionLength : MaxTextLength;
        if (TelegramHtml.CodePointLength(parsed.Text) > max)
        {
            throw ApiException.BadRequest(caption ? "message caption is too long" : "message is too long");
        }

        m.Text = parsed.Text;
        m.RawText = raw;
        m.HasText = true;
        m.Entities = parsed.Entities;
        var preview = r.Json("link_preview_options", "can't parse link preview options JSON object");
        m.LinkPreviewDisabled = (preview?["is_disabled"]?.GetValueKind() == JsonValueKind.True) || r.Bool("disable_web_page_preview");
    }

    private static ParsedText ParseText(string raw, string? parseMode)
    {
        switch (parseMode?.Trim().ToLowerInvariant())
        {
            case null or "":
                return new ParsedText(raw.Trim(), []);
            case "html":
                try
                {
                    return TelegramHtml.Parse(raw);
                }
                catch (HtmlParseException e)
                {
                    throw ApiException.BadRequest("can't parse entities: " + e.Message);
                }

            case "markdown" or "markdownv2":
                // The bot never uses Markdown; the emulator keeps such text as it is.
                return new ParsedText(raw.Trim(), []);
            default:
                throw ApiException.BadRequest("unsupported parse_mode");
        }
    }

    private void FillMedia(MessageRecord m, ApiRequest r, string kind)
    {
        StoredFile file;
        if (r.File(kind) is { } upload)
        {
            using var ms = new MemoryStream();
            upload.CopyTo(ms);
            if (kind == "photo" && ms.Length > 10 << 20)
            {
                throw ApiException.BadRequest("PHOTO_INVALID_DIMENSIONS");
            }

            var name = kind == "document" ? upload.FileName : null;
            var extension = kind == "photo" ? ".jpg" : Path.GetExtension(upload.FileName);
            file = StoreFileLocked(ms.ToArray(), kind == "photo" ? "photos" : "documents", extension, name, kind == "document" ? GuessMime(upload.FileName) : null);
        }
        else if (r.String(kind) is { Length: > 0 } fileId)
        {
            file = _files.GetValueOrDefault(fileId.EndsWith("-s", StringComparison.Ordinal) ? fileId[..^2] : fileId)
                ?? throw ApiException.BadRequest("wrong file identifier/HTTP URL specified");
        }
        else
        {
            throw ApiException.BadRequest($"there is no {kind} in the request");
        }

        if (kind == "photo")
        {
            m.Photo = file;
        }
        else
        {
            m.Document = file;
        }

        FillText(m, r, "caption", caption: true);
    }

    private static string GuessMime(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".pdf" => "application/pdf",
        ".txt" => "text/plain",
        _ => "application/octet-stream",
    };

    private static JsonNode? ReplyMarkup(ApiRequest r)
    {
        var markup = r.Json("reply_markup", "can't parse reply keyboard markup JSON object");
        if (markup is null)
        {
            return null;
        }

        if (markup.ToJsonString().Length > 10_000)
        {
            throw ApiException.BadRequest("reply markup is too long");
        }

        if (markup["inline_keyboard"] is { } keyboard)
        {
            if (keyboard is not JsonArray rows)
            {
                throw ApiException.BadRequest("can't parse inline keyboard markup: field \"inline_keyboard\" must be an Array");
            }

            foreach (var row in rows)
            {
                foreach (var button in row as JsonArray ?? throw ApiException.BadRequest("can't parse inline keyboard markup: expected an Array of buttons"))
                {
                    CheckButton(button as JsonObject);
                }
            }
        }

        return markup;
    }

    private static void CheckButton(JsonObject? button)
    {
        if (button?["text"] is null)
        {
            throw ApiException.BadRequest("can't parse inline keyboard button: Field \"text\" must be of type String");
        }

        var data = (string?)button["callback_data"];
        var hasOther = button.Any(p => p.Key is "url" or "switch_inline_query" or "switch_inline_query_current_chat" or "web_app" or "login_url" or "pay" or "copy_text");
        if (string.IsNullOrEmpty(data) && !hasOther)
        {
            throw ApiException.BadRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
        }

        if (data is not null && Encoding.UTF8.GetByteCount(data) > 64)
        {
            throw ApiException.BadRequest("BUTTON_DATA_INVALID");
        }
    }

    private void CheckFloodLocked(ChatState chat)
    {
        var faults = Faults;
        var now = _options.TimeProvider.GetUtcNow();
        if (_floods.Count > 0 && _floods[^1] is { } flood && now < flood.End)
        {
            flood.SendsDuring++;
            throw ApiException.TooManyRequests(Math.Max(1, (int)Math.Ceiling((flood.End - now).TotalSeconds)));
        }

        if (faults.FloodRate > 0 && _random.NextDouble() < faults.FloodRate)
        {
            _floods.Add(new FloodWindow(now, now.AddSeconds(faults.RetryAfterSeconds)));
            throw ApiException.TooManyRequests(faults.RetryAfterSeconds);
        }

        var wait = _rates.TryTake("global", faults.GlobalSendsPerSecond, TimeSpan.FromSeconds(1));
        if (wait is null && chat.Type == "private")
        {
            wait = _rates.TryTake("chat:" + chat.Id.ToString(CultureInfo.InvariantCulture), faults.PerChatSendsPerSecond, TimeSpan.FromSeconds(1));
        }
        else if (wait is null)
        {
            wait = _rates.TryTake("group:" + chat.Id.ToString(CultureInfo.InvariantCulture), faults.PerGroupSendsPerMinute, TimeSpan.FromMinutes(1));
        }

        if (wait is { } w)
        {
            throw ApiException.TooManyRequests(Math.Max(faults.RetryAfterSeconds, (int)Math.Ceiling(w.TotalSeconds)));
        }
    }

    private async Task<JsonNode> CopyMessageAsync(ApiRequest r, CancellationToken ct)
    {
        var fromChatId = r.Long("from_chat_id") ?? throw ApiException.BadRequest("chat_id is empty");
        var messageId = (int)(r.Long("message_id") ?? 0);
        MessageRecord source;
        lock (_gate)
        {
            source = (_chats.TryGetValue(fromChatId, out var from) ? from.Messages.FirstOrDefault(m => m.MessageId == messageId && !m.Deleted) : null)
                ?? throw ApiException.BadRequest("message to copy not found");
        }

        var sent = await SendAsync(r, m =>
        {
            m.Photo = source.Photo;
            m.Document = source.Document;
            m.Text = source.Text;
            m.RawText = source.RawText;
            m.HasText = source.HasText;
            m.Entities = source.Entities;
            if (r.Has("caption"))
            {
                FillText(m, r, "caption", caption: true);
            }
        }, ct);
        return new JsonObject { ["message_id"] = (int)sent["message_id"]! };
    }

    // ---- editing and deleting (reference §3.5, §3.6) ----

    private JsonObject EditMessageText(ApiRequest r)
    {
        var chatId = ChatId(r);
        lock (_gate)
        {
            var message = FindMessageLocked(chatId, r, "message to edit not found");
            if (message.Photo is not null || message.Document is not null)
            {
                throw ApiException.BadRequest("there is no text in the message to edit");
            }

            var probe = new MessageRecord { MessageId = message.MessageId, Chat = message.Chat, FromBot = true, Date = message.Date };
            FillText(probe, r, "text", caption: false);
            var markup = ReplyMarkup(r);
            if (probe.Text == message.Text && SameEntities(probe.Entities, message.Entities) && SameJson(markup, message.ReplyMarkup))
            {
                throw ApiException.BadRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
            }

            message.Text = probe.Text;
            message.RawText = probe.RawText;
            message.Entities = probe.Entities;
            message.LinkPreviewDisabled = probe.LinkPreviewDisabled;
            message.ReplyMarkup = markup;
            message.EditCount++;
            var json = MessageJson(message);
            Changed();
            return json;
        }
    }

    private JsonObject EditMessageReplyMarkup(ApiRequest r)
    {
        var chatId = ChatId(r);
        lock (_gate)
        {
            var message = FindMessageLocked(chatId, r, "message to edit not found");
            var markup = ReplyMarkup(r);
            if (SameJson(markup, message.ReplyMarkup))
            {
                throw ApiException.BadRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
            }

            message.ReplyMarkup = markup;
            message.EditCount++;
            var json = MessageJson(message);
            Changed();
            return json;
        }
    }

    private MessageRecord FindMessageLocked(long chatId, ApiRequest r, string notFound)
    {
        var chat = AccessibleChatLocked(chatId);
        var messageId = r.Long("message_id") ?? 0;
        return chat.Messages.FirstOrDefault(m => m.MessageId == messageId && !m.Deleted && m.FromBot)
            ?? throw ApiException.BadRequest(notFound);
    }

    private static bool SameEntities(IReadOnlyList<MessageEntity> a, IReadOnlyList<MessageEntity> b) => a.SequenceEqual(b);

    private static bool SameJson(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    private bool DeleteMessage(ApiRequest r)
    {
        if (string.IsNullOrEmpty(r.String("chat_id")))
        {
            throw ApiException.BadRequest("chat identifier is not specified");
        }

        var chatId = ChatId(r);
        var messageId = r.Long("message_id") ?? 0;
        if (messageId == 0)
        {
            throw ApiException.BadRequest("message identifier is not specified");
        }

        lock (_gate)
        {
            if (!_chats.TryGetValue(chatId, out var chat))
            {
                throw ApiException.BadRequest("chat not found");
            }

            var message = chat.Messages.FirstOrDefault(m => m.MessageId == messageId && !m.Deleted)
                ?? throw ApiException.BadRequest("message to delete not found");
            DeleteLocked(chat, message, throwIfOld: true);
        }

        Changed();
        return true;
    }

    private bool DeleteMessages(ApiRequest r)
    {
        var chatId = ChatId(r);
        var ids = r.Json("message_ids", "expected an Array of message identifiers");
        if (ids is not JsonArray array)
        {
            throw ApiException.BadRequest(ids is null ? "message identifiers are not specified" : "expected an Array of message identifiers");
        }

        if (array.Count == 0)
        {
            throw ApiException.BadRequest("message identifiers are not specified");
        }

        if (array.Count > 100)
        {
            throw ApiException.BadRequest("too many message identifiers specified");
        }

        lock (_gate)
        {
            if (!_chats.TryGetValue(chatId, out var chat))
            {
                throw ApiException.BadRequest("chat not found");
            }

            foreach (var node in array)
            {
                var id = node?.GetValueKind() == JsonValueKind.String
                    ? long.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture)
                    : node?.GetValue<long>() ?? 0;
                if (chat.Messages.FirstOrDefault(m => m.MessageId == id && !m.Deleted) is { } message)
                {
                    DeleteLocked(chat, message, throwIfOld: false);
                }
            }
        }

        Changed();
        return true;
    }

    private void DeleteLocked(ChatState chat, MessageRecord message, bool throwIfOld)
    {
        // Private chats and basic groups: a message can be deleted for everyone only within 48 hours.
        if (_options.TimeProvider.GetUtcNow() - message.Date > TimeSpan.FromHours(48) || Faults.RefuseDeletes)
        {
            if (throwIfOld)
            {
                throw ApiException.BadRequest("message can't be deleted for everyone");
            }

            return;
        }

        if (chat.Type != "private" && !message.FromBot)
        {
            throw ApiException.BadRequest("message can't be deleted for everyone");
        }

        message.Deleted = true;
    }

    // ---- callbacks and files ----

    private bool AnswerCallbackQuery(ApiRequest r)
    {
        var id = r.String("callback_query_id") ?? "";
        var text = r.String("text");
        lock (_gate)
        {
            if (!_openCallbacks.Remove(id))
            {
                throw ApiException.BadRequest("query is too old and response timeout expired or query ID is invalid");
            }

            if (text is not null && text.Length > 200)
            {
                throw ApiException.BadRequest("MESSAGE_TOO_LONG");
            }

            _callbackAnswers.Add(new CallbackAnswer(id, text, r.Bool("show_alert")));
        }

        Changed();
        return true;
    }

    private JsonObject GetFile(ApiRequest r)
    {
        var fileId = r.String("file_id");
        if (string.IsNullOrEmpty(fileId))
        {
            throw ApiException.BadRequest("file_id not specified");
        }

        lock (_gate)
        {
            var key = fileId.EndsWith("-s", StringComparison.Ordinal) ? fileId[..^2] : fileId;
            if (!_files.TryGetValue(key, out var file))
            {
                throw ApiException.BadRequest("invalid file_id");
            }

            if (file.Content.Length > MaxDownloadBytes)
            {
                throw ApiException.BadRequest("file is too big");
            }

            return new JsonObject
            {
                ["file_id"] = fileId,
                ["file_unique_id"] = file.FileUniqueId,
                ["file_size"] = file.Content.Length,
                ["file_path"] = file.FilePath,
            };
        }
    }
}
