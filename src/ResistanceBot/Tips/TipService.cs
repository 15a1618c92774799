using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Articles;
using ResistanceBot.Delivery;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;
using ResistanceBot.Vault;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace ResistanceBot.Tips;

/// <summary>Wakes whoever announces new tips to moderators (in batches, at random moments).</summary>
internal sealed class TipArrivals : Hosting.Signal;

/// <param name="Receipt">What the tipster keeps to read the answer.</param>
/// <param name="TipId">The tip's number.</param>
/// <param name="Uncleaned">Files the tipster kept although the bot could not clean them.</param>
/// <param name="Dropped">Held files the tipster neither kept nor dropped: left out of the tip.</param>
internal sealed record SubmitResult(string Receipt, int TipId, int Uncleaned, int Dropped);

internal enum AddFileResult
{
    /// <summary>Cleaned and added.</summary>
    Added,

    /// <summary>A type no cleaner covers (or a document holding one): held until the tipster keeps or drops it.</summary>
    Held,
    TooBig,

    /// <summary>Telegram did not hand the file over.</summary>
    Unreadable,

    /// <summary>A damaged or hostile file the cleaner refused.</summary>
    Refused,

    /// <summary>A file past the cleaners' limits (too many boxes or entries, inflating too far, nested too deep).</summary>
    PastLimits,
}

/// <param name="Result">Whether the file joined the draft, or why not.</param>
/// <param name="Position">Where the part sits in the draft (what its buttons point to).</param>
/// <param name="Extension">The extension of its neutral name.</param>
internal readonly record struct AddedFile(AddFileResult Result, int Position = -1, string Extension = "");

internal enum BanStatus
{
    Banned,
    NoSuchTip,

    /// <summary>The tip's sender tag is erased (its epoch is over, or the sender used /forget): nobody can tell who sent it.</summary>
    Unrecognisable,

    /// <summary>A ban on the tip's tag was lifted.</summary>
    Unbanned,

    /// <summary>There was no ban on the tip's tag to lift.</summary>
    NotBanned,
}

/// <param name="Status">Whether the sender is banned now, or why not.</param>
/// <param name="Until">The day the ban lapses unless its sender writes again before it.</param>
internal readonly record struct BanOutcome(BanStatus Status, DateTime Until = default);

/// <summary>What moderators may know of a tip without opening it: its number, state, day and the kinds of its parts.</summary>
internal sealed record TipSummary(int Id, TipState State, DateTime SubmittedOn, int Texts, int Photos, int Documents)
{
    public static TipSummary Of(Tip tip) => new(
        tip.Id, tip.State, tip.SubmittedOn,
        tip.Parts.Count(p => p.Kind == TipPartKind.Text), tip.Parts.Count(p => p.Kind == TipPartKind.Photo), tip.Parts.Count(p => p.Kind == TipPartKind.Document));
}

internal sealed record OpenedFile(byte[] Content, string Name, bool AsPhoto, bool Cleaned);

/// <summary>A tip's contents, opened with the vault's key.</summary>
internal sealed record OpenedTip(TipSummary Summary, string Text, string? Redacted, IReadOnlyList<OpenedFile> Files);

internal enum DecideStatus
{
    Decided,
    NoSuchTip,
    AlreadyDecided,
}

/// <param name="Status">Decided now, or why not.</param>
/// <param name="Nudge">The chat of an opted-in tipster to tell that there is news (the route is erased as it is taken).</param>
internal readonly record struct Decision(DecideStatus Status, long? Nudge = null);

/// <summary>What /check shows: the state, the replies the receipt opens, and how many wait for the vault to be open.</summary>
internal sealed record CheckResult(TipState State, IReadOnlyList<(DateTime On, string Text)> Replies, int Waiting);

