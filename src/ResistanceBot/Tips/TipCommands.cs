using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using ResistanceBot.Privacy;
using ResistanceBot.Subscriptions;
using ResistanceBot.Telegram;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Tips;

internal static class TipsFeature
{
    public const string State = "tip";

    public static IServiceCollection AddTips(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TipsOptions>().Bind(configuration.GetSection(TipsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TipKeys>();
        services.AddSingleton(sp => TipKeys.EpochOf(sp.GetRequiredService<IOptions<TipsOptions>>().Value));
        services.AddSingleton<TipService>();
        services.AddSingleton<TipArrivals>();
        services.AddSingleton<ReceiptTokens>();
        services.AddSingleton<FileChoices>();
        services.AddSingleton<CheckLimiter>();
        services.AddSingleton<ReceiptJanitor>();
        services.AddHostedService(sp => sp.GetRequiredService<ReceiptJanitor>());
        services.AddHostedService<DraftJanitor>();
        services.AddSingleton<IRetentionStep, TipRetention>();
        services.AddSingleton<Vault.IVaultUnlocked, PendingReports>();
        services.AddSingleton<TipResealer>();
        services.AddScoped<IReaderEraser, TipEraser>();
        services.AddCommand<TipCommand>("tip");
        services.AddCommand<SendTipCommand>("send");
        services.AddCommand<CancelTipCommand>("cancel");
        services.AddCommand<CheckCommand>("check");
        services.AddConversation<TipConversation>(State);
        services.AddCallback<ReplyOptInButton>(ReplyOptInButton.Prefix);
        services.AddCallback<FileChoiceButton>(FileChoiceButton.Prefix);
        return services;
    }

    /// <summary>"20 MB" or "3 KB", in the reader's language.</summary>
    public static string Size(BotContext context, int bytes) => bytes >= 1 << 20
        ? context.T("unit.mb", (bytes / (double)(1 << 20)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture))
        : context.T("unit.kb", Math.Max(1, bytes / 1024));

}

/// <summary>/tip: opens a draft and says, before anything is sent, what the bot keeps and what it cannot protect.</summary>
internal sealed class TipCommand(TipService tips, IOptions<TipsOptions> options) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (await tips.IsBannedAsync(context.Db, context.UserId, ct))
        {
            await context.ReplyAsync(context.T("tip.banned"), ct: ct);
            return;
        }

        if (await tips.DraftAsync(context.Db, context.UserId, ct) is not null)
        {
            await context.ReplyAsync(context.T("tip.already"), ct: ct);
            return;
        }

        var o = options.Value;
        var intro = await context.ReplyAsync(context.T("tip.intro", o.MaxFiles, TipsFeature.Size(context, o.MaxFileBytes), o.DraftMinutes, 2 * o.EpochDays), ct: ct);
        var state = new DraftState { ChatId = context.ChatId, MessageIds = [context.IncomingMessageId] };
        if (intro.Ok)
        {
            state.MessageIds.Add(intro.MessageId);
        }

        await tips.StartDraftAsync(context.Db, context.UserId, state, ct);
        await ConversationStore.SetAsync(context, TipsFeature.State, TimeSpan.FromMinutes(o.DraftMinutes), ct);
    }
}

/// <summary>
/// What follows /tip: text, photos (albums too) and documents join the draft, within the limits, each sealed to the vault as it
/// arrives (files fetched and cleaned first).
/// </summary>
internal sealed class TipConversation(TipService tips, FileChoices choices, IOptions<TipsOptions> options) : IConversationHandler
{
    public async Task HandleAsync(BotContext context, Message message, CancellationToken ct)
    {
        var draft = await tips.DraftAsync(context.Db, context.UserId, ct);
        if (draft is null)
        {
            await ConversationStore.ClearAsync(context, ct);
            await context.ReplyAsync(context.T("tip.expired"), ct: ct);
            return;
        }

        var o = options.Value;
        var state = await tips.OpenDraftAsync(draft, ct) ?? new DraftState { ChatId = context.ChatId };
        state.MessageIds.Add(message.Id);
        var (answer, markup) = await AddAsync(context, draft, state, message, o, ct);
        var albumContinues = message.MediaGroupId is { } group && group == state.LastMediaGroup && answer is null;
        state.LastMediaGroup = message.MediaGroupId;
        if (!albumContinues)
        {
            var sent = await context.ReplyAsync(answer ?? context.T("tip.added", state.Parts), markup, ct);
            if (sent.Ok)
            {
                state.MessageIds.Add(sent.MessageId);
            }
        }

        await tips.SaveDraftAsync(context.Db, draft, state, ct);
        await ConversationStore.SetAsync(context, TipsFeature.State, TimeSpan.FromMinutes(o.DraftMinutes), ct);
    }

