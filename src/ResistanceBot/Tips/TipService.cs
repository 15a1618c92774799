using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Delivery;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace ResistanceBot.Tips;

/// <summary>Told of each new tip inside the transaction that stores it (moderation posts its notices through the outbox).</summary>
internal interface ITipSubmitted
{
    Task OnSubmittedAsync(BotDbContext db, Tip tip, CancellationToken ct);
}

internal sealed record SubmitResult(string? Receipt, int TipId, IReadOnlyList<string> Skipped, int Uncleaned);

/// <summary>Turns a draft into a stored tip: files fetched from Telegram, cleaned, everything sealed; a receipt made.</summary>
internal sealed partial class TipService(
    ITelegramBotClient bot,
    DataSealer sealer,
    TipKeys keys,
    IOptions<TipsOptions> options,
    IEnumerable<ITipSubmitted> listeners,
    OutboxSignal signal,
    TimeProvider time,
    ILogger<TipService> logger)
{
    public const string TextPurpose = "tip text";
    public const string FilePurpose = "tip file";
    public const string NamePurpose = "tip file name";
    public const string RoutePurpose = "tip reply route";
    public const string ReplyPurpose = "tip reply";

    public async Task<TipDraft?> DraftAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        var key = keys.DraftKey(userId);
        var now = time.GetUtcNow().UtcDateTime;
        return await db.TipDrafts.FirstOrDefaultAsync(d => d.DraftKey == key && d.ExpiresAt > now, ct);
    }

    public async Task<int> SentTodayAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        var tag = keys.SenderTag(userId);
        var since = time.GetUtcNow().UtcDateTime.AddHours(-24);
        return await db.Tips.CountAsync(t => t.SenderTag == tag && t.SubmittedHour >= since, ct);
    }

    public async Task<SubmitResult> SubmitAsync(BotDbContext db, long userId, DraftContent draft, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
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
                Size = cleaned.Content.Length,
            });
        }

        if (text.Length == 0 && files.Count == 0)
        {
            return new SubmitResult(null, 0, skipped, 0);
        }

        var receipt = Receipt.New();
        var tip = new Tip
        {
            State = TipState.Waiting,
            SubmittedHour = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc),
            ReceiptHash = keys.ReceiptHash(Receipt.Normalize(receipt)!),
            SenderTag = keys.SenderTag(userId),
            SealedText = sealer.Seal(System.Text.Encoding.UTF8.GetBytes(text), TextPurpose),
            Files = files,
        };
        // The tip and the end of its draft commit together: a failure loses neither, a retry does not store it twice.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        db.Tips.Add(tip);
        await db.SaveChangesAsync(ct);
        await db.TipDrafts.Where(d => d.DraftKey == keys.DraftKey(userId)).ExecuteDeleteAsync(ct);
        foreach (var listener in listeners)
        {
            await listener.OnSubmittedAsync(db, tip, ct);
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        signal.Wake();
        var uncleaned = files.Count(f => !f.Cleaned);
        LogStored(logger, tip.Id, files.Count, uncleaned);
        return new SubmitResult(receipt, tip.Id, skipped, uncleaned);
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
        return await db.Tips.Include(t => t.Replies.OrderBy(r => r.At)).FirstOrDefaultAsync(t => t.ReceiptHash == hash, ct);
    }

    /// <summary>Opt-in: remembers where to notify the tipster of replies, sealed, for at most 14 days.</summary>
    public async Task OptInAsync(BotDbContext db, int tipId, long userId, long chatId, CancellationToken ct)
    {
        var tip = await db.Tips.FirstAsync(t => t.Id == tipId, ct);
        if (tip.State != TipState.Waiting)
        {
            return;
        }

        tip.SealedReplyRoute = sealer.SealInt64(chatId, RoutePurpose);
        tip.ReplyRouteOwner = keys.RouteOwner(userId);
        tip.ReplyRouteExpiresAt = time.GetUtcNow().UtcDateTime.AddDays(14);
        await db.SaveChangesAsync(ct);
    }

    public Task<(int Drafts, int Routes, int Tips)> PurgeAsync(BotDbContext db, CancellationToken ct) =>
        PurgeAsync(db, options.Value, time, logger, ct);

    /// <summary>Retention: drafts past their time, reply routes past 14 days or decided, decided tips past Tips:RetentionDays.</summary>
    public static async Task<(int Drafts, int Routes, int Tips)> PurgeAsync(BotDbContext db, TipsOptions options, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var cutoff = now.AddDays(-options.RetentionDays);
        var drafts = await db.TipDrafts.Where(d => d.ExpiresAt <= now).ExecuteDeleteAsync(ct);
        var routes = await EraseRoutesAsync(db.Tips.Where(t => t.SealedReplyRoute != null && (t.ReplyRouteExpiresAt <= now || t.State != TipState.Waiting)), ct);
        var decided = await db.Tips.Where(t => t.State != TipState.Waiting && t.DecidedAt < cutoff).Select(t => t.Id).ToListAsync(ct);
        await db.TipFiles.Where(f => decided.Contains(f.TipId)).ExecuteDeleteAsync(ct);
        await db.TipReplies.Where(r => decided.Contains(r.TipId)).ExecuteDeleteAsync(ct);
        var tips = await db.Tips.Where(t => decided.Contains(t.Id)).ExecuteDeleteAsync(ct);
        LogPurged(logger, drafts, routes, tips);
        return (drafts, routes, tips);
    }

    /// <summary>/forget: the reader's draft and every reply route of theirs.</summary>
    public async Task ForgetAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        var draft = keys.DraftKey(userId);
        var owner = keys.RouteOwner(userId);
        await db.TipDrafts.Where(d => d.DraftKey == draft).ExecuteDeleteAsync(ct);
        await EraseRoutesAsync(db.Tips.Where(t => t.ReplyRouteOwner == owner), ct);
    }

    private static Task<int> EraseRoutesAsync(IQueryable<Tip> tips, CancellationToken ct) =>
        tips.ExecuteUpdateAsync(s => s.SetProperty(t => t.SealedReplyRoute, (byte[]?)null).SetProperty(t => t.ReplyRouteOwner, (byte[]?)null).SetProperty(t => t.ReplyRouteExpiresAt, (DateTime?)null), ct);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Tip {TipId} stored with {Files} files ({Uncleaned} of types that cannot be cleaned)")]
    private static partial void LogStored(ILogger logger, int tipId, int files, int uncleaned);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "A tip file could not be fetched from Telegram ({ExceptionType})")]
    private static partial void LogDownloadFailed(ILogger logger, string exceptionType);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Retention: {Drafts} drafts, {Routes} reply routes and {Tips} decided tips erased")]
    private static partial void LogPurged(ILogger logger, int drafts, int routes, int tips);
}

