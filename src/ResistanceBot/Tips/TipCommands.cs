using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using ResistanceBot.Delivery;
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
        services.AddSingleton<ReceiptCheck>();
        services.AddStrayMessages<StrayMessages>();
        services.AddHostedService<DraftJanitor>();
        services.AddSingleton<IRetentionStep, TipRetention>();
        services.AddSingleton<Vault.IVaultUnlocked, PendingReports>();
        services.AddSingleton<TipResealer>();
        services.AddScoped<IReaderEraser, TipEraser>();
        services.AddCommand<TipCommand>("tip", lane: IntakeLane.TipLine);
        services.AddCommand<SendTipCommand>("send", lane: IntakeLane.TipLine);
        services.AddCommand<CancelTipCommand>("cancel", lane: IntakeLane.TipLine);
        services.AddCommand<CheckCommand>("check", lane: IntakeLane.TipLine);
        services.AddConversation<TipConversation>(State);
        services.AddCallback<ReplyOptInButton>(ReplyOptInButton.Prefix, IntakeLane.TipLine);
        services.AddCallback<FileChoiceButton>(FileChoiceButton.Prefix, IntakeLane.TipLine);
        return services;
    }

    /// <summary>"20 MB" or "3 KB", in the reader's language.</summary>
    /// <summary>The day a ban lapses, as moderators and the banned writer are told it.</summary>
    public static string Day(DateTime until) => until.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Tells a banned writer until when they cannot write; true when they are banned, and the command goes no further.</summary>
    public static async Task<bool> RefuseIfBannedAsync(BotContext context, TipService tips, CancellationToken ct)
    {
        if (await tips.BannedUntilAsync(context.Db, context.UserId, ct) is not { } until)
        {
            return false;
        }

        await context.ReplyAsync(context.T("tip.banned", Day(until)), ct: ct);
        return true;
    }

    public static string Size(BotContext context, int bytes) => Size(context.Strings, context.Language, bytes);

    public static string Size(Localization.Localizer strings, string language, int bytes) => bytes >= 1 << 20
        ? strings.Format(language, "unit.mb", (bytes / (double)(1 << 20)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture))
        : strings.Format(language, "unit.kb", Math.Max(1, bytes / 1024));

}

/// <summary>/tip: opens a draft and says, before anything is sent, what the bot keeps and what it cannot protect.</summary>
internal sealed class TipCommand(TipService tips, IOptions<TipsOptions> options) : ICommandHandler
{
    /// <summary>
    /// The intro, each claim listed in docs/PRIVACY.md. Arguments: {0} Tips:MaxFiles, {1} Tips:MaxFileBytes as a size,
    /// {2} Tips:DraftMinutes, {3} the days after which a tag's key is gone at the latest (2 × Tips:EpochDays).
    /// </summary>
    internal static readonly ClaimSection[] Sections =
    [
        new("tip.intro.title", ["tip.intro.how"], Bullets: false),
        new("tip.intro.h.before", ["tip.claim.telegram", "tip.claim.tag", "tip.claim.vault", "tip.claim.files", "tip.claim.refused", "tip.claim.receipt"]),
        new("privacy.h.advice", ["advice.photo", "advice.crop", "advice.paper"]),
    ];

    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (await TipsFeature.RefuseIfBannedAsync(context, tips, ct))
        {
            return;
        }

        if (await tips.DraftAsync(context.Db, context.UserId, ct) is not null)
        {
            await context.ReplyAsync(context.T("tip.already"), ct: ct);
            return;
        }

        var o = options.Value;
        var intro = await context.ReplyLinesAsync("", Claims.Lines(context, Sections, o.MaxFiles, TipsFeature.Size(context, o.MaxFileBytes), o.DraftMinutes, 2 * o.EpochDays), ct);
        var state = new DraftState { ChatId = context.ChatId, MessageIds = [context.IncomingMessageId, .. intro], Language = context.Language };

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
        state.Language = context.Language;
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

