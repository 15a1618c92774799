using Microsoft.EntityFrameworkCore;
using ResistanceBot.Delivery;
using ResistanceBot.Localization;
using ResistanceBot.Privacy;
using ResistanceBot.Staff;
using ResistanceBot.Storage;
using ResistanceBot.Subscriptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Telegram;

/// <summary>
/// One update as a handler sees it: who is asking (by role and pseudonym, never logged), in which language, and how to answer.
/// The chat and user ids live here in memory only, for the reply.
/// </summary>
internal sealed class BotContext(
    BotDbContext db,
    Pseudonyms pseudonyms,
    DataSealer sealer,
    ErasableKeys keys,
    Localizer localizer,
    BotSender sender,
    StaffDirectory staff,
    TimeProvider time)
{
    private static readonly CompiledQuery<Func<BotDbContext, byte[], CancellationToken, Task<Reader?>>> ReaderByPseudonym =
        new(() => EF.CompileAsyncQuery((BotDbContext db, byte[] pseudonym, CancellationToken ct) => db.Readers.FirstOrDefault(r => r.Pseudonym == pseudonym)));

    private byte[]? _readerKey;

    public BotDbContext Db => db;

    public BotSender Sender => sender;

    public Localizer Strings => localizer;

    public DataSealer Sealer => sealer;

    public ErasableKeys Keys => keys;

    public TimeProvider Time => time;

    public long ChatId { get; private set; }

    public long UserId { get; private set; }

    /// <summary>The id of the message being handled (0 for button presses).</summary>
    public int IncomingMessageId { get; internal set; }

    public string? TelegramLanguage { get; private set; }

    public StaffRole Role { get; private set; }

    /// <summary>The chat's conversation state when a conversation handler runs ("name" or "name:detail").</summary>
    public string ConversationState { get; internal set; } = "";

    /// <summary>The command name, lowercase, without slash or @botname.</summary>
    public string Command { get; private set; } = "";

    /// <summary>What follows the command, trimmed.</summary>
    public string Arguments { get; private set; } = "";

    public Reader? Reader { get; private set; }

    public string Language => Reader?.Language ?? Localizer.Pick(TelegramLanguage);

    public byte[] ReaderKey => _readerKey ??= pseudonyms.Of(Purposes.Reader, UserId);

    /// <summary>
    /// How this actor is written in the audit log: staff by id (not secret), anyone else as "reader" and nothing more, so that
    /// an audit entry joins no other row (a tag of the pseudonym would match the reader's subscription).
    /// </summary>
    public string AuditActor => Role == StaffRole.None ? "reader" : "staff:" + UserId;

    public async Task InitializeAsync(long chatId, User user, CancellationToken ct)
    {
        ChatId = chatId;
        UserId = user.Id;
        TelegramLanguage = user.LanguageCode;
        Role = await staff.RoleOfAsync(db, user.Id, ct);
        Reader = await ReaderByPseudonym.For(db)(db, ReaderKey, ct);
    }

    internal void SetCommand(string command, string arguments)
    {
        Command = command;
        Arguments = arguments;
    }

    public bool Has(StaffRole required) => Role.Allows(required);

    /// <summary>The reader's row, made on first need (a language choice, a subscription).</summary>
    public Reader GetOrCreateReader()
    {
        if (Reader is null)
        {
            Reader = new Reader { Pseudonym = ReaderKey, Language = Localizer.Pick(TelegramLanguage) };
            db.Readers.Add(Reader);
        }

        return Reader;
    }

    /// <summary>After /forget: the reader's row is gone and must not be saved again.</summary>
    public void ForgetReader()
    {
        if (Reader is not null)
        {
            db.Entry(Reader).State = EntityState.Detached;
            Reader = null;
        }
    }

    public string T(string key) => localizer.Get(Language, key);

    public string T(string key, params object?[] args) => localizer.Format(Language, key, args);

    public async Task<SendOutcome> ReplyAsync(string html, InlineKeyboardMarkup? markup = null, CancellationToken ct = default)
    {
        var outcome = await sender.SendTextAsync(ChatId, html, markup, ct: ct);
        await OnOutcomeAsync(outcome, ct);
        return outcome;
    }

    /// <summary>
    /// A title and lines in as many messages as they need. Each message is bounded by its HTML length, which is never less
    /// than the length Telegram counts, so no message can exceed 4096. Returns the ids of the messages sent.
    /// </summary>
    public async Task<IReadOnlyList<int>> ReplyLinesAsync(string title, IEnumerable<string> lines, CancellationToken ct = default)
    {
        const int Limit = 4000;
        var sent = new List<int>();
        var message = new System.Text.StringBuilder(title);
        foreach (var line in lines)
        {
            if (message.Length + 1 + line.Length > Limit && message.Length > 0)
            {
                var outcome = await ReplyAsync(message.ToString().Trim('\n'), ct: ct);
                if (!outcome.Ok)
                {
                    return sent;
                }

                sent.Add(outcome.MessageId);
                message.Clear();
            }

            message.Append(message.Length == 0 ? "" : "\n").Append(line.Length > Limit ? line[..Limit] : line);
        }

        if (message.Length > 0)
        {
            var last = await ReplyAsync(message.ToString().Trim('\n'), ct: ct);
            if (last.Ok)
            {
                sent.Add(last.MessageId);
            }
        }

        return sent;
    }

    public async Task<SendOutcome> EditAsync(int messageId, string html, InlineKeyboardMarkup? markup = null, CancellationToken ct = default)
    {
        var outcome = await sender.EditTextAsync(ChatId, messageId, html, markup, ct: ct);
        await OnOutcomeAsync(outcome, ct);
        return outcome;
    }

    /// <summary>Answers a button press with what a message would say (HTML), as the short plain notice Telegram shows (200 characters at most).</summary>
    public Task AnswerAsync(CallbackQuery query, string? html, CancellationToken ct) =>
        sender.AnswerCallbackAsync(query.Id, html is null ? null : Articles.PlainText.Cut(Articles.PlainText.FromHtml(html), 190), ct);

    /// <summary>A 403 means the reader blocked the bot: they are unsubscribed at once.</summary>
    private async Task OnOutcomeAsync(SendOutcome outcome, CancellationToken ct)
    {
        if (outcome.Status == SendStatus.RecipientGone && Reader is { } reader && Subscription.End(reader))
        {
            await db.SaveChangesAsync(ct);
        }
    }

    public async Task AuditAsync(string action, string? target = null, string? detail = null, CancellationToken ct = default)
    {
        db.AuditEntries.Add(new AuditEntry { On = time.GetUtcNow().UtcDateTime.Date, Actor = AuditActor, Action = action, Target = target, Detail = detail });
        await db.SaveChangesAsync(ct);
    }
}