/// <summary>
/// The tip line's store and the only way into a tip's contents: drafts whose parts are sealed to the vault as they arrive (files
/// fetched from Telegram and cleaned first), tips made of those parts, replies sealed to the receipt's key, reply routes and bans.
/// Every value derived from a tipster's id is keyed with an erasable key (<see cref="TipKeys"/>), and every time is a day.
/// </summary>
internal sealed partial class TipService(
    ITelegramBotClient bot,
    DataSealer sealer,
    ErasableKeys erasable,
    VaultSealer vault,
    VaultKey vaultKey,
    TipKeys keys,
    ReaderReports reports,
    IOptions<TipsOptions> options,
    TipArrivals arrivals,
    TimeProvider time,
    ILogger<TipService> logger)
{
    public const string TextPurpose = "tip text";
    public const string FilePurpose = "tip file";
    public const string NamePurpose = "tip file name";
    public const string RedactedPurpose = "tip text for publication";
    public const string ReplyPurpose = "tip reply";

    private DateTime Today => time.GetUtcNow().UtcDateTime.Date;

    public async Task<TipDraft?> DraftAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        var draftKeys = await keys.DraftKeysAsync(userId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        return await db.TipDrafts.FirstOrDefaultAsync(d => draftKeys.Contains(d.DraftKey) && d.ExpiresAt > now, ct);
    }

    /// <summary>A new draft (any expired one of this user goes first, with its parts).</summary>
    public async Task StartDraftAsync(BotDbContext db, long userId, DraftState state, CancellationToken ct)
    {
        var draftKeys = await keys.DraftKeysAsync(userId, ct);
        await db.TipDrafts.Where(d => draftKeys.Contains(d.DraftKey)).ExecuteDeleteAsync(ct);
        db.TipDrafts.Add(new TipDraft
        {
            DraftKey = await keys.NewDraftKeyAsync(userId, ct),
            SealedState = await state.SealAsync(erasable, ct),
            ExpiresAt = time.GetUtcNow().UtcDateTime.AddMinutes(options.Value.DraftMinutes),
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Saves a draft's bookkeeping (and any parts added); its lifetime starts again.</summary>
    public async Task SaveDraftAsync(BotDbContext db, TipDraft draft, DraftState state, CancellationToken ct)
    {
        draft.SealedState = await state.SealAsync(erasable, ct);
        draft.ExpiresAt = time.GetUtcNow().UtcDateTime.AddMinutes(options.Value.DraftMinutes);
        await db.SaveChangesAsync(ct);
    }

    public Task<DraftState?> OpenDraftAsync(TipDraft draft, CancellationToken ct) => DraftState.OpenAsync(erasable, draft.SealedState, ct);

    /// <summary>A text part (a message's text or a file's caption), sealed to the vault at once (saved with the draft).</summary>
    public void AddText(BotDbContext db, TipDraft draft, DraftState state, int messageId, string text)
    {
        var position = state.Parts++;
        db.TipParts.Add(new TipPart
        {
            DraftKey = draft.DraftKey,
            Position = position,
            Kind = TipPartKind.Text,
            Cleaned = true,
            SealedContent = vault.Seal(Encoding.UTF8.GetBytes(text), TextPurpose),
        });
        state.TextLength += text.Length;
        state.Texts.Add(new DraftText(messageId, position, text.Length));
    }

    /// <summary>
    /// The tipster edited a message of the draft: its text part is sealed again with the new words, in place, so the tip holds
    /// what they meant to send and nothing of the first version. False when the message has no text part in this draft.
    /// </summary>
    public async Task<bool> ReplaceTextAsync(BotDbContext db, TipDraft draft, DraftState state, int messageId, string text, CancellationToken ct)
    {
        var index = state.Texts.FindIndex(t => t.MessageId == messageId);
        if (index < 0)
        {
            return false;
        }

        var old = state.Texts[index];
        var key = draft.DraftKey;
        var sealedText = vault.Seal(Encoding.UTF8.GetBytes(text), TextPurpose);
        await db.TipParts.Where(p => p.DraftKey == key && p.Position == old.Position)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.SealedContent, sealedText), ct);
        state.TextLength += text.Length - old.Length;
        state.Texts[index] = old with { Length = text.Length };
        return true;
    }

    /// <summary>
    /// A file part: fetched from Telegram now, cleaned by its content, and sealed to the vault. Its own name is not kept (see
    /// <see cref="KeepNameAsync"/>). A file no cleaner covers is held until the tipster keeps or drops it.
    /// </summary>
    public async Task<AddedFile> AddFileAsync(BotDbContext db, TipDraft draft, DraftState state, string fileId, bool isPhoto, CancellationToken ct)
    {
        var (content, tooBig) = await DownloadAsync(fileId, ct);
        if (tooBig)
        {
            return new AddedFile(AddFileResult.TooBig);
        }

        if (content is null)
        {
            return new AddedFile(AddFileResult.Unreadable);
        }

        // No log line for a refusal either: its time would date the upload.
        var cleaned = MediaCleaner.Clean(content);
        if (cleaned.Content is null)
        {
            return new AddedFile(cleaned.PastLimits ? AddFileResult.PastLimits : AddFileResult.Refused);
        }

        var position = state.Parts++;
        db.TipParts.Add(new TipPart
        {
            DraftKey = draft.DraftKey,
            Position = position,
            Kind = isPhoto ? TipPartKind.Photo : TipPartKind.Document,
            Media = cleaned.Kind,
            Cleaned = cleaned.Cleaned,
            Held = !cleaned.Cleaned,
            Extension = cleaned.Extension,
            SealedContent = vault.Seal(cleaned.Content, FilePurpose),
        });
        state.Files++;
        return new AddedFile(cleaned.Cleaned ? AddFileResult.Added : AddFileResult.Held, position, cleaned.Extension);
    }

    /// <summary>The tipster chose to keep a file's own name: it is sealed to the vault with the file. False when the part is gone.</summary>
    public async Task<bool> KeepNameAsync(BotDbContext db, long userId, FileOffer offer, string name, CancellationToken ct)
    {
        if (await PartAsync(db, userId, offer, ct) is not ({ } part, _, _))
        {
            return false;
        }

        part.SealedName = vault.Seal(Encoding.UTF8.GetBytes(name), NamePurpose);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>The tipster keeps a held file as it is, or drops it from the draft. False when it is no longer held.</summary>
    public async Task<bool> ReleaseAsync(BotDbContext db, long userId, FileOffer offer, bool keep, CancellationToken ct)
    {
        if (await PartAsync(db, userId, offer, ct) is not ({ Held: true } part, var draft, var state))
        {
            return false;
        }

        if (keep)
        {
            part.Held = false;
            await db.SaveChangesAsync(ct);
            return true;
        }

        db.TipParts.Remove(part);
        state.Files--; // a dropped file frees its place among the draft's files
        await SaveDraftAsync(db, draft, state, ct);
        return true;
    }

    /// <summary>A part of this user's own live draft, the one the offer was made in: a button pressed by anyone else, or left from another draft, finds nothing.</summary>
    private async Task<(TipPart Part, TipDraft Draft, DraftState State)?> PartAsync(BotDbContext db, long userId, FileOffer offer, CancellationToken ct)
    {
        if (await DraftAsync(db, userId, ct) is not { } draft || await OpenDraftAsync(draft, ct) is not { } state || state.Id != offer.DraftId)
        {
            return null;
        }

        var draftKey = draft.DraftKey;
        return await db.TipParts.FirstOrDefaultAsync(p => p.DraftKey == draftKey && p.Position == offer.Position, ct) is { } part ? (part, draft, state) : null;
    }

    /// <summary>The parts /send would store: every part but the held ones.</summary>
    public static Task<int> KeptPartsAsync(BotDbContext db, TipDraft draft, CancellationToken ct)
    {
        var draftKey = draft.DraftKey;
        return db.TipParts.CountAsync(p => p.DraftKey == draftKey && !p.Held, ct);
    }

    private async Task<(byte[]? Content, bool TooBig)> DownloadAsync(string fileId, CancellationToken ct)
    {
        try
        {
            var file = await bot.GetFile(fileId, ct);
            if (file.FileSize > options.Value.MaxFileBytes)
            {
                return (null, true);
            }

            if (file.FilePath is null)
            {
                return (null, false);
            }

            using var buffer = new MemoryStream();
            await bot.DownloadFile(file.FilePath, buffer, ct);
            return buffer.Length > options.Value.MaxFileBytes ? (null, true) : (buffer.ToArray(), false);
        }
        catch (Exception e) when (e is RequestException or HttpRequestException)
        {
            LogDownloadFailed(logger, e.GetType().Name);
            return (null, false);
        }
    }

    /// <summary>Tips this sender stored today (UTC), counted by the current epoch's sender tag.</summary>
    public async Task<int> SentTodayAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        var tag = (await keys.CurrentEpochAsync(ct)).Tag(TipKeys.SenderPurpose, userId);
        var today = Today;
        return await db.Tips.CountAsync(t => t.SenderTag == tag && t.SubmittedOn == today, ct);
    }

    /// <summary>The draft becomes a tip: its sealed parts change hands unopened, a receipt is made, the draft is gone.</summary>
    public async Task<SubmitResult> SubmitAsync(BotDbContext db, long userId, TipDraft draft, CancellationToken ct)
    {
        var epoch = await keys.CurrentEpochAsync(ct);
        var receipt = Receipt.New();
        var normalized = Receipt.Normalize(receipt)!;
        using var replyKey = SealedBox.ReceiptKey(normalized);
        var tip = new Tip
        {
            State = TipState.Waiting,
            SubmittedOn = Today,
            ReceiptHash = keys.ReceiptHash(normalized),
            ReplyKey = SealedBox.PublicKeyOf(replyKey),
            SenderTag = epoch.Tag(TipKeys.SenderPurpose, userId),
            SenderTagUntil = epoch.EndsOn,
        };
        var draftKey = draft.DraftKey;
        // The tip, its parts and the end of the draft commit together: a failure loses nothing, a retry stores nothing twice.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var dropped = await db.TipParts.Where(p => p.DraftKey == draftKey && p.Held).ExecuteDeleteAsync(ct);
        db.Tips.Add(tip);
        await db.SaveChangesAsync(ct);
        await db.TipParts.Where(p => p.DraftKey == draftKey).ExecuteUpdateAsync(s => s.SetProperty(p => p.TipId, tip.Id).SetProperty(p => p.DraftKey, (byte[]?)null), ct);
        await db.TipDrafts.Where(d => d.DraftKey == draftKey).ExecuteDeleteAsync(ct);
        await transaction.CommitAsync(ct);
        // No log line: its time would date the tip. Moderators hear of it in the next batch of notices.
        arrivals.Wake();
        var uncleaned = await db.TipParts.CountAsync(p => p.TipId == tip.Id && !p.Cleaned, ct);
        return new SubmitResult(receipt, tip.Id, uncleaned, dropped);
    }

    /// <summary>/check: the state, and the replies only this receipt opens. Null when no tip has this receipt.</summary>
    public async Task<CheckResult?> CheckAsync(BotDbContext db, string receipt, CancellationToken ct)
    {
        if (Receipt.Normalize(receipt) is not { } normalized)
        {
            return null;
        }

        var hash = keys.ReceiptHash(normalized);
        var tip = await db.Tips.Include(t => t.Replies).FirstOrDefaultAsync(t => t.ReceiptHash == hash, ct);
        if (tip is null)
        {
            return null;
        }

        using var receiptKey = SealedBox.ReceiptKey(normalized);
        tip.ReplyKey ??= SealedBox.PublicKeyOf(receiptKey);
        var replies = new List<(DateTime, string)>();
        var waiting = 0;
        foreach (var reply in tip.Replies.OrderBy(r => r.On).ThenBy(r => r.Id))
        {
            var text = reply.ToVault ? OpenFromVault(reply) : OpenReply(receiptKey, reply.SealedText);
            if (text is null)
            {
                waiting++;
                continue;
            }

            replies.Add((reply.On, text));
        }

        await db.SaveChangesAsync(ct);
        return new CheckResult(tip.State, replies, waiting);

        // A reply from before reply keys, sealed to the vault: shown while the vault is open, and sealed to the receipt for next time.
        string? OpenFromVault(TipReply reply)
        {
            if (!vaultKey.IsOpen || Open(reply.SealedText, ReplyPurpose) is not { } bytes)
            {
                return null;
            }

            reply.SealedText = SealedBox.Seal(tip.ReplyKey, bytes, ReplyPurpose);
            reply.ToVault = false;
            return Encoding.UTF8.GetString(bytes);
        }
    }

    private string? OpenReply(NSec.Cryptography.Key receiptKey, byte[] sealedText) =>
        Aead.Header(sealedText) is (1, _)
            ? Encoding.UTF8.GetString(sealer.Open(sealedText, ReplyPurpose)) // from before the vault, until `vault migrate`
            : SealedBox.Open(receiptKey, sealedText, ReplyPurpose) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>Opt-in: where to tell the tipster, once, that there is news; sealed under the epoch's key, for 14 days at most.</summary>
    /// <returns>The day the route is erased (early that day, UTC); null when the tip is already decided.</returns>
    public async Task<DateTime?> OptInAsync(BotDbContext db, int tipId, long chatId, CancellationToken ct)
    {
        var tip = await db.Tips.FirstAsync(t => t.Id == tipId, ct);
        if (tip.State != TipState.Waiting)
        {
            return null;
        }

        var epoch = await keys.CurrentEpochAsync(ct);
        var until = Today.AddDays(13); // erased early on that day: at most 14 days after the opt-in
        tip.SealedReplyRoute = epoch.SealInt64(chatId, TipKeys.RoutePurpose);
        tip.ReplyRouteUntil = epoch.ErasedOn < until ? epoch.ErasedOn : until;
        await db.SaveChangesAsync(ct);
        return tip.ReplyRouteUntil;
    }

    /// <summary>The chat to nudge about this tip, erased from the tip as it is taken: a route serves one nudge.</summary>
    private async Task<long?> TakeReplyRouteAsync(BotDbContext db, int tipId, CancellationToken ct)
    {
        var route = await db.Tips.Where(t => t.Id == tipId).Select(t => t.SealedReplyRoute).FirstOrDefaultAsync(ct);
        if (route is null)
        {
            return null;
        }

        await EraseRoutesAsync(db.Tips.Where(t => t.Id == tipId), ct);
        return await erasable.OpenInt64Async(route, TipKeys.RoutePurpose, ct);
    }

    /// <summary>The waiting tips, oldest first, as moderators may see them without opening any.</summary>
    public static async Task<IReadOnlyList<TipSummary>> WaitingAsync(BotDbContext db, int take, CancellationToken ct) =>
        [.. (await db.Tips.AsNoTracking().Include(t => t.Parts).Where(t => t.State == TipState.Waiting).OrderBy(t => t.Id).Take(take).ToListAsync(ct)).Select(TipSummary.Of)];

    /// <summary>The ids of the waiting tips, as a query other slices can join their own rows to.</summary>
    public static IQueryable<int> WaitingIds(BotDbContext db) => db.Tips.Where(t => t.State == TipState.Waiting).Select(t => t.Id);

    public static async Task<TipSummary?> SummaryAsync(BotDbContext db, int tipId, CancellationToken ct) =>
        await db.Tips.AsNoTracking().Include(t => t.Parts).FirstOrDefaultAsync(t => t.Id == tipId, ct) is { } tip ? TipSummary.Of(tip) : null;

    /// <summary>A tip's contents, opened with the vault's key; null when there is no such tip.</summary>
    /// <exception cref="VaultLockedException">The vault is locked.</exception>
    public async Task<OpenedTip?> OpenAsync(BotDbContext db, int tipId, CancellationToken ct)
    {
        if (!vaultKey.IsOpen)
        {
            throw new VaultLockedException();
        }

        var tip = await db.Tips.AsNoTracking().Include(t => t.Parts.OrderBy(p => p.Position)).FirstOrDefaultAsync(t => t.Id == tipId, ct);
        if (tip is null)
        {
            return null;
        }

        var texts = tip.Parts.Where(p => p.Kind == TipPartKind.Text).Select(p => OpenText(p.SealedContent, TextPurpose)).ToList();
        var files = new List<OpenedFile>();
        foreach (var (part, n) in tip.Parts.Where(p => p.Kind != TipPartKind.Text).Select((p, i) => (p, i + 1)))
        {
            var content = Open(part.SealedContent, FilePurpose) ?? [];
            // A neutral name, by the file's content, unless the tipster chose to keep its own.
            var name = part.SealedName is { } sealedName ? OpenText(sealedName, NamePurpose)
                : $"tip-{tip.Id}-{(part.Kind == TipPartKind.Photo ? "photo" : "file")}-{n}{part.Extension ?? MediaCleaner.ExtensionOf(part.Media)}";
            files.Add(new OpenedFile(content, name, part.Kind == TipPartKind.Photo && part.Media == MediaKind.Jpeg, part.Cleaned));
        }

        var redacted = tip.SealedRedacted is { } r ? OpenText(r, RedactedPurpose) : null;
        return new OpenedTip(TipSummary.Of(tip), string.Join("\n\n", texts), redacted, files);
    }

    /// <summary>Opens a value sealed to the vault, or under the DataKey by an older version (until `vault migrate`).</summary>
    private byte[]? Open(byte[] sealedValue, string purpose) =>
        Aead.Header(sealedValue) is (1, _) ? sealer.Open(sealedValue, LegacyPurpose(purpose)) : vaultKey.Open(sealedValue, purpose);

    private string OpenText(byte[] sealedValue, string purpose) => Open(sealedValue, purpose) is { } bytes ? Encoding.UTF8.GetString(bytes) : "";

    /// <summary>Older versions sealed the text for publication under the tip text's purpose.</summary>
    internal static string LegacyPurpose(string purpose) => purpose == RedactedPurpose ? TextPurpose : purpose;

    /// <summary>
    /// Decides a tip in the caller's transaction: the state, an optional note to the tipster (a reply), the route to nudge, and an
    /// approved tip's text for publication offered as a reader report (at the next /unlock if the vault is locked).
    /// </summary>
    public async Task<Decision> DecideAsync(BotDbContext db, int tipId, TipState decision, string? note, CancellationToken ct)
    {
        var today = Today;
        // One statement decides, so two moderators pressing at once cannot both win.
        var won = await db.Tips.Where(t => t.Id == tipId && t.State == TipState.Waiting)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.State, decision).SetProperty(t => t.DecidedOn, today), ct);
        if (won == 0)
        {
            return new Decision(await db.Tips.AnyAsync(t => t.Id == tipId, ct) ? DecideStatus.AlreadyDecided : DecideStatus.NoSuchTip);
        }

        var tip = await db.Tips.FirstAsync(t => t.Id == tipId, ct);
        if (!string.IsNullOrWhiteSpace(note))
        {
            AddReply(db, tip, note);
        }

        if (decision == TipState.Approved && tip.SealedRedacted is { } redacted)
        {
            if (vaultKey.IsOpen && Open(redacted, RedactedPurpose) is { } text)
            {
                await reports.OfferAsync(db, tip.Id, Encoding.UTF8.GetString(text), ct);
            }
            else
            {
                tip.ReportPending = true;
            }
        }

        await db.SaveChangesAsync(ct);
        return new Decision(DecideStatus.Decided, await TakeReplyRouteAsync(db, tipId, ct));
    }

    /// <summary>
    /// Undo of a rejection: the tip waits again, unless it was decided otherwise since (one statement, as for the decision).
    /// Replies and the nudge that the rejection caused are not taken back: the tipster may already have read them.
    /// </summary>
    public static async Task<bool> ReopenAsync(BotDbContext db, int tipId, CancellationToken ct) =>
        await db.Tips.Where(t => t.Id == tipId && t.State == TipState.Rejected)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.State, TipState.Waiting).SetProperty(t => t.DecidedOn, (DateTime?)null), ct) > 0;

    /// <summary>An anonymous reply, sealed to the receipt's key; the route to nudge, if the tipster asked. Null: no such tip.</summary>
    public async Task<Decision> ReplyAsync(BotDbContext db, int tipId, string text, CancellationToken ct)
    {
        var tip = await db.Tips.FirstOrDefaultAsync(t => t.Id == tipId, ct);
        if (tip is null)
        {
            return new Decision(DecideStatus.NoSuchTip);
        }

        AddReply(db, tip, text);
        await db.SaveChangesAsync(ct);
        return new Decision(DecideStatus.Decided, await TakeReplyRouteAsync(db, tipId, ct));
    }

    private void AddReply(BotDbContext db, Tip tip, string text) => db.TipReplies.Add(tip.ReplyKey is { } replyKey
        ? new TipReply { TipId = tip.Id, On = Today, SealedText = SealedBox.Seal(replyKey, Encoding.UTF8.GetBytes(text), ReplyPurpose) }
        : new TipReply { TipId = tip.Id, On = Today, SealedText = vault.Seal(Encoding.UTF8.GetBytes(text), ReplyPurpose), ToVault = true });

    /// <summary>The text that may be published; sealed to the vault, and a reader report at once if the tip is approved.</summary>
    /// <returns>false when there is no such tip.</returns>
    public async Task<bool> RedactAsync(BotDbContext db, int tipId, string text, CancellationToken ct)
    {
        var tip = await db.Tips.FirstOrDefaultAsync(t => t.Id == tipId, ct);
        if (tip is null)
        {
            return false;
        }

        tip.SealedRedacted = vault.Seal(Encoding.UTF8.GetBytes(text), RedactedPurpose);
        if (tip.State == TipState.Approved)
        {
            await reports.OfferAsync(db, tip.Id, text, ct);
            tip.ReportPending = false;
        }

        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Reader reports approved while the vault was locked, offered now that it is open.</summary>
    public async Task<int> OfferPendingReportsAsync(BotDbContext db, CancellationToken ct)
    {
        var pending = await db.Tips.Where(t => t.ReportPending && t.SealedRedacted != null).ToListAsync(ct);
        foreach (var tip in pending)
        {
            if (Open(tip.SealedRedacted!, RedactedPurpose) is { } text)
            {
                await reports.OfferAsync(db, tip.Id, Encoding.UTF8.GetString(text), ct);
            }

            tip.ReportPending = false;
        }

        await db.SaveChangesAsync(ct);
        return pending.Count;
    }

    /// <summary>/ban N: the sender of tip N may send no more tips while the tag's key lives, longer if they try again.</summary>
    /// <param name="db">The database.</param>
    /// <param name="tipId">The tip whose sender is banned.</param>
    /// <param name="preview">Only say what a ban would be (until when), for the confirmation; nothing is written.</param>
    /// <param name="ct">Cancels.</param>
    public async Task<BanOutcome> BanSenderOfAsync(BotDbContext db, int tipId, bool preview, CancellationToken ct)
    {
        var tip = await db.Tips.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tipId, ct);
        if (tip is null)
        {
            return new BanOutcome(BanStatus.NoSuchTip);
        }

        var key = tip.SenderTag is null ? null : (await keys.LiveEpochsAsync(ct)).FirstOrDefault(k => k.EndsOn == tip.SenderTagUntil);
        if (key is null)
        {
            return new BanOutcome(BanStatus.Unrecognisable);
        }

        var existing = await db.TipBans.FirstOrDefaultAsync(b => b.SenderTag == tip.SenderTag, ct);
        if (existing is null && !preview)
        {
            db.TipBans.Add(new TipBan { SenderTag = tip.SenderTag!, Until = key.ErasedOn });
            await db.SaveChangesAsync(ct);
        }

        return new BanOutcome(BanStatus.Banned, existing?.Until ?? key.ErasedOn);
    }

    /// <summary>
    /// Whether this sender is banned. A ban recognised only under the previous epoch's key is carried into the current epoch,
    /// so a banned sender who keeps trying stays banned; one who stays silent for a whole epoch is forgotten with the key.
    /// </summary>
    /// <returns>The day the ban lapses (00:00 UTC) unless they keep trying, or null when they are not banned.</returns>
    public async Task<DateTime?> BannedUntilAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        var live = await keys.LiveEpochsAsync(ct);
        var tags = live.Select(k => k.Tag(TipKeys.SenderPurpose, userId)).ToList();
        var today = Today;
        var bans = await db.TipBans.Where(b => tags.Contains(b.SenderTag) && b.Until > today).ToListAsync(ct);
        if (bans.Count == 0)
        {
            return null;
        }

        if (bans.FirstOrDefault(b => b.SenderTag.AsSpan().SequenceEqual(tags[0])) is { } current)
        {
            return current.Until;
        }

        db.TipBans.RemoveRange(bans);
        db.TipBans.Add(new TipBan { SenderTag = tags[0], Until = live[0].ErasedOn });
        await db.SaveChangesAsync(ct);
        return live[0].ErasedOn;
    }

    /// <summary>
    /// /unban N, or the undo of /ban N: lifts the ban on the tag of tip N. A ban already carried into a new epoch is under a tag
    /// that nothing ties to tip N any more (that is the point of the epochs), so it lapses on its day.
    /// </summary>
    public static async Task<BanStatus> UnbanSenderOfAsync(BotDbContext db, int tipId, CancellationToken ct)
    {
        var tip = await db.Tips.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tipId, ct);
        if (tip is null)
        {
            return BanStatus.NoSuchTip;
        }

        if (tip.SenderTag is null)
        {
            return BanStatus.Unrecognisable;
        }

        return await db.TipBans.Where(b => b.SenderTag == tip.SenderTag).ExecuteDeleteAsync(ct) > 0 ? BanStatus.Unbanned : BanStatus.NotBanned;
    }

    /// <summary>/forget: the reader's draft (with its parts), every reply route to their chat, and the sender tags of their tips.</summary>
    /// <remarks>A ban stays: it names no tip, and /forget must not lift it. It lapses with its key.</remarks>
    public async Task ForgetAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        var draftKeys = await keys.DraftKeysAsync(userId, ct);
        await db.TipDrafts.Where(d => draftKeys.Contains(d.DraftKey)).ExecuteDeleteAsync(ct);

        // Routes are few (opt-in, two weeks at most) and keyed by nothing: each is opened to see whether it is this chat's.
        // In a private chat the chat id is the user's id.
        var routes = await db.Tips.AsNoTracking().Where(t => t.SealedReplyRoute != null).Select(t => new { t.Id, t.SealedReplyRoute }).ToListAsync(ct);
        var mine = new List<int>();
        foreach (var route in routes)
        {
            if (await erasable.OpenInt64Async(route.SealedReplyRoute!, TipKeys.RoutePurpose, ct) == userId)
            {
                mine.Add(route.Id);
            }
        }

        await EraseRoutesAsync(db.Tips.Where(t => mine.Contains(t.Id)), ct);
        var tags = (await keys.LiveEpochsAsync(ct)).Select(k => k.Tag(TipKeys.SenderPurpose, userId)).ToList();
        await db.Tips.Where(t => t.SenderTag != null && tags.Contains(t.SenderTag))
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.SenderTag, (byte[]?)null).SetProperty(t => t.SenderTagUntil, (DateTime?)null), ct);
    }

    internal static Task<int> EraseRoutesAsync(IQueryable<Tip> tips, CancellationToken ct) =>
        tips.ExecuteUpdateAsync(s => s.SetProperty(t => t.SealedReplyRoute, (byte[]?)null).SetProperty(t => t.ReplyRouteUntil, (DateTime?)null), ct);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "A file could not be fetched from Telegram ({ExceptionType})")]
    private static partial void LogDownloadFailed(ILogger logger, string exceptionType);
}

