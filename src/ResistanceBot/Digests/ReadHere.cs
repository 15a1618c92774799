using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Articles;
using ResistanceBot.Telegram;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Digests;

/// <summary>
/// The "📖" button under an edition: sends the item's full text into the reader's chat, as Telegram HTML in as many messages
/// as it takes (split between paragraphs), with its links and without images, then marks the button ✓. A second press sends
/// nothing. Works for any edition, from the copy of its items kept with it, through the same sender and limits as all else.
/// </summary>
internal sealed class ReadHere(ReadHereGuard guard) : ICallbackHandler
{
    public const string Prefix = "read";
    private const string Sent = "sent";

    public static string Data(int edition, int position) =>
        Prefix + ":" + edition.ToString(CultureInfo.InvariantCulture) + ":" + position.ToString(CultureInfo.InvariantCulture);

    public async Task HandleAsync(BotContext context, CallbackQuery query, string data, CancellationToken ct)
    {
        var parts = data.Split(':');
        if (parts is [Sent])
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("readhere.already"), ct);
            return;
        }

        if (parts.Length != 2 || !ArticlesFeature.TryNumber(parts[0], out var number)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        var item = await (from i in context.Db.EditionItems.AsNoTracking()
                          join e in context.Db.Editions on i.EditionId equals e.Id
                          where e.Number == number && i.Position == position
                          select new { i.Title, i.Url, i.Source, i.FullText }).FirstOrDefaultAsync(ct);
        if (item?.FullText is not { Length: > 0 } text)
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("readhere.none"), ct);
            return;
        }

        // Two quick taps reach the bot before the first has marked the button: only the first sends.
        if (!guard.TryClaim(context.ChatId, query.Message?.Id ?? 0, number, position))
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("readhere.already"), ct);
            return;
        }

        await context.Sender.AnswerCallbackAsync(query.Id, ct: ct);
        var messages = FullText.ToTelegram(item.Title, text, EditionRenderer.MaxPartLength - 200);
        messages[^1] += "\n\n" + new HtmlBuilder().Italic(context.T("readhere.source") + " ").Anchor(item.Url, item.Source ?? Host(item.Url)).ToString();
        foreach (var message in messages)
        {
            if (!(await context.Sender.SendTextAsync(context.ChatId, message, ct: ct)).Ok)
            {
                guard.Release(context.ChatId, query.Message?.Id ?? 0, number, position);
                return;
            }
        }

        if (query.Message is { ReplyMarkup: { } markup } pressed)
        {
            await context.Sender.EditReplyMarkupAsync(context.ChatId, pressed.Id, Marked(markup, Prefix + ":" + data), ct);
        }
    }

    /// <summary>The same buttons, the pressed one shown as ✓ and answering that its text was sent.</summary>
    internal static InlineKeyboardMarkup Marked(InlineKeyboardMarkup markup, string pressed) => new(markup.InlineKeyboard.Select(row => row.Select(b =>
        b.CallbackData == pressed
            ? InlineKeyboardButton.WithCallbackData("✓ " + b.Text.Replace("📖 ", "", StringComparison.Ordinal), Prefix + ":" + Sent)
            : b)));

    private static string Host(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Host : "";
}

/// <summary>
/// Which full texts were just sent, for a few minutes, so that a double tap sends once. In memory only, keyed by a hash
/// under a key made at start and never stored: nothing of it outlives the process, and no file records who read what.
/// </summary>
internal sealed class ReadHereGuard(TimeProvider time)
{
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(10);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _recent = new(StringComparer.Ordinal);

    public bool TryClaim(long chatId, int messageId, int edition, int position)
    {
        var now = time.GetUtcNow();
        if (_recent.Count > 10_000)
        {
            foreach (var (k, until) in _recent)
            {
                if (until < now)
                {
                    _recent.TryRemove(k, out _);
                }
            }
        }

        var key = Key(chatId, messageId, edition, position);
        if (_recent.TryGetValue(key, out var held) && held > now)
        {
            return false;
        }

        _recent[key] = now + Hold;
        return true;
    }

    public void Release(long chatId, int messageId, int edition, int position) => _recent.TryRemove(Key(chatId, messageId, edition, position), out _);

    private string Key(long chatId, int messageId, int edition, int position) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{chatId}:{messageId}:{edition}:{position}"))));
}
