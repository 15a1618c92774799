using System.Globalization;
using System.Text.Json.Nodes;

namespace ResistanceBot.BotApiEmulator;

// The user side: people, groups and what they do (messages, edits, button presses, blocking), for tests, the sandbox and benchmarks.
public sealed partial class BotApiEmulator
{
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

    /// <summary>A channel the bot may post to (channel ids are -100 followed by digits).</summary>
    public long CreateChannel(long id, string title)
    {
        if (id > -1_000_000_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(id), "Channel ids are -100 followed by the channel's number.");
        }

        lock (_gate)
        {
            _chats[id] = new ChatState(id, "channel", null, title);
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
}
