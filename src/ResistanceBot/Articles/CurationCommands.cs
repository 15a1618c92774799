using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ResistanceBot.Digests;
using ResistanceBot.Staff;
using ResistanceBot.Telegram;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Articles;

internal static class ArticlesFeature
{
    public static IServiceCollection AddArticles(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ArticlesOptions>().Bind(configuration.GetSection(ArticlesOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ArticlesOptions>, ArticlesOptionsValidator>();
        services.TryAddSingleton<IHostResolver, SystemResolver>();
        services.AddSingleton<FetchGuard>();
        services.AddHttpClient(WebFetcher.HttpClientName, c => c.DefaultRequestHeaders.UserAgent.ParseAdd("ResistanceBot/1.0 (feed reader)"))
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                AutomaticDecompression = System.Net.DecompressionMethods.All,
                // Redirects are followed by WebFetcher, each checked; connections go only where FetchGuard allows; no proxy
                // from the environment, which would make the guard check the proxy instead of the site.
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectCallback = provider.GetRequiredService<FetchGuard>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });
        services.AddSingleton<WebFetcher>();
        services.AddSingleton<ArticleStore>();
        services.AddSingleton<ReaderReports>();
        services.AddSingleton<FeedService>();
        services.AddSingleton<PageReader>();
        services.AddHostedService<FeedPoller>();
        services.AddSingleton<FullTextSignal>();
        services.AddSingleton<FullTextService>();
        services.AddHostedService<FullTextJob>();
        services.AddCommand<FullTextCommand>("fulltext", StaffRole.Editor);
        services.AddCommand<FeedsCommand>("feeds", StaffRole.Editor);
        services.AddCommand<AddFeedCommand>("addfeed", StaffRole.Editor);
        services.AddCommand<RemoveFeedCommand>("removefeed", StaffRole.Editor);
        services.AddConfirmable<RemoveFeed>();
        services.AddCommand<AddArticleCommand>("add", StaffRole.Editor);
        services.AddCommand<CandidatesCommand>("candidates", StaffRole.Editor);
        services.AddCommand<PickCommand>("pick", StaffRole.Editor);
        services.AddCommand<PickCommand>("drop", StaffRole.Editor);
        services.AddCommand<PickCommand>("unpick", StaffRole.Editor);
        services.AddCommand<PickCommand>("move", StaffRole.Editor);
        services.AddCallback<CandidateButtons>(CandidateButtons.Prefix);
        services.AddSingleton<FeedFailureNotices>();
        services.AddCommand<FeedIntervalCommand>("feedinterval", StaffRole.Editor);
        services.AddCommand<ImportFeedsCommand>("importfeeds", StaffRole.Editor);
        services.AddConversation<ImportFeedsConversation>(ImportFeedsCommand.State);
        services.AddCommand<ExportFeedsCommand>("exportfeeds", StaffRole.Editor);
        services.AddCommand<TagCommand>("tag", StaffRole.Editor);
        services.AddCommand<TopicsCommand>("topics", StaffRole.Editor);
        return services;
    }

    internal static bool TryNumber(string text, out int number) =>
        int.TryParse(text.TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out number) && number > 0;

    /// <summary>Why an absolute URL of another scheme (file:, gopher:, ftp:) is not fetched; null for anything else.</summary>
    internal static string? SchemeProblem(string argument) =>
        Uri.TryCreate(argument.Trim(), UriKind.Absolute, out var uri) && !uri.IsUnc ? FetchGuard.SchemeProblem(uri) : null;

    internal static string Local(BotContext context, DateTime utc, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone).ToString("dd.MM HH:mm", CultureInfo.InvariantCulture);
}

