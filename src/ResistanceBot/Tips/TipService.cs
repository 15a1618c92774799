using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Delivery;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace ResistanceBot.Tips;

/// <summary>Wakes whoever announces new tips to moderators (in batches, at random moments).</summary>
internal sealed class TipArrivals : Hosting.Signal;

internal sealed record SubmitResult(string? Receipt, int TipId, IReadOnlyList<string> Skipped, int Uncleaned);

internal enum BanStatus
{
    Banned,
    NoSuchTip,

    /// <summary>The tip's sender tag is erased (its epoch is over, or the sender used /forget): nobody can tell who sent it.</summary>
    Unrecognisable,
}

/// <param name="Status">Whether the sender is banned now, or why not.</param>
/// <param name="Until">The day the ban lapses unless its sender writes again before it.</param>
internal readonly record struct BanOutcome(BanStatus Status, DateTime Until = default);

/// <summary>
/// The tip line's store: drafts, tips (files fetched from Telegram, cleaned, sealed; a receipt made), reply routes and bans.
/// Every value derived from a tipster's id is keyed with an erasable key (<see cref="TipKeys"/>), and every time is a day.
/// </summary>
internal sealed partial class TipService(
    ITelegramBotClient bot,
    DataSealer sealer,
    ErasableKeys erasable,
    TipKeys keys,
    IOptions<TipsOptions> options,
    TipArrivals arrivals,
    TimeProvider time,
    ILogger<TipService> logger)
{
    public const string TextPurpose = "tip text";
    public const string FilePurpose = "tip file";
    public const string NamePurpose = "tip file name";
    public const string ReplyPurpose = "tip reply";

    private DateTime Today => time.GetUtcNow().UtcDateTime.Date;

    public async Task<TipDraft?> DraftAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        var draftKeys = await keys.DraftKeysAsync(userId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        return await db.TipDrafts.FirstOrDefaultAsync(d => draftKeys.Contains(d.DraftKey) && d.ExpiresAt > now, ct);
    }

    /// <summary>A new draft (any expired one of this user goes first).</summary>
    public async Task StartDraftAsync(BotDbContext db, long userId, DraftContent content, CancellationToken ct)
    {
        var draftKeys = await keys.DraftKeysAsync(userId, ct);
        await db.TipDrafts.Where(d => draftKeys.Contains(d.DraftKey)).ExecuteDeleteAsync(ct);
        db.TipDrafts.Add(new TipDraft
        {
            DraftKey = await keys.NewDraftKeyAsync(userId, ct),
            SealedParts = await content.SealAsync(erasable, ct),
            ExpiresAt = time.GetUtcNow().UtcDateTime.AddMinutes(options.Value.DraftMinutes),
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Saves a draft's new contents; its lifetime starts again.</summary>
    public async Task SaveDraftAsync(BotDbContext db, TipDraft draft, DraftContent content, CancellationToken ct)
    {
        draft.SealedParts = await content.SealAsync(erasable, ct);
        draft.ExpiresAt = time.GetUtcNow().UtcDateTime.AddMinutes(options.Value.DraftMinutes);
        await db.SaveChangesAsync(ct);
    }

    public Task<DraftContent?> OpenDraftAsync(TipDraft draft, CancellationToken ct) => DraftContent.OpenAsync(erasable, draft.SealedParts, ct);

    /// <summary>Tips this sender stored today (UTC), counted by the current epoch's sender tag.</summary>
    public async Task<int> SentTodayAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        var tag = (await keys.CurrentEpochAsync(ct)).Tag(TipKeys.SenderPurpose, userId);
        var today = Today;
        return await db.Tips.CountAsync(t => t.SenderTag == tag && t.SubmittedOn == today, ct);
    }

    public async Task<SubmitResult> SubmitAsync(BotDbContext db, long userId, DraftContent draft, CancellationToken ct)
    {
        var text = string.Join("\n\n", draft.Parts.Where(p => p.Text is not null).Select(p => p.Text));
        var skipped = new List<string>();
        var files = new List<TipFile>();
        foreach (var part in draft.Parts.Where(p => p.FileId is not null))
        {
            var name = part.FileName ?? (part.IsPhoto ? "photo" : "file");
            var content = await DownloadAsync(part.FileId!, ct);
            if (content is null)
            {
                skipped.Add(name);
                continue;
            }

            var cleaned = MediaCleaner.Clean(content);
            if (cleaned.Content is null)
            {
                skipped.Add(name); // damaged: refused, never stored
                continue;
            }

            files.Add(new TipFile
            {
                Position = files.Count,
                Kind = cleaned.Kind,
                Cleaned = cleaned.Cleaned,
                IsPhoto = part.IsPhoto,
                SealedName = part.FileName is null ? null : sealer.Seal(System.Text.Encoding.UTF8.GetBytes(part.FileName), NamePurpose),
                SealedContent = sealer.Seal(cleaned.Content, FilePurpose),
            });
        }

        if (text.Length == 0 && files.Count == 0)
        {
            return new SubmitResult(null, 0, skipped, 0);
        }

        var epoch = await keys.CurrentEpochAsync(ct);
        var receipt = Receipt.New();
        var tip = new Tip
        {
            State = TipState.Waiting,
            SubmittedOn = Today,
            ReceiptHash = keys.ReceiptHash(Receipt.Normalize(receipt)!),
            SenderTag = epoch.Tag(TipKeys.SenderPurpose, userId),
            SenderTagUntil = epoch.EndsOn,
            SealedText = sealer.Seal(System.Text.Encoding.UTF8.GetBytes(text), TextPurpose),
            Files = files,
        };
        var draftKeys = await keys.DraftKeysAsync(userId, ct);
        // The tip and the end of its draft commit together: a failure loses neither, a retry does not store it twice.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        db.Tips.Add(tip);
        await db.SaveChangesAsync(ct);
        await db.TipDrafts.Where(d => draftKeys.Contains(d.DraftKey)).ExecuteDeleteAsync(ct);
        await transaction.CommitAsync(ct);
        // No log line: its time would date the tip. Moderators hear of it in the next batch of notices.
        arrivals.Wake();
        return new SubmitResult(receipt, tip.Id, skipped, files.Count(f => !f.Cleaned));
    }

    private async Task<byte[]?> DownloadAsync(string fileId, CancellationToken ct)
    {
        try
        {
            var file = await bot.GetFile(fileId, ct);
            if (file.FilePath is null || file.FileSize > options.Value.MaxFileBytes)
            {
                return null;
            }

            using var buffer = new MemoryStream();
            await bot.DownloadFile(file.FilePath, buffer, ct);
            return buffer.Length > options.Value.MaxFileBytes ? null : buffer.ToArray();
        }
        catch (Exception e) when (e is RequestException or HttpRequestException)
        {
            LogDownloadFailed(logger, e.GetType().Name);
            return null;
        }
    }

    public async Task<Tip?> FindByReceiptAsync(BotDbContext db, string receipt, CancellationToken ct)
    {
        var normalized = Receipt.Normalize(receipt);
        if (normalized is null)
        {
            return null;
        }

        var hash = keys.ReceiptHash(normalized);
        return await db.Tips.Include(t => t.Replies.OrderBy(r => r.On).ThenBy(r => r.Id)).FirstOrDefaultAsync(t => t.ReceiptHash == hash, ct);
    }

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
    public async Task<long?> TakeReplyRouteAsync(BotDbContext db, int tipId, CancellationToken ct)
    {
        var route = await db.Tips.Where(t => t.Id == tipId).Select(t => t.SealedReplyRoute).FirstOrDefaultAsync(ct);
        if (route is null)
        {
            return null;
        }

        await EraseRoutesAsync(db.Tips.Where(t => t.Id == tipId), ct);
        return await erasable.OpenInt64Async(route, TipKeys.RoutePurpose, ct);
    }

    /// <summary>/ban N: the sender of tip N may send no more tips while the tag's key lives, longer if they try again.</summary>
    public async Task<BanOutcome> BanSenderOfAsync(BotDbContext db, int tipId, CancellationToken ct)
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
        if (existing is null)
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
    public async Task<bool> IsBannedAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        var live = await keys.LiveEpochsAsync(ct);
        var tags = live.Select(k => k.Tag(TipKeys.SenderPurpose, userId)).ToList();
        var today = Today;
        var bans = await db.TipBans.Where(b => tags.Contains(b.SenderTag) && b.Until > today).ToListAsync(ct);
        if (bans.Count == 0)
        {
            return false;
        }

        if (!bans.Any(b => b.SenderTag.AsSpan().SequenceEqual(tags[0])))
        {
            db.TipBans.RemoveRange(bans);
            db.TipBans.Add(new TipBan { SenderTag = tags[0], Until = live[0].ErasedOn });
            await db.SaveChangesAsync(ct);
        }

        return true;
    }

    /// <summary>/forget: the reader's draft, every reply route to their chat, and the sender tags of their tips.</summary>
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
/// The tip line's part of the purge: drafts past their time (their messages were deleted by <see cref="DraftJanitor"/>), reply
/// routes past their day or of decided tips, sender tags of past epochs, lapsed bans, and decided tips after
/// <c>Tips:RetentionDays</c> with their files and replies.
/// </summary>
internal sealed class TipRetention(IOptions<TipsOptions> options, TimeProvider time) : IRetentionStep
{
    public IEnumerable<ResidueTable> Tables => [new("tips", ResidueMode.Rewrite), new("tip_drafts", ResidueMode.Rewrite), new("tip_bans", ResidueMode.Rewrite), new("tip_replies", ResidueMode.Rewrite)];

    public async Task<IReadOnlyList<Erased>> RunAsync(BotDbContext db, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = now.Date;
        var cutoff = today.AddDays(-options.Value.RetentionDays);
        var drafts = await db.TipDrafts.Where(d => d.ExpiresAt <= now.AddMinutes(-10)).ExecuteDeleteAsync(ct);
        var routes = await TipService.EraseRoutesAsync(db.Tips.Where(t => t.SealedReplyRoute != null && (t.ReplyRouteUntil <= today || t.State != TipState.Waiting)), ct);
        var tags = await db.Tips.Where(t => t.SenderTag != null && t.SenderTagUntil <= today)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.SenderTag, (byte[]?)null).SetProperty(t => t.SenderTagUntil, (DateTime?)null), ct);
        var bans = await db.TipBans.Where(b => b.Until <= today).ExecuteDeleteAsync(ct);
        // Decided on day D, erased early on day D + RetentionDays: never more than RetentionDays after the decision.
        var decided = await db.Tips.Where(t => t.State != TipState.Waiting && t.DecidedOn <= cutoff).Select(t => t.Id).ToListAsync(ct);
        var files = await db.TipFiles.Where(f => decided.Contains(f.TipId)).ExecuteDeleteAsync(ct);
        await db.TipReplies.Where(r => decided.Contains(r.TipId)).ExecuteDeleteAsync(ct);
        var tips = await db.Tips.Where(t => decided.Contains(t.Id)).ExecuteDeleteAsync(ct);
        return
        [
            new("expired drafts", drafts, "tip_drafts"),
            new("reply routes", routes, "tips"),
            new("sender tags of past epochs", tags, "tips"),
            new("lapsed bans", bans, "tip_bans"),
            new("decided tips", tips, "tips"),
            new("files of decided tips", files, "tip_files"),
        ];
    }
}

/// <summary>
/// Drafts left alone expire on time: their messages are deleted from the chat (the chat id is sealed in the draft under the
/// day's key), then the draft and its conversation state.
/// </summary>
internal sealed class DraftJanitor(
    IServiceScopeFactory scopes, Leadership leadership, BotSender sender, ErasableKeys keys, TimeProvider time, ILogger<DraftJanitor> logger)
    : Hosting.PeriodicJob(scopes, leadership, time, logger)
{
    protected override TimeSpan Period => TimeSpan.FromSeconds(30);

    protected override async Task RunAsync(BotDbContext db, CancellationToken ct)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        foreach (var draft in await db.TipDrafts.Where(d => d.ExpiresAt <= now).ToListAsync(ct))
        {
            if (await DraftContent.OpenAsync(keys, draft.SealedParts, ct) is { ChatId: not 0 } content)
            {
                await sender.DeleteAsync(content.ChatId, content.MessageIds, ct);
                await ConversationStore.ClearAsync(db, keys, content.ChatId, ct);
            }

            db.TipDrafts.Remove(draft);
            await db.SaveChangesAsync(ct);
        }
    }
}
