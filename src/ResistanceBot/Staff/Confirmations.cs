using System.Security.Cryptography;
using System.Text;
using ResistanceBot.Privacy;
using ResistanceBot.Telegram;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Staff;

/// <param name="Text">The question (HTML), or why there is nothing to do.</param>
/// <param name="Yes">The label of the button that does it; null when there is nothing to confirm and <paramref name="Text"/> says why.</param>
internal sealed record Question(string Text, string? Yes);

/// <param name="Text">What was done, or why not (HTML).</param>
/// <param name="Undoable">Whether the report carries an Undo button.</param>
internal sealed record Done(string Text, bool Undoable = false);

/// <summary>
/// A staff action that cannot be taken back lightly (ban, reject, remove staff, remove feed, publish): it asks first, and some
/// can be undone from the message that reports them. Each slice registers its own with <see cref="ConfirmationsFeature.AddConfirmable{T}"/>.
/// </summary>
internal interface IConfirmable
{
    /// <summary>The name in button data, such as "ban"; short, since callback data holds 64 bytes.</summary>
    string Action { get; }

    /// <summary>Who may confirm it; checked again at the press, so a role taken away meanwhile confirms nothing.</summary>
    StaffRole Role { get; }

    Task<Question> AskAsync(BotContext context, string argument, CancellationToken ct);

    Task<Done> DoAsync(BotContext context, string argument, string? note, CancellationToken ct);

    /// <summary>Takes back what <see cref="DoAsync"/> did, for those whose <see cref="Done.Undoable"/> is true.</summary>
    Task<string> UndoAsync(BotContext context, string argument, CancellationToken ct) => throw new NotSupportedException(Action + " cannot be undone");
}

internal static class ConfirmationsFeature
{
    public static IServiceCollection AddConfirmable<T>(this IServiceCollection services)
        where T : class, IConfirmable
    {
        services.AddSingleton<IConfirmable, T>();
        return services;
    }
}

/// <summary>
/// Asks before a destructive staff action, and does it at the press of "Yes". The buttons carry the action and its argument
/// signed together with the asker's id, so a button cannot be made up or pressed by another staff member; a note (a rejection's
/// reason, which would not fit in 64 bytes) waits in memory only, like the tip line's other tokens. Nothing here is in the
/// database, so a restart leaves the question unanswerable ("send the command again"), never half done.
/// </summary>
internal sealed class Confirmations(IEnumerable<IConfirmable> confirmables, Pseudonyms pseudonyms, TimeProvider time)
{
    public const string Prefix = "k";
    private const string Purpose = "confirm button";
    private static readonly TimeSpan NoteLifetime = TimeSpan.FromMinutes(30);

    private readonly Dictionary<string, IConfirmable> _actions = confirmables.ToDictionary(c => c.Action, StringComparer.Ordinal);
    private readonly MemoryTokens<string> _notes = new(time, bytes: 6);

    /// <summary>Replies with the question and its Yes and Cancel buttons, or with why there is nothing to confirm.</summary>
    public async Task AskAsync(BotContext context, string action, string argument, string? note, CancellationToken ct)
    {
        var confirmable = _actions[action];
        var question = await confirmable.AskAsync(context, argument, ct);
        if (question.Yes is null)
        {
            await context.ReplyAsync(question.Text, ct: ct);
            return;
        }

        var noteToken = string.IsNullOrWhiteSpace(note) ? "" : Keep(note);
        await context.ReplyAsync(question.Text, new InlineKeyboardMarkup(
            InlineKeyboardButton.WithCallbackData(question.Yes, Data(context, "y", action, argument, noteToken)),
            InlineKeyboardButton.WithCallbackData(context.T("confirm.button.cancel"), Data(context, "n", action, argument, noteToken))), ct);
    }

    /// <summary>A press of Yes, Cancel or Undo, already past the dispatcher: "verb:action:argument:note:signature".</summary>
    public async Task PressAsync(BotContext context, CallbackQuery query, string data, CancellationToken ct)
    {
        var parts = data.Split(':');
        if (parts.Length != 5 || !_actions.TryGetValue(parts[1], out var confirmable) || !Genuine(context, parts))
        {
            await context.AuditAsync("forged", "button:confirm", ct: ct);
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        if (!context.Has(confirmable.Role))
        {
            await context.AuditAsync("denied", "button:" + confirmable.Action, ct: ct);
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        var (verb, argument, noteToken) = (parts[0], parts[2], parts[3]);
        string? note = null;
        if (verb == "y" && noteToken.Length > 0 && (note = Take(noteToken)) is null)
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        string text;
        InlineKeyboardMarkup? markup = null;
        switch (verb)
        {
            case "y":
                var done = await confirmable.DoAsync(context, argument, note, ct);
                text = done.Text;
                if (done.Undoable)
                {
                    markup = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData(context.T("button.undo"), Data(context, "u", confirmable.Action, argument, "")));
                }

                break;
            case "u":
                text = await confirmable.UndoAsync(context, argument, ct);
                break;
            default:
                if (noteToken.Length > 0)
                {
                    Take(noteToken);
                }

                text = context.T("confirm.cancelled");
                break;
        }

        await context.AnswerAsync(query, text, ct);
        if (query.Message is { } message)
        {
            await context.EditAsync(message.Id, text, markup, ct);
        }
    }

    private string Data(BotContext context, string verb, string action, string argument, string noteToken) =>
        $"{Prefix}:{verb}:{action}:{argument}:{noteToken}:{Signature(context.UserId, verb, action, argument, noteToken)}";

    private bool Genuine(BotContext context, string[] parts)
    {
        var expected = Encoding.ASCII.GetBytes(Signature(context.UserId, parts[0], parts[1], parts[2], parts[3]));
        return parts[0] is "y" or "n" or "u" && CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[4]));
    }

    private string Signature(long userId, string verb, string action, string argument, string noteToken) =>
        Convert.ToBase64String(pseudonyms.OfText(Purpose, $"{verb}:{action}:{argument}:{noteToken}:{userId}"), 0, 9).Replace('+', '-').Replace('/', '_');

    private string Keep(string note) => _notes.Issue(note, NoteLifetime);

    private string? Take(string token) => _notes.TryRedeem(token, out var note) ? note : null;
}

/// <summary>The Yes, Cancel and Undo buttons of every confirmation.</summary>
internal sealed class ConfirmButtons(Confirmations confirmations) : ICallbackHandler
{
    public Task HandleAsync(BotContext context, CallbackQuery query, string data, CancellationToken ct) => confirmations.PressAsync(context, query, data, ct);
}