/// <summary>/feeds: every feed with its state; failing ones show why and when they are tried again.</summary>
internal sealed class FeedsCommand(IOptions<DigestOptions> digest) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var feeds = await context.Db.Feeds.AsNoTracking().OrderBy(f => f.Id).ToListAsync(ct);
        if (feeds.Count == 0)
        {
            await context.ReplyAsync(context.T("feeds.none"), ct: ct);
            return;
        }

        var zone = digest.Value.Zone;
        await context.ReplyLinesAsync(context.T("feeds.title"), feeds.Select(feed =>
        {
            var name = PlainText.Cut(feed.Title ?? feed.Url, 60);
            return "\n" + feed switch
            {
                { Failures: > 0 } => context.T("feeds.failing", feed.Id, name, feed.Failures, feed.LastError, ArticlesFeature.Local(context, feed.NextPollAt, zone)),
                { LastSuccessAt: { } at } => context.T("feeds.ok", feed.Id, name, ArticlesFeature.Local(context, at, zone)),
                _ => context.T("feeds.never", feed.Id, name),
            };
        }), ct);
    }
}

/// <summary>/addfeed URL: reads the feed once first, and follows it only if it is a feed.</summary>
internal sealed class AddFeedCommand(FeedService feeds, IOptions<ArticlesOptions> options) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (ArticlesFeature.SchemeProblem(context.Arguments) is { } problem)
        {
            await context.ReplyAsync(context.T("addfeed.failed", problem), ct: ct);
            return;
        }

        if (CanonicalUrl.Normalize(context.Arguments) is not { } url)
        {
            await context.ReplyAsync(context.T("addfeed.usage"), ct: ct);
            return;
        }

        var existing = await context.Db.Feeds.AsNoTracking().FirstOrDefaultAsync(f => f.Url == url.AbsoluteUri, ct);
        if (existing is not null)
        {
            await context.ReplyAsync(context.T("addfeed.exists", existing.Id), ct: ct);
            return;
        }

        var now = context.Time.GetUtcNow().UtcDateTime;
        // Not due yet: it is polled right here, and the background poller must not read it at the same moment.
        var feed = new Feed
        {
            Url = url.AbsoluteUri,
            AddedBy = context.UserId,
            AddedAt = now,
            NextPollAt = now.AddMinutes(options.Value.PollIntervalMinutes),
            IntervalMinutes = options.Value.PollIntervalMinutes,
        };
        context.Db.Feeds.Add(feed);
        await context.Db.SaveChangesAsync(ct);
        var outcome = await feeds.PollAsync(context.Db, feed, ct);
        if (!outcome.Ok)
        {
            context.Db.Feeds.Remove(feed);
            await context.Db.SaveChangesAsync(ct);
            await context.ReplyAsync(context.T("addfeed.failed", outcome.Error), ct: ct);
            return;
        }

        await context.AuditAsync("addfeed", "feed:" + feed.Id.ToString(CultureInfo.InvariantCulture), url.Host, ct);
        await context.ReplyAsync(context.T("addfeed.done", feed.Id, feed.Title ?? url.Host, outcome.Added), ct: ct);
    }
}

internal sealed class RemoveFeedCommand(Confirmations confirmations) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (!ArticlesFeature.TryNumber(context.Arguments, out var id))
        {
            await context.ReplyAsync(context.T("removefeed.usage"), ct: ct);
            return;
        }

        await confirmations.AskAsync(context, RemoveFeed.Name, id.ToString(CultureInfo.InvariantCulture), null, ct);
    }
}

/// <summary>Unfollowing a feed, once confirmed; its articles stay.</summary>
internal sealed class RemoveFeed : IConfirmable
{
    public const string Name = "removefeed";

    public string Action => Name;

    public StaffRole Role => StaffRole.Editor;

    public async Task<Question> AskAsync(BotContext context, string argument, CancellationToken ct)
    {
        var id = int.Parse(argument, CultureInfo.InvariantCulture);
        var url = await context.Db.Feeds.AsNoTracking().Where(f => f.Id == id).Select(f => f.Url).FirstOrDefaultAsync(ct);
        return url is null
            ? new Question(context.T("removefeed.none", id), null)
            : new Question(context.T("confirm.removefeed", id, url), context.T("confirm.button.removefeed"));
    }