    /// <returns>A null answer when the part was added quietly; otherwise what to tell the reader, with any buttons to choose.</returns>
    private async Task<(string? Answer, InlineKeyboardMarkup? Markup)> AddAsync(
        BotContext context, TipDraft draft, DraftState state, Message message, TipsOptions o, CancellationToken ct)
    {
        if (message.Voice is not null || message.VideoNote is not null || message.Location is not null || message.Venue is not null || message.Contact is not null)
        {
            return (context.T("tip.refused.identifying"), null);
        }

        var text = message.Text ?? message.Caption;
        if (text is not null && state.TextLength + text.Length > o.MaxTextLength)
        {
            return (context.T("tip.text.too.long", o.MaxTextLength), null);
        }

        (string?, InlineKeyboardMarkup?) answer = (null, null);
        if (message.Photo is { Length: > 0 } || message.Document is not null || message.Video is not null)
        {
            var (fileId, size, name, isPhoto) = message switch
            {
                { Photo: { Length: > 0 } p } => (p[^1].FileId, p[^1].FileSize, (string?)null, true),
                { Document: { } d } => (d.FileId, d.FileSize, d.FileName, false),
                { Video: { } v } => (v.FileId, v.FileSize, v.FileName, false),
                _ => throw new InvalidOperationException("unreachable"),
            };
            if (size > o.MaxFileBytes)
            {
                return (context.T("tip.file.too.big", TipsFeature.Size(context, o.MaxFileBytes)), null);
            }

            if (state.Files >= o.MaxFiles)
            {
                return (context.T("tip.too.many.files", o.MaxFiles), null);
            }

            var added = await tips.AddFileAsync(context.Db, draft, state, fileId, isPhoto, ct);
            switch (added.Result)
            {
                case AddFileResult.TooBig:
                    return (context.T("tip.file.too.big", TipsFeature.Size(context, o.MaxFileBytes)), null);
                case AddFileResult.Unreadable:
                    return (context.T("tip.file.unreadable"), null);
                case AddFileResult.Refused:
                    return (context.T("tip.file.refused"), null);
                case AddFileResult.PastLimits:
                    return (context.T("tip.file.limits"), null);
                case AddFileResult.Held:
                    var held = choices.Offer(state.Id, added.Position, name: null);
                    answer = (context.T("tip.file.held"), new InlineKeyboardMarkup(
                        InlineKeyboardButton.WithCallbackData(context.T("tip.button.keep.file"), FileChoiceButton.Data(held, FileChoice.Keep)),
                        InlineKeyboardButton.WithCallbackData(context.T("tip.button.drop.file"), FileChoiceButton.Data(held, FileChoice.Drop))));
                    break;
                case AddFileResult.Added when !string.IsNullOrWhiteSpace(name):
                    // The name is offered back, never stored unless the tipster asks: it can name them or their device.
                    var named = choices.Offer(state.Id, added.Position, name);
                    answer = (context.T("tip.file.added.unnamed", state.Parts, added.Extension.TrimStart('.').ToUpperInvariant()), new InlineKeyboardMarkup(
                        InlineKeyboardButton.WithCallbackData(context.T("tip.button.keep.name"), FileChoiceButton.Data(named, FileChoice.KeepName))));
                    break;
            }
        }
        else if (text is null)
        {
            return (context.T("tip.unsupported"), null);
        }

        if (text is not null)
        {
            tips.AddText(context.Db, draft, state, text);
        }

        return answer;
    }
}

internal enum FileChoice
{
    Keep,
    Drop,
    KeepName,
}

/// <summary>
/// The choices offered on a file just added: keep or drop a file the bot could not clean, keep a file's own name. Held in memory
/// only, like receipt tokens: the name waits here, never in the database, until the tipster keeps it (or the offer lapses with
/// the draft or a restart). A token names a draft position, and only the presser's own live draft is looked at.
/// </summary>
internal sealed class FileChoices(TimeProvider time, IOptions<TipsOptions> options)
{
    private readonly ConcurrentDictionary<string, (FileOffer Offer, DateTimeOffset Expires)> _offers = new(StringComparer.Ordinal);

    public string Offer(string draftId, int position, string? name)
    {
        var now = time.GetUtcNow();
        foreach (var stale in _offers.Where(t => t.Value.Expires < now).Select(t => t.Key).ToList())
        {
            _offers.TryRemove(stale, out _);
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        _offers[token] = (new FileOffer(draftId, position, name), now.AddMinutes(options.Value.DraftMinutes));
        return token;
    }

    public FileOffer? Redeem(string token) =>
        _offers.TryRemove(token, out var offer) && offer.Expires >= time.GetUtcNow() ? offer.Offer : null;
}

/// <summary>What a file's buttons point to: a position in one draft (another draft of the same reader finds nothing), and a name to keep.</summary>
internal sealed record FileOffer(string DraftId, int Position, string? Name);

/// <summary>The buttons under a file just added: keep it as it is, drop it, or keep its own name.</summary>
internal sealed class FileChoiceButton(TipService tips, FileChoices choices) : ICallbackHandler
{
    public const string Prefix = "tipf";