/// <summary>
/// Deletes messages that should not stay on a tipster's phone (receipts, /check answers) after a while. The schedule is held in
/// memory only: the database never learns which chat received a receipt. A restart forgets it, so the receipt message says to
/// delete it by hand too.
/// </summary>
internal sealed class ReceiptJanitor(BotSender sender, TimeProvider time) : BackgroundService
{
    private readonly ConcurrentQueue<(DateTimeOffset Due, long ChatId, int MessageId)> _queue = new();

    public void DeleteLater(long chatId, int messageId, TimeSpan after) => _queue.Enqueue((time.GetUtcNow().Add(after), chatId, messageId));

    public int Scheduled => _queue.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), time);
        var waiting = new List<(DateTimeOffset Due, long ChatId, int MessageId)>();
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            while (_queue.TryDequeue(out var item))
            {
                waiting.Add(item);
            }

            var now = time.GetUtcNow();
            foreach (var due in waiting.Where(w => w.Due <= now).ToList())
            {
                await sender.DeleteAsync(due.ChatId, [due.MessageId], stoppingToken);
                waiting.Remove(due);
            }
        }
    }
}

/// <summary>Applies retention once a day.</summary>
internal sealed class TipRetention(IServiceScopeFactory scopes, Leadership leadership, TipService tips, TimeProvider time, ILogger<TipRetention> logger)
    : Hosting.PeriodicJob(scopes, leadership, time, logger)
{
    protected override TimeSpan Period => TimeSpan.FromHours(24);

    protected override Task RunAsync(BotDbContext db, CancellationToken ct) => tips.PurgeAsync(db, ct);
}