    public async Task<Done> DoAsync(BotContext context, string argument, string? note, CancellationToken ct)
    {
        var id = int.Parse(argument, CultureInfo.InvariantCulture);
        if (await context.Db.Feeds.Where(f => f.Id == id).ExecuteDeleteAsync(ct) == 0)
        {
            return new Done(context.T("removefeed.none", id));
        }

        await context.AuditAsync("removefeed", "feed:" + id.ToString(CultureInfo.InvariantCulture), ct: ct);
        return new Done(context.T("removefeed.done", id));
    }
}

/// <summary>/add URL: an article by link, its title and summary read from the page.</summary>
internal sealed class AddArticleCommand(PageReader pages, ArticleStore store) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (ArticlesFeature.SchemeProblem(context.Arguments) is { } problem)
        {
            await context.ReplyAsync(context.T("add.failed", problem), ct: ct);
            return;
        }

        if (CanonicalUrl.Normalize(context.Arguments) is not { } url)
        {
            await context.ReplyAsync(context.T("add.usage"), ct: ct);
            return;
        }

        var (page, error) = await pages.ReadAsync(url, ct);
        if (page is null)
        {
            await context.ReplyAsync(context.T("add.failed", error), ct: ct);
            return;
        }

        var (article, isNew) = await store.AddPageAsync(context.Db, page, ct);
        await context.ReplyAsync(context.T(isNew ? "add.done" : "add.exists", article.Id, article.Title), ct: ct);
    }
}

/// <summary>/candidates: the next edition as it stands, then what waits, newest first, with pick and drop buttons.</summary>
internal sealed class CandidatesCommand : ICommandHandler
{
    // At most this many of each list, with short lines: the message and its buttons always fit one Telegram message.
    private const int Shown = 12;

    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var (text, markup) = await RenderAsync(context, ct);
        await context.ReplyAsync(text, markup, ct);
    }

    internal static async Task<(string Text, InlineKeyboardMarkup? Markup)> RenderAsync(BotContext context, CancellationToken ct)
    {
        var picked = await context.Db.Articles.AsNoTracking().Where(a => a.State == CandidateState.Picked).OrderBy(a => a.PickOrder).ToListAsync(ct);
        var morePicked = Math.Max(0, picked.Count - Shown);
        var waiting = await context.Db.Articles.AsNoTracking().Where(a => a.State == CandidateState.New)
            .OrderByDescending(a => a.FoundAt).ThenByDescending(a => a.Id).Take(Shown).ToListAsync(ct);

        var text = new StringBuilder(context.T("candidates.title")).Append('\n');
        text.Append(picked.Count == 0 ? "\n" + context.T("candidates.picked.none") : "");
        foreach (var (article, i) in picked.Take(Shown).Select((a, i) => (a, i)))
        {
            text.Append('\n').Append(i + 1).Append(". ").Append(Line(article));
        }

        if (morePicked > 0)
        {
            text.Append("\n… +").Append(morePicked);
        }

        text.Append("\n\n").Append(context.T("candidates.new")).Append('\n');
        text.Append(waiting.Count == 0 ? "\n" + context.T("candidates.new.none") : "");
        foreach (var article in waiting)
        {
            text.Append('\n').Append(Line(article));
        }

        text.Append("\n\n").Append(context.T("candidates.hint"));
        var rows = waiting.Take(10).Select(a => new[]
        {
            InlineKeyboardButton.WithCallbackData($"✓ #{a.Id}", $"{CandidateButtons.Prefix}:pick:{a.Id}"),
            InlineKeyboardButton.WithCallbackData($"✗ #{a.Id}", $"{CandidateButtons.Prefix}:drop:{a.Id}"),
        }).ToList();
        return (text.ToString(), rows.Count == 0 ? null : new InlineKeyboardMarkup(rows));
    }

    private static string Line(Article article) =>
        $"#{article.Id} " + (article.Kind == CandidateKind.ReaderReport ? "🗣 " : FullTextMark(article.FullTextStatus))
        + Html.Escape(PlainText.Cut(article.Kind == CandidateKind.ReaderReport ? article.Summary : article.Title, 80))
        + (article.Source is { } source ? " — <i>" + Html.Escape(PlainText.Cut(source, 40)) + "</i>" : "")
        + (article.Topics.Length > 0 ? " · " + Html.Escape(article.Topics.Replace(' ', ',')) : "");

    /// <summary>Whether readers can read the article in Telegram: 📖 its text is found or pasted, ⏳ still looked for, ∅ none.</summary>
    internal static string FullTextMark(FullTextStatus status) => status switch
    {
        FullTextStatus.Found or FullTextStatus.Pasted => "📖 ",
        FullTextStatus.Pending => "⏳ ",
        _ => "∅ ",
    };
}