/// <summary>
/// The tip line's part of the purge: drafts past their time (their messages were deleted by <see cref="DraftJanitor"/>; their
/// parts go with them), reply routes past their day or of decided tips, sender tags of past epochs, lapsed bans, and decided
/// tips after <c>Tips:RetentionDays</c> with their parts and replies.
/// </summary>
internal sealed class TipRetention(IOptions<TipsOptions> options, TimeProvider time) : IRetentionStep
{
    public IEnumerable<ResidueTable> Tables =>
        [new("tips", ResidueMode.Rewrite), new("tip_drafts", ResidueMode.Rewrite), new("tip_bans", ResidueMode.Rewrite), new("tip_replies", ResidueMode.Rewrite)];

    public async Task<IReadOnlyList<Erased>> RunAsync(BotDbContext db, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = now.Date;
        var cutoff = today.AddDays(-options.Value.RetentionDays);
        var drafts = await db.TipDrafts.Where(d => d.ExpiresAt <= now.AddMinutes(-10)).ExecuteDeleteAsync(ct);
        var orphans = await db.TipParts.Where(p => p.TipId == null && !db.TipDrafts.Any(d => d.DraftKey == p.DraftKey)).ExecuteDeleteAsync(ct);
        var routes = await TipService.EraseRoutesAsync(db.Tips.Where(t => t.SealedReplyRoute != null && (t.ReplyRouteUntil <= today || t.State != TipState.Waiting)), ct);
        var tags = await db.Tips.Where(t => t.SenderTag != null && t.SenderTagUntil <= today)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.SenderTag, (byte[]?)null).SetProperty(t => t.SenderTagUntil, (DateTime?)null), ct);
        var bans = await db.TipBans.Where(b => b.Until <= today).ExecuteDeleteAsync(ct);
        // Decided on day D, erased early on day D + RetentionDays: never more than RetentionDays after the decision.
        var decided = await db.Tips.Where(t => t.State != TipState.Waiting && t.DecidedOn <= cutoff).Select(t => t.Id).ToListAsync(ct);
        var parts = await db.TipParts.Where(p => p.TipId != null && decided.Contains(p.TipId.Value)).ExecuteDeleteAsync(ct);
        await db.TipReplies.Where(r => decided.Contains(r.TipId)).ExecuteDeleteAsync(ct);
        var tips = await db.Tips.Where(t => decided.Contains(t.Id)).ExecuteDeleteAsync(ct);
        return
        [
            new("expired drafts", drafts, "tip_drafts"),
            new("parts of expired drafts", orphans, "tip_parts"),
            new("reply routes", routes, "tips"),
            new("sender tags of past epochs", tags, "tips"),
            new("lapsed bans", bans, "tip_bans"),
            new("decided tips", tips, "tips"),
            new("parts of decided tips", parts, "tip_parts"),
        ];
    }
}

