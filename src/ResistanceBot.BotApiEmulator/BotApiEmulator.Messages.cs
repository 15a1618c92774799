using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResistanceBot.BotApiEmulator;

// Messages and HTML: sending, copying, editing and deleting (reference §3.4–§3.7), callback answers and the commands menu.
public sealed partial class BotApiEmulator
{
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

    private const int MaxTextBytes = 32768;
    private const int MaxTextLength = 4096;
    private const int MaxCaptionLength = 1024;
    private const int MaxDownloadBytes = 20 << 20;

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

            var paid = r.Bool("allow_paid_broadcast");
            CheckFloodLocked(chat, paid);
            if (paid)
            {
                Stats.PaidBroadcast();
            }

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
}
