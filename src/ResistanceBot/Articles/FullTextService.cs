using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;

namespace ResistanceBot.Articles;

/// <summary>Wakes <see cref="FullTextJob"/> when candidates arrive.</summary>
internal sealed class FullTextSignal : Hosting.Signal;

/// <summary>Finds the readable text of candidate articles: fetches each page once (through <see cref="FetchGuard"/>) and extracts it.</summary>
internal sealed partial class FullTextService(PageReader pages, ILogger<FullTextService> logger)
{
    private const int PerRun = 8;

    /// <returns>How many candidates were looked at.</returns>
    public async Task<int> ExtractPendingAsync(BotDbContext db, CancellationToken ct)
    {
        var pending = await db.Articles
            .Where(a => a.Kind == CandidateKind.Article && a.FullTextStatus == FullTextStatus.Pending && a.Url != null
                && (a.State == CandidateState.New || a.State == CandidateState.Picked))
            .OrderByDescending(a => a.FoundAt).Take(PerRun).ToListAsync(ct);
        foreach (var article in pending)
        {
            await ExtractAsync(article, ct);
            await db.SaveChangesAsync(ct);
        }

        return pending.Count;
    }

    /// <summary>Fetches the article's page and keeps its text; the reason when there is none.</summary>
    public async Task<string?> ExtractAsync(Article article, CancellationToken ct)
    {
        var (text, problem) = await ReadAsync(new Uri(article.Url!), ct);
        article.FullText = text;
        article.FullTextStatus = text is null ? FullTextStatus.NotFound : FullTextStatus.Found;
        LogExtracted(logger, article.Id, text is not null, text?.Length ?? 0);
        return problem;
    }

    private async Task<(string? Text, string? Problem)> ReadAsync(Uri url, CancellationToken ct)
    {
        // The same fetch and checks as /add; the page's metadata is read too, and not used here.
        var (page, error) = await pages.ReadAsync(url, ct);
        return page?.FullText is { } text ? (text, null) : (null, error ?? "no article text found on the page");
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Full text of candidate {ArticleId}: found {Found}, {Length} characters stored")]
    private static partial void LogExtracted(ILogger logger, int articleId, bool found, int length);
}

/// <summary>Extracts full texts on the leading instance, as soon as candidates arrive and every minute after.</summary>
internal sealed partial class FullTextJob(
    IServiceScopeFactory scopes,
    FullTextService service,
    FullTextSignal signal,
    Leadership leadership,
    TimeProvider time,
    ILogger<FullTextJob> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(RunAsync, stoppingToken);

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var more = false;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                more = await service.ExtractPendingAsync(scope.ServiceProvider.GetRequiredService<BotDbContext>(), stoppingToken) > 0;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or DbUpdateException)
            {
                LogFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(30), time, stoppingToken);
            }

            if (!more)
            {
                await signal.WaitAsync(TimeSpan.FromMinutes(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Full-text extraction could not reach the database; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>
/// /fulltext N: look for the article's text again; /fulltext N TEXT: replace it with TEXT (paragraphs separated by blank
/// lines, "&gt;" for quotations); /fulltext N + TEXT: add TEXT at the end, for articles longer than one message.
/// </summary>
internal sealed class FullTextCommand(FullTextService service) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var split = context.Arguments.Split((char[])[' ', '\n'], 2, StringSplitOptions.TrimEntries);
        if (split.Length == 0 || !ArticlesFeature.TryNumber(split[0], out var id))
        {
            await context.ReplyAsync(context.T("fulltext.usage"), ct: ct);
            return;
        }

        var article = await context.Db.Articles.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (article is null || article.Kind != CandidateKind.Article)
        {
            await context.ReplyAsync(context.T("fulltext.none", id), ct: ct);
            return;
        }

        var text = split.Length > 1 ? split[1] : "";
        if (text.Length == 0)
        {
            if (await service.ExtractAsync(article, ct) is { } problem)
            {
                await context.Db.SaveChangesAsync(ct);
                await context.ReplyAsync(context.T("fulltext.notfound", id, problem), ct: ct);
                return;
            }
        }
        else
        {
            var append = text.StartsWith('+');
            var pasted = FullText.FromPlainText(append ? text[1..] : text);
            article.FullText = append ? (article.FullText ?? "") + pasted : pasted;
            article.FullTextStatus = FullTextStatus.Pasted;
        }

        await context.Db.SaveChangesAsync(ct);
        await context.AuditAsync("fulltext", "candidate:" + id.ToString(CultureInfo.InvariantCulture), ct: ct);
        var blocks = FullText.Parse(article.FullText);
        await context.ReplyAsync(context.T("fulltext.done", id, blocks.Count, blocks.Sum(b => b.Length)), ct: ct);
    }
}
