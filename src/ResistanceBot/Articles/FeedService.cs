using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Storage;

namespace ResistanceBot.Articles;

/// <summary>Polls one feed: fetch (conditional), parse, ingest; on failure back off and remember why, for /feeds.</summary>
internal sealed partial class FeedService(
    WebFetcher fetcher,
    ArticleStore store,
    FullTextSignal fullText,
    FeedFailureNotices notices,
    IOptions<ArticlesOptions> options,
    Hosting.BotMetrics metrics,
    TimeProvider time,
    ILogger<FeedService> logger)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(6);

    /// <summary>Editors hear of a failing feed once it has failed without a break for this long, not at each failed poll.</summary>
    public static readonly TimeSpan NoticeAfter = TimeSpan.FromHours(24);

    public sealed record PollOutcome(bool Ok, int Added, string? Error);

    public async Task<PollOutcome> PollAsync(BotDbContext db, Feed feed, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        PollOutcome outcome;
        TimeSpan? ttl = null, maxAge = null;
        try
        {
            var result = await fetcher.GetAsync(new Uri(feed.Url), feed.ETag, feed.LastModified, ct);
            switch (result)
            {
                case FetchResult.NotModified notModified:
                    maxAge = notModified.MaxAge;
                    outcome = new PollOutcome(true, 0, null);
                    break;
                case FetchResult.Fetched fetched:
                    var parsed = FeedParser.Parse(fetched.Content, fetched.Charset, fetched.FinalUrl, now);
                    feed.Title ??= parsed.Title is { Length: > 0 } title ? PlainText.Cut(title, ArticleLimits.Source) : null;
                    feed.ETag = fetched.ETag;
                    feed.LastModified = fetched.LastModified;
                    (ttl, maxAge) = (parsed.Ttl, fetched.MaxAge);
                    outcome = new PollOutcome(true, await store.IngestAsync(db, feed, parsed, ct), null);
                    break;
                case FetchResult.Failed failed:
                    outcome = new PollOutcome(false, 0, failed.Reason);
                    break;
                default:
                    outcome = new PollOutcome(false, 0, "unknown result");
                    break;
            }
        }
        catch (FeedFormatException e)
        {
            outcome = new PollOutcome(false, 0, e.Message);
        }

        metrics.FeedPolled(outcome.Ok);
        if (outcome.Ok)
        {
            if (feed.FailureNoticeSent)
            {
                await notices.RecoveredAsync(db, feed, ct);
            }

            feed.Failures = 0;
            feed.LastError = null;
            feed.FailingSince = null;
            feed.FailureNoticeSent = false;
            feed.LastSuccessAt = now.UtcDateTime;
            feed.NextPollAt = now.UtcDateTime.Add(PollSchedule.Next(feed.IntervalMinutes, ttl, maxAge));
            LogPolled(logger, feed.Id, outcome.Added);
        }
        else
        {
            feed.Failures++;
            feed.LastError = PlainText.Cut(outcome.Error ?? "failed", 300);
            feed.NextPollAt = now.UtcDateTime.Add(Hosting.Backoff.After(feed.Failures, TimeSpan.FromMinutes(feed.IntervalMinutes), MaxBackoff));
            feed.FailingSince ??= now.UtcDateTime;
            LogFailed(logger, feed.Id, feed.Failures, feed.LastError);
            if (!feed.FailureNoticeSent && now.UtcDateTime - feed.FailingSince >= NoticeAfter)
            {
                await notices.FailingAsync(db, feed, ct);
                feed.FailureNoticeSent = true;
            }
        }

        await db.SaveChangesAsync(ct);
        if (outcome.Added > 0)
        {
            fullText.Wake();
        }

        return outcome;
    }

    /// <summary>Every feed whose time has come, one after another; one failing feed never stops the others.</summary>
    public async Task PollDueAsync(BotDbContext db, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var due = await db.Feeds.Where(f => f.NextPollAt <= now).OrderBy(f => f.NextPollAt).Take(50).ToListAsync(ct);
        foreach (var feed in due)
        {
            try
            {
                await PollAsync(db, feed, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // A bug in one feed's handling: log it, push that feed back, carry on with the others.
                LogCrashed(logger, feed.Id, Telegram.SafeException.From(e));
                db.ChangeTracker.Clear();
                await db.Feeds.Where(f => f.Id == feed.Id).ExecuteUpdateAsync(
                    s => s.SetProperty(f => f.NextPollAt, now.AddMinutes(options.Value.PollIntervalMinutes)).SetProperty(f => f.LastError, "internal error"), ct);
            }
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Feed {FeedId} polled: {Added} new candidates")]
    private static partial void LogPolled(ILogger logger, int feedId, int added);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Feed {FeedId} failed ({Failures} in a row): {Reason}")]
    private static partial void LogFailed(ILogger logger, int feedId, int failures, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Polling feed {FeedId} crashed; it is retried later")]
    private static partial void LogCrashed(ILogger logger, int feedId, Exception exception);
}

/// <summary>Tells editors, through the outbox, that a feed has failed for a day without a break, and later that it works again.</summary>
internal sealed class FeedFailureNotices(Delivery.Outbox outbox, Delivery.OutboxSignal signal, Staff.StaffDirectory staff, Localization.Localizer strings)
{
    public Task FailingAsync(BotDbContext db, Feed feed, CancellationToken ct) =>
        NotifyAsync(db, language => strings.Format(language, "feeds.notice.failing", feed.Id, PlainText.Cut(feed.Title ?? feed.Url, 60), feed.Failures, feed.LastError), ct);

    public Task RecoveredAsync(BotDbContext db, Feed feed, CancellationToken ct) =>
        NotifyAsync(db, language => strings.Format(language, "feeds.notice.recovered", feed.Id, PlainText.Cut(feed.Title ?? feed.Url, 60)), ct);

    private async Task NotifyAsync(BotDbContext db, Func<string, string> text, CancellationToken ct)
    {
        foreach (var (userId, role, _) in await staff.ListAsync(db, ct))
        {
            if (Staff.StaffRoles.Allows(role, Staff.StaffRole.Editor))
            {
                await outbox.EnqueueMessageAsync(db, userId, text(await staff.LanguageOfAsync(db, userId, ct)), ct: ct);
            }
        }

        await db.SaveChangesAsync(ct);
        signal.Wake();
    }
}

/// <summary>Looks for due feeds every 30 seconds.</summary>
internal sealed class FeedPoller(IServiceScopeFactory scopes, Leadership leadership, FeedService feeds, TimeProvider time, ILogger<FeedPoller> logger)
    : Hosting.PeriodicJob(scopes, leadership, time, logger)
{
    protected override TimeSpan Period => TimeSpan.FromSeconds(30);

    protected override Task RunAsync(BotDbContext db, CancellationToken ct) => feeds.PollDueAsync(db, ct);
}