    public static string Data(string token, FileChoice choice) => $"{Prefix}:{token}:{(int)choice}";

    public async Task HandleAsync(BotContext context, CallbackQuery query, string data, CancellationToken ct)
    {
        var (token, choice) = data.Split(':') is [var t, var c] && int.TryParse(c, out var n) && Enum.IsDefined((FileChoice)n) ? (t, (FileChoice)n) : ("", FileChoice.Keep);
        bool done = false;
        if (choices.Redeem(token) is { } offer)
        {
            done = choice switch
            {
                FileChoice.KeepName when offer.Name is { } name => await tips.KeepNameAsync(context.Db, context.UserId, offer, name, ct),
                FileChoice.Keep or FileChoice.Drop when offer.Name is null => await tips.ReleaseAsync(context.Db, context.UserId, offer, choice == FileChoice.Keep, ct),
                _ => false,
            };
        }

        if (!done)
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        var answer = context.T(choice switch
        {
            FileChoice.Keep => "tip.file.kept",
            FileChoice.Drop => "tip.file.dropped",
            _ => "tip.file.name.kept",
        });
        await context.Sender.AnswerCallbackAsync(query.Id, answer, ct);
        if (query.Message is { } message)
        {
            await context.Sender.EditTextAsync(context.ChatId, message.Id, answer, ct: ct);
        }
    }
}

/// <summary>/send: stores the tip, deletes the tipster's messages from the chat, and gives the receipt.</summary>
internal sealed class SendTipCommand(TipService tips, ReceiptTokens tokens, ReceiptJanitor janitor, IOptions<TipsOptions> options) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (await tips.IsBannedAsync(context.Db, context.UserId, ct))
        {
            await context.ReplyAsync(context.T("tip.banned"), ct: ct);
            return;
        }

        var draft = await tips.DraftAsync(context.Db, context.UserId, ct);
        if (draft is null)
        {
            await context.ReplyAsync(context.T("tip.none"), ct: ct);
            return;
        }

        var state = await tips.OpenDraftAsync(draft, ct) ?? new DraftState { ChatId = context.ChatId };
        state.MessageIds.Add(context.IncomingMessageId);
        if (await TipService.KeptPartsAsync(context.Db, draft, ct) == 0)
        {
            await context.ReplyAsync(context.T(state.Parts == 0 ? "tip.empty" : "tip.empty.held"), ct: ct);
            return;
        }

        if (await tips.SentTodayAsync(context.Db, context.UserId, ct) >= options.Value.MaxPerDay)
        {
            await context.ReplyAsync(context.T("tip.limit", options.Value.MaxPerDay), ct: ct);
            return;
        }

        var result = await tips.SubmitAsync(context.Db, context.UserId, draft, ct);
        await ConversationStore.ClearAsync(context, ct);
        await context.Sender.DeleteAsync(context.ChatId, state.MessageIds, ct);
        var text = new StringBuilder(context.T("tip.receipt", new HtmlFragment(Html.Code(result.Receipt)), options.Value.ReceiptMinutes));
        if (result.Uncleaned > 0)
        {
            text.Append("\n\n").Append(context.T("tip.uncleaned.stored", result.Uncleaned));
        }

        if (result.Dropped > 0)
        {
            text.Append("\n\n").Append(context.T("tip.held.dropped", result.Dropped));
        }

        var token = tokens.Issue(result.TipId, TimeSpan.FromMinutes(options.Value.ReceiptMinutes));
        var markup = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData(context.T("tip.button.notify"), $"{ReplyOptInButton.Prefix}:{token}"));
        var sent = await context.ReplyAsync(text.ToString(), markup, ct);
        if (sent.Ok)
        {
            janitor.DeleteLater(context.ChatId, sent.MessageId, TimeSpan.FromMinutes(options.Value.ReceiptMinutes));
        }
    }
}

internal sealed class CancelTipCommand(TipService tips) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var draft = await tips.DraftAsync(context.Db, context.UserId, ct);
        await ConversationStore.ClearAsync(context, ct);
        if (draft is null)
        {
            await context.ReplyAsync(context.T("tip.none"), ct: ct);
            return;
        }

        var state = await tips.OpenDraftAsync(draft, ct) ?? new DraftState { ChatId = context.ChatId };
        state.MessageIds.Add(context.IncomingMessageId);
        context.Db.TipDrafts.Remove(draft); // its parts go with it (the database's cascade)
        await context.Db.SaveChangesAsync(ct);
        await context.Sender.DeleteAsync(context.ChatId, state.MessageIds, ct);
        await context.ReplyAsync(context.T("tip.cancelled"), ct: ct);
    }
}