    /// <summary>
    /// The tipster edited a message of the draft: the new text replaces the old one's part (a file stays as first sent; words
    /// the draft does not hold yet join as a new part). A message from outside the draft changes nothing.
    /// </summary>
    public async Task HandleEditAsync(BotContext context, Message message, CancellationToken ct)
    {
        if (await tips.DraftAsync(context.Db, context.UserId, ct) is not { } draft
            || await tips.OpenDraftAsync(draft, ct) is not { } state
            || !state.MessageIds.Contains(message.Id))
        {
            return;
        }

        var o = options.Value;
        var text = message.Text ?? message.Caption ?? "";
        var old = state.Texts.FirstOrDefault(t => t.MessageId == message.Id)?.Length ?? 0;
        string answer;
        if (state.TextLength - old + text.Length > o.MaxTextLength)
        {
            answer = context.T("tip.text.too.long", o.MaxTextLength);
        }
        else if (await tips.ReplaceTextAsync(context.Db, draft, state, message.Id, text, ct))
        {
            answer = context.T("tip.edited", state.Parts);
        }
        else if (text.Length > 0)
        {
            // A caption written into a file's message afterwards, or words first refused (too long): they join as a new part.
            tips.AddText(context.Db, draft, state, message.Id, text);
            answer = context.T("tip.edited", state.Parts);
        }
        else
        {
            answer = context.T("tip.edited.file");
        }

        var sent = await context.ReplyAsync(answer, ct: ct);
        if (sent.Ok)
        {
            state.MessageIds.Add(sent.MessageId);
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
            tips.AddText(context.Db, draft, state, message.Id, text);
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
    private readonly MemoryTokens<FileOffer> _offers = new(time);

    public string Offer(string draftId, int position, string? name) =>
        _offers.Issue(new FileOffer(draftId, position, name), TimeSpan.FromMinutes(options.Value.DraftMinutes));

    public FileOffer? Redeem(string token) => _offers.TryRedeem(token, out var offer) ? offer : null;
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

/// <summary>/send: stores the tip, deletes the tipster's messages from the chat (checking that they are gone), and gives the receipt.</summary>
internal sealed class SendTipCommand(TipService tips, ReceiptTokens tokens, MessageJanitor janitor, IOptions<TipsOptions> options) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (await TipsFeature.RefuseIfBannedAsync(context, tips, ct))
        {
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
        var left = await janitor.DeleteNowAsync(context.ChatId, state.MessageIds, context.Language, ct);
        var minutes = options.Value.ReceiptMinutes;
        var text = new StringBuilder(context.T("tip.receipt", new HtmlFragment(Html.Code(result.Receipt))))
            .Append("\n\n").Append(left == 0 ? context.T("tip.receipt.deleted") : context.T("cleanup.undeleted.some", left));
        if (result.Uncleaned > 0)
        {
            text.Append("\n\n").Append(context.T("tip.uncleaned.stored", result.Uncleaned));
        }

        if (result.Dropped > 0)
        {
            text.Append("\n\n").Append(context.T("tip.held.dropped", result.Dropped));
        }

        text.Append("\n\n").Append(context.T("tip.receipt.later", minutes)).Append("\n\n").Append(context.T("tip.receipt.notify"));
        var token = tokens.Issue(result.TipId, TimeSpan.FromMinutes(minutes));
        var markup = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData(context.T("tip.button.notify"), $"{ReplyOptInButton.Prefix}:{token}"));
        var sent = await context.ReplyAsync(text.ToString(), markup, ct);
        if (sent.Ok)
        {
            janitor.DeleteLater(context.ChatId, sent.MessageId, TimeSpan.FromMinutes(minutes), context.Language);
        }
    }
}

internal sealed class CancelTipCommand(TipService tips, MessageJanitor janitor) : ICommandHandler
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
        var left = await janitor.DeleteNowAsync(context.ChatId, state.MessageIds, context.Language, ct);
        await context.ReplyAsync(left == 0 ? context.T("tip.cancelled") : context.T("cleanup.undeleted.some", left), ct: ct);
    }
}