/// <summary>/pick N, /drop N, /unpick N, /move N POSITION: the editor shapes the next edition.</summary>
internal sealed class PickCommand : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var args = context.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var position = 0;
        if (args.Length == 0 || !ArticlesFeature.TryNumber(args[0], out var id)
            || (context.Command == "move" && (args.Length != 2 || !ArticlesFeature.TryNumber(args[1], out position))))
        {
            await context.ReplyAsync(context.T(context.Command + ".usage"), ct: ct);
            return;
        }

        await context.ReplyAsync(await Curation.ApplyAsync(context, context.Command, id, position, ct), ct: ct);
    }
}

/// <summary>The ✓ and ✗ buttons under /candidates. Honoured only for editors; anyone else's press is refused and audited.</summary>
internal sealed class CandidateButtons : ICallbackHandler
{
    public const string Prefix = "cand";

    public async Task HandleAsync(BotContext context, CallbackQuery query, string data, CancellationToken ct)
    {
        var parts = data.Split(':');
        if (!context.Has(StaffRole.Editor))
        {
            await context.AuditAsync("denied", "button:" + Prefix, ct: ct);
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        if (parts.Length != 2 || parts[0] is not ("pick" or "drop") || !ArticlesFeature.TryNumber(parts[1], out var id))
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        var result = await Curation.ApplyAsync(context, parts[0], id, 0, ct);
        await context.AnswerAsync(query, result, ct);
        if (query.Message is { } message)
        {
            var (text, markup) = await CandidatesCommand.RenderAsync(context, ct);
            await context.EditAsync(message.Id, text, markup, ct);
        }
    }
}

internal static class Curation
{
    /// <returns>The HTML answer for the editor.</returns>
    public static async Task<string> ApplyAsync(BotContext context, string action, int id, int position, CancellationToken ct)
    {
        var db = context.Db;
        var article = await db.Articles.FirstOrDefaultAsync(a => a.Id == id && a.State != CandidateState.Published, ct);
        if (article is null)
        {
            return context.T("pick.none", id);
        }

        var picked = await db.Articles.Where(a => a.State == CandidateState.Picked && a.Id != id).OrderBy(a => a.PickOrder).ToListAsync(ct);
        switch (action)
        {
            case "pick":
                article.State = CandidateState.Picked;
                picked.Add(article);
                break;
            case "drop":
                article.State = CandidateState.Dropped;
                article.PickOrder = null;
                break;
            case "unpick" or "move" when article.State != CandidateState.Picked:
                return context.T("pick.notpicked", id);
            case "unpick":
                article.State = CandidateState.New;
                article.PickOrder = null;
                break;
            case "move":
                picked.Insert(Math.Min(position, picked.Count + 1) - 1, article);
                break;
            default:
                return context.T("pick.none", id);
        }

        // Positions are kept dense (1..n) so that the edition's order is exactly what the editor sees.
        for (var i = 0; i < picked.Count; i++)
        {
            picked[i].PickOrder = i + 1;
        }

        await db.SaveChangesAsync(ct);
        await context.AuditAsync(action, "candidate:" + id.ToString(CultureInfo.InvariantCulture), ct: ct);
        return action switch
        {
            "pick" or "move" => context.T(action + ".done", id, article.PickOrder),
            _ => context.T(action + ".done", id),
        };
    }
}