/// <summary>
/// Drafts left alone expire on time: their messages are deleted from the chat (the chat id is sealed in the draft under the
/// day's key), then the draft, its parts and its conversation state.
/// </summary>
internal sealed class DraftJanitor(
    IServiceScopeFactory scopes, Leadership leadership, MessageJanitor janitor, ErasableKeys keys, TimeProvider time, ILogger<DraftJanitor> logger)
    : Hosting.PeriodicJob(scopes, leadership, time, logger)
{
    protected override TimeSpan Period => TimeSpan.FromSeconds(30);

    protected override async Task RunAsync(BotDbContext db, CancellationToken ct)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        foreach (var draft in await db.TipDrafts.Where(d => d.ExpiresAt <= now).ToListAsync(ct))
        {
            if (await DraftState.OpenAsync(keys, draft.SealedState, ct) is { ChatId: not 0 } state)
            {
                await janitor.DeleteNowAsync(state.ChatId, state.MessageIds, state.Language, ct);
                await ConversationStore.ClearAsync(db, keys, state.ChatId, ct);
            }

            var key = draft.DraftKey;
            await db.TipParts.Where(p => p.DraftKey == key).ExecuteDeleteAsync(ct);
            db.TipDrafts.Remove(draft);
            await db.SaveChangesAsync(ct);
        }
    }
}