/// <summary>/check RECEIPT: the tip's state and the editors' replies, and nothing else. Guessing is rate-limited.</summary>
internal sealed class CheckCommand(ReceiptCheck check) : ICommandHandler
{
    public Task HandleAsync(BotContext context, CancellationToken ct) => check.AnswerAsync(context, context.Arguments, ct);
}

/// <summary>
/// Answers a receipt, typed after /check or pasted alone: the reader's message goes at once (a receipt should not stay in the
/// chat), the answer after <c>Tips:ReceiptMinutes</c>.
/// </summary>
internal sealed class ReceiptCheck(TipService tips, CheckLimiter limiter, MessageJanitor janitor, IOptions<TipsOptions> options)
{
    public async Task AnswerAsync(BotContext context, string receipt, CancellationToken ct)
    {
        await janitor.DeleteNowAsync(context.ChatId, [context.IncomingMessageId], context.Language, ct);
        if (receipt.Length == 0)
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
        if (await tips.CheckAsync(context.Db, receipt, ct) is not { } check)
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

        var minutes = options.Value.ReceiptMinutes;
        var sent = await context.ReplyAsync(answer + "\n\n" + context.T("tip.check.later", minutes), ct: ct);
        if (sent.Ok)
        {
            janitor.DeleteLater(context.ChatId, sent.MessageId, TimeSpan.FromMinutes(minutes), context.Language);
        }
    }
}

/// <summary>
/// A private message that is neither a command nor part of a conversation. A receipt pasted alone is checked as /check would;
/// anything else (a photo or words sent without /tip) is not kept, and is deleted from the chat so it does not stay on the
/// phone looking sent; the answer goes after a while too.
/// </summary>
internal sealed class StrayMessages(ReceiptCheck check, MessageJanitor janitor, IOptions<TipsOptions> options) : IStrayMessageHandler
{
    public async Task HandleAsync(BotContext context, Message message, CancellationToken ct)
    {
        if (message.Text is { } text && Receipt.Normalize(text) is not null)
        {
            await check.AnswerAsync(context, text, ct);
            return;
        }

        await janitor.DeleteNowAsync(context.ChatId, [message.Id], context.Language, ct);
        var sent = await context.ReplyAsync(context.T("stray.not.saved"), ct: ct);
        if (sent.Ok)
        {
            janitor.DeleteLater(context.ChatId, sent.MessageId, TimeSpan.FromMinutes(options.Value.ReceiptMinutes), context.Language);
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
    private readonly MemoryTokens<int> _tokens = new(time);

    public string Issue(int tipId, TimeSpan lifetime) => _tokens.Issue(tipId, lifetime);

    public int? Redeem(string token) => _tokens.TryRedeem(token, out var tipId) ? tipId : null;
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
internal sealed class TipEraser(TipService tips, MessageJanitor janitor) : IReaderEraser
{
    public async Task EraseAsync(BotContext context, CancellationToken ct)
    {
        if (await tips.DraftAsync(context.Db, context.UserId, ct) is { } draft && await tips.OpenDraftAsync(draft, ct) is { } state)
        {
            await janitor.DeleteNowAsync(context.ChatId, state.MessageIds, context.Language, ct);
        }

        await tips.ForgetAsync(context.Db, context.UserId, ct);
    }
}

/// <summary>Reader reports approved while the vault was locked become candidates as soon as it is unlocked.</summary>
internal sealed class PendingReports(TipService tips) : Vault.IVaultUnlocked
{
    public Task OnUnlockedAsync(Storage.BotDbContext db, CancellationToken ct) => tips.OfferPendingReportsAsync(db, ct);
}
