namespace ResistanceBot.BotApiEmulator;

/// <summary>A user of the emulated Telegram: what a test does with its thumbs.</summary>
public sealed class TelegramUser
{
    private readonly BotApiEmulator _emulator;

    internal TelegramUser(BotApiEmulator emulator, EmulatedUser user)
    {
        _emulator = emulator;
        Profile = user;
    }

    public EmulatedUser Profile { get; }

    public long Id => Profile.Id;

    /// <summary>Sends text into the private chat; a leading /command gets its bot_command entity, as the real server adds.</summary>
    public int SendText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _emulator.EnqueueUserMessage(Profile, Id, m =>
        {
            m.Text = text;
            m.RawText = text;
            m.HasText = true;
            if (text.StartsWith('/'))
            {
                var end = text.IndexOfAny([' ', '\n']);
                m.Entities = [new MessageEntity("bot_command", 0, end < 0 ? text.Length : end)];
            }
        });
    }

    /// <summary>Edits one of the user's own messages (its text, or a photo's or file's caption), as a person can in Telegram.</summary>
    public void EditMessage(int messageId, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _emulator.EnqueueUserEdit(Profile, Id, messageId, text);
    }

    /// <summary>Sends a photo as Telegram delivers it: photo sizes that point at these bytes.</summary>
    public int SendPhoto(byte[] jpeg, string? caption = null, string? mediaGroupId = null)
    {
        var file = _emulator.StoreUserFile(jpeg, "photos", ".jpg", null, null);
        return _emulator.EnqueueUserMessage(Profile, Id, m =>
        {
            m.Photo = file;
            m.MediaGroupId = mediaGroupId;
            if (caption is not null)
            {
                m.Text = caption;
                m.HasText = true;
            }
        });
    }

    /// <summary>Sends a file as a document.</summary>
    public int SendDocument(byte[] content, string fileName, string mimeType, string? caption = null)
    {
        var file = _emulator.StoreUserFile(content, "documents", Path.GetExtension(fileName), fileName, mimeType);
        return _emulator.EnqueueUserMessage(Profile, Id, m =>
        {
            m.Document = file;
            if (caption is not null)
            {
                m.Text = caption;
                m.HasText = true;
            }
        });
    }

    /// <summary>Shares the user's own phone number as a contact, as the "Share contact" button does.</summary>
    public int SendContact() => _emulator.EnqueueUserMessage(Profile, Id, m => m.Contact = Profile);

    /// <summary>Presses an inline button with the given callback data on one of the bot's messages.</summary>
    public string PressButton(int messageId, string callbackData) =>
        _emulator.EnqueueCallback(Profile, Id, messageId, callbackData);

    /// <summary>Presses a button on a message in another chat (a group the user is in).</summary>
    public string PressButton(long chatId, int messageId, string callbackData) =>
        _emulator.EnqueueCallback(Profile, chatId, messageId, callbackData);

    /// <summary>Presses the first button whose label contains <paramref name="label"/> on the bot's latest message that has one.</summary>
    public string PressButton(string label)
    {
        var message = BotMessages.LastOrDefault(m => !m.IsDeleted && m.ButtonData(label) is not null)
            ?? throw new InvalidOperationException($"No message from the bot has a button labelled '{label}'.");
        return PressButton(message.MessageId, message.ButtonData(label)!);
    }

    /// <summary>Blocks the bot: the bot gets my_chat_member (member → kicked) and 403 on every send.</summary>
    public void BlockBot() => _emulator.SetBlocked(Profile, blocked: true);

    public void UnblockBot() => _emulator.SetBlocked(Profile, blocked: false);

    /// <summary>Messages from the bot in this chat, in order, deleted ones included and marked.</summary>
    public IReadOnlyList<ChatMessage> BotMessages => _emulator.Messages(Id).Where(m => m.FromBot).ToList();

    /// <summary>Every message in the chat, both directions.</summary>
    public IReadOnlyList<ChatMessage> Messages => _emulator.Messages(Id);

    /// <summary>Sends text and waits for the bot's first new message after it.</summary>
    public async Task<ChatMessage> AskAsync(string text, TimeSpan? timeout = null)
    {
        var before = _emulator.BotMessageCount(Id);
        SendText(text);
        return await _emulator.WaitForBotMessageAsync(Id, before, timeout);
    }

    /// <summary>Does something in the chat (sends a photo, a contact…) and waits for the bot's first new message after it.</summary>
    public async Task<ChatMessage> AskAsync(string ignored, TimeSpan? timeout, Action act)
    {
        ArgumentNullException.ThrowIfNull(act);
        _ = ignored;
        var before = _emulator.BotMessageCount(Id);
        act();
        return await _emulator.WaitForBotMessageAsync(Id, before, timeout);
    }

    /// <summary>Presses a button and waits until the bot answered the press and changed or sent a message.</summary>
    public async Task PressAndWaitAsync(string label, TimeSpan? timeout = null)
    {
        var answersBefore = _emulator.CallbackAnswers.Count;
        var queryId = PressButton(label);
        await _emulator.WaitUntilAsync(
            () => _emulator.CallbackAnswers.Any(a => a.QueryId == queryId),
            timeout ?? TimeSpan.FromSeconds(10),
            $"the bot to answer the press on '{label}' ({answersBefore} answers before)");
    }

    /// <summary>Waits for the bot's next message after the <paramref name="afterCount"/> it had sent here.</summary>
    public Task<ChatMessage> NextBotMessageAsync(int afterCount, TimeSpan? timeout = null) =>
        _emulator.WaitForBotMessageAsync(Id, afterCount, timeout);

    public int BotMessageCount => _emulator.BotMessageCount(Id);
}
