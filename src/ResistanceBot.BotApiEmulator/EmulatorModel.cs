using System.Text.Json.Nodes;

namespace ResistanceBot.BotApiEmulator;

/// <summary>A Telegram user as the emulator shows it to the bot.</summary>
public sealed record EmulatedUser(long Id, string FirstName, string? LastName = null, string? Username = null, string? LanguageCode = "en", string? PhoneNumber = null);

/// <summary>An inline keyboard button as the bot sent it.</summary>
public sealed record InlineButton(string Text, string? CallbackData, string? Url);

/// <summary>A file the emulator holds: uploaded by the bot, or sent by a user.</summary>
public sealed record StoredFile(string FileId, string FileUniqueId, string FilePath, byte[] Content, string? FileName, string? MimeType);

/// <summary>A message in an emulated chat, as a test sees it after the fact.</summary>
public sealed record ChatMessage(
    int MessageId,
    long ChatId,
    bool FromBot,
    string Text,
    string? RawText,
    IReadOnlyList<MessageEntity> Entities,
    IReadOnlyList<IReadOnlyList<InlineButton>> Buttons,
    bool IsDeleted,
    StoredFile? Photo,
    StoredFile? Document,
    string? MediaGroupId,
    DateTimeOffset Date,
    int EditCount,
    bool LinkPreviewDisabled,
    bool Protected = false,
    int? ReplyTo = null)
{
    /// <summary>The callback data of the first button whose label contains <paramref name="label"/>.</summary>
    public string? ButtonData(string label) =>
        Buttons.SelectMany(r => r).FirstOrDefault(b => b.Text.Contains(label, StringComparison.Ordinal))?.CallbackData;
}

/// <summary>A global flood wait the emulator imposed, and how many sends still arrived while it lasted.</summary>
public sealed class FloodWindow(DateTimeOffset start, DateTimeOffset end)
{
    public DateTimeOffset Start { get; } = start;

    public DateTimeOffset End { get; } = end;

    public int SendsDuring { get; internal set; }
}

/// <summary>How the bot answered a button press.</summary>
public sealed record CallbackAnswer(string QueryId, string? Text, bool ShowAlert);

/// <summary>Counters that tests and benchmarks read.</summary>
public sealed class EmulatorStats
{
    private long _requests;
    private long _sends;
    private long _tooManyRequests;
    private long _serverErrors;
    private long _dropped;
    private long _forbidden;
    private long _badRequests;
    private long _droppedAfterSend;
    private long _paidBroadcasts;
    private long _updatesDelivered;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Messages accepted into chats (send*, copyMessage).</summary>
    public long Sends => Interlocked.Read(ref _sends);

    public long TooManyRequests => Interlocked.Read(ref _tooManyRequests);

    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    public long DroppedConnections => Interlocked.Read(ref _dropped);

    public long Forbidden => Interlocked.Read(ref _forbidden);

    public long BadRequests => Interlocked.Read(ref _badRequests);

    /// <summary>Sends that reached the chat but whose answer was lost: the bot cannot know, and may send them again.</summary>
    public long DroppedAfterSend => Interlocked.Read(ref _droppedAfterSend);

    /// <summary>Sends accepted with allow_paid_broadcast (each would cost Stars on the real Telegram).</summary>
    public long PaidBroadcasts => Interlocked.Read(ref _paidBroadcasts);

    /// <summary>Updates returned by getUpdates or posted to the webhook, each time it was returned (a repeat counts again).</summary>
    public long UpdatesDelivered => Interlocked.Read(ref _updatesDelivered);

    internal void Delivered(int count) => Interlocked.Add(ref _updatesDelivered, count);

    internal void PaidBroadcast() => Interlocked.Increment(ref _paidBroadcasts);

    internal void Request() => Interlocked.Increment(ref _requests);

    internal void Sent() => Interlocked.Increment(ref _sends);

    internal void Error(int code)
    {
        switch (code)
        {
            case 429: Interlocked.Increment(ref _tooManyRequests); break;
            case 403: Interlocked.Increment(ref _forbidden); break;
            case 400: Interlocked.Increment(ref _badRequests); break;
            case >= 500: Interlocked.Increment(ref _serverErrors); break;
            default: break;
        }
    }

    internal void Dropped() => Interlocked.Increment(ref _dropped);

    internal void DroppedAfter() => Interlocked.Increment(ref _droppedAfterSend);
}

internal sealed class ChatState(long id, string type, EmulatedUser? user, string? title)
{
    public long Id { get; } = id;
    public string Type { get; } = type;
    public EmulatedUser? User { get; } = user;
    public string? Title { get; } = title;
    public int NextMessageId { get; set; } = 1;
    public bool BlockedBot { get; set; }
    public List<MessageRecord> Messages { get; } = [];

    public JsonObject ToJson()
    {
        var chat = new JsonObject { ["id"] = Id };
        if (Type == "private" && User is not null)
        {
            chat["first_name"] = User.FirstName;
            if (User.LastName is not null)
            {
                chat["last_name"] = User.LastName;
            }

            if (User.Username is not null)
            {
                chat["username"] = User.Username;
            }
        }
        else
        {
            chat["title"] = Title;
        }

        chat["type"] = Type;
        return chat;
    }
}

internal sealed class MessageRecord
{
    public required int MessageId { get; init; }
    public required ChatState Chat { get; init; }
    public required bool FromBot { get; init; }
    public EmulatedUser? From { get; init; }
    public required DateTimeOffset Date { get; init; }
    public string Text { get; set; } = "";
    public string? RawText { get; set; }
    public bool HasText { get; set; }
    public IReadOnlyList<MessageEntity> Entities { get; set; } = [];
    public JsonNode? ReplyMarkup { get; set; }
    public StoredFile? Photo { get; set; }
    public StoredFile? Document { get; set; }
    public string? MediaGroupId { get; set; }
    public EmulatedUser? Contact { get; set; }
    public bool Deleted { get; set; }
    public int EditCount { get; set; }
    public bool LinkPreviewDisabled { get; set; }

    /// <summary>Sent with protect_content: Telegram's apps forbid forwarding and saving it.</summary>
    public bool Protected { get; set; }

    /// <summary>The message this one answers (reply_parameters.message_id).</summary>
    public int? ReplyTo { get; set; }

    public ChatMessage Snapshot() => new(
        MessageId, Chat.Id, FromBot, Text, RawText, Entities, Buttons(ReplyMarkup), Deleted, Photo, Document, MediaGroupId, Date, EditCount,
        LinkPreviewDisabled, Protected, ReplyTo);

    private static List<IReadOnlyList<InlineButton>> Buttons(JsonNode? markup)
    {
        if (markup?["inline_keyboard"] is not JsonArray rows)
        {
            return [];
        }

        return rows.OfType<JsonArray>()
            .Select(r => (IReadOnlyList<InlineButton>)r.OfType<JsonObject>()
                .Select(b => new InlineButton((string?)b["text"] ?? "", (string?)b["callback_data"], (string?)b["url"]))
                .ToList())
            .ToList();
    }
}