/// <summary>/check RECEIPT: the tip's state and the editors' replies, and nothing else. Guessing is rate-limited.</summary>
internal sealed class CheckCommand(TipService tips, CheckLimiter limiter, ReceiptJanitor janitor, IOptions<TipsOptions> options) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        // The receipt should not stay in the chat: the reader's message goes at once, the answer after a while.
        await context.Sender.DeleteAsync(context.ChatId, [context.IncomingMessageId], ct);
        if (context.Arguments.Length == 0)
        {
            await context.ReplyAsync(context.T("tip.check.usage"), ct: ct);
            return;
        }

        if (!limiter.TryAcquire(context.ReaderKey))
        {
            await context.ReplyAsync(context.T("tip.check.slow"), ct: ct);
            return;
        }

        string answer;
        if (await tips.CheckAsync(context.Db, context.Arguments, ct) is not { } check)
        {
            answer = context.T("tip.check.unknown");
        }
        else
        {
            var text = new StringBuilder(context.T("tip.check.state." + check.State.ToString().ToLowerInvariant()));
            foreach (var (on, words) in check.Replies)
            {
                text.Append("\n\n").Append(context.T("tip.check.reply", on.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture), words));
            }

            if (check.Waiting > 0)
            {
                text.Append("\n\n").Append(context.T("tip.check.reply.waiting", check.Waiting));
            }

            answer = text.ToString();
        }

        var sent = await context.ReplyAsync(answer, ct: ct);
        if (sent.Ok)
        {
            janitor.DeleteLater(context.ChatId, sent.MessageId, TimeSpan.FromMinutes(options.Value.ReceiptMinutes));
        }
    }
}

/// <summary>The "notify me of replies" button under a receipt. Its token lives in memory only and expires with the receipt.</summary>
internal sealed class ReplyOptInButton(TipService tips, ReceiptTokens tokens) : ICallbackHandler
{
    public const string Prefix = "tipr";

    public async Task HandleAsync(BotContext context, CallbackQuery query, string data, CancellationToken ct)
    {
        if (tokens.Redeem(data) is not { } tipId)
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        var until = await tips.OptInAsync(context.Db, tipId, context.ChatId, ct);
        await context.Sender.AnswerCallbackAsync(
            query.Id, until is { } day ? context.T("tip.notify.on", day.AddDays(-1).ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture)) : context.T("button.stale"), ct);
        if (query.Message is { } message)
        {
            await context.Sender.EditReplyMarkupAsync(context.ChatId, message.Id, ct);
        }
    }
}

/// <summary>Receipt buttons' tokens → tip ids, in memory only: the database never ties a chat to a tip unless the reader opts in.</summary>
internal sealed class ReceiptTokens(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (int TipId, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);

    public string Issue(int tipId, TimeSpan lifetime)
    {
        foreach (var stale in _tokens.Where(t => t.Value.Expires < time.GetUtcNow()).Select(t => t.Key).ToList())
        {
            _tokens.TryRemove(stale, out _);
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        _tokens[token] = (tipId, time.GetUtcNow().Add(lifetime));
        return token;
    }

    public int? Redeem(string token) =>
        _tokens.TryRemove(token, out var entry) && entry.Expires >= time.GetUtcNow() ? entry.TipId : null;
}

/// <summary>At most 10 receipt checks an hour per reader (in memory): a receipt cannot be guessed by trying.</summary>
internal sealed class CheckLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromHours(1), AutoReplenishment = false }));

    public bool TryAcquire(byte[] readerKey)
    {
        using var lease = _limiter.AttemptAcquire(Convert.ToHexString(readerKey, 0, 8));
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}

/// <summary>/forget's part in the tip line: the draft (and its messages in the chat), reply routes, and sender tags.</summary>
internal sealed class TipEraser(TipService tips) : IReaderEraser
{
    public async Task EraseAsync(BotContext context, CancellationToken ct)
    {
        if (await tips.DraftAsync(context.Db, context.UserId, ct) is { } draft && await tips.OpenDraftAsync(draft, ct) is { } state)
        {
            await context.Sender.DeleteAsync(context.ChatId, state.MessageIds, ct);
        }

        await tips.ForgetAsync(context.Db, context.UserId, ct);
    }
}

/// <summary>Reader reports approved while the vault was locked become candidates as soon as it is unlocked.</summary>
internal sealed class PendingReports(TipService tips) : Vault.IVaultUnlocked
{
    public Task OnUnlockedAsync(Storage.BotDbContext db, CancellationToken ct) => tips.OfferPendingReportsAsync(db, ct);
}
