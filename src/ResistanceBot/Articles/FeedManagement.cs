using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Telegram;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace ResistanceBot.Articles;

/// <summary>
/// How often a feed is read: its own interval (<c>/feedinterval</c>, <c>Articles:PollIntervalMinutes</c> by default),
/// lengthened when the publisher asks for it (RSS &lt;ttl&gt;, HTTP Cache-Control max-age), up to six hours. A publisher can
/// slow the bot down, never speed it up.
/// </summary>
internal static class PollSchedule
{
    public const int MinMinutes = 5;
    public const int MaxMinutes = 1440;
    public static readonly TimeSpan MaxHint = TimeSpan.FromHours(6);

    public static TimeSpan Next(int intervalMinutes, TimeSpan? ttl, TimeSpan? maxAge)
    {
        var interval = TimeSpan.FromMinutes(intervalMinutes);
        var hint = new[] { ttl, maxAge }.Max() ?? TimeSpan.Zero;
        var ceiling = interval > MaxHint ? interval : MaxHint;
        return hint <= interval ? interval : hint < ceiling ? hint : ceiling;
    }
}

/// <summary>OPML 2.0, as feed readers exchange their subscriptions.</summary>
internal static class Opml
{
    public const int MaxBytes = 1_000_000;
    public const int MaxFeeds = 500;

    public static byte[] Write(IEnumerable<Feed> feeds, DateTimeOffset now)
    {
        var body = new XElement("body", feeds.Select(f => new XElement(
            "outline",
            new XAttribute("type", "rss"),
            new XAttribute("text", f.Title ?? f.Url),
            new XAttribute("title", f.Title ?? f.Url),
            new XAttribute("xmlUrl", f.Url))));
        var document = new XDocument(
            new XDeclaration("1.0", "utf-8", null),
            new XElement("opml", new XAttribute("version", "2.0"), new XElement("head", new XElement("title", "ResistanceBot feeds"), new XElement("dateCreated", now.ToString("r", CultureInfo.InvariantCulture))), body));
        using var output = new MemoryStream();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            document.Save(writer);
        }

        return output.ToArray();
    }

    /// <summary>Every outline's xmlUrl, at any depth (folders nest outlines); null when the file is not OPML.</summary>
    public static List<(string Url, string? Title)>? Read(byte[] content)
    {
        try
        {
            using var stream = new MemoryStream(content);
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxBytes * 2L });
            var document = XDocument.Load(reader);
            if (document.Root?.Name.LocalName != "opml")
            {
                return null;
            }

            return document.Descendants().Where(e => e.Name.LocalName == "outline")
                .Select(e => ((string?)e.Attribute("xmlUrl"), (string?)e.Attribute("title") ?? (string?)e.Attribute("text")))
                .Where(o => !string.IsNullOrWhiteSpace(o.Item1))
                .Select(o => (o.Item1!.Trim(), o.Item2))
                .ToList();
        }
        catch (XmlException)
        {
            return null;
        }
    }
}

/// <summary>/exportfeeds: the followed feeds as an OPML file, for another reader app or a backup.</summary>
internal sealed class ExportFeedsCommand : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var feeds = await context.Db.Feeds.AsNoTracking().OrderBy(f => f.Id).ToListAsync(ct);
        if (feeds.Count == 0)
        {
            await context.ReplyAsync(context.T("feeds.none"), ct: ct);
            return;
        }

        await context.Sender.SendFileAsync(context.ChatId, Opml.Write(feeds, context.Time.GetUtcNow()), "feeds.opml", asPhoto: false, context.T("exportfeeds.caption", feeds.Count), ct: ct);
    }
}

/// <summary>/importfeeds: asks for an OPML file, then follows every feed in it that is not followed yet.</summary>
internal sealed class ImportFeedsCommand : ICommandHandler
{
    public const string State = "importfeeds";

    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        await ConversationStore.SetAsync(context, State, TimeSpan.FromMinutes(10), ct);
        await context.ReplyAsync(context.T("importfeeds.ask"), ct: ct);
    }
}

internal sealed partial class ImportFeedsConversation(ITelegramBotClient bot, IOptions<ArticlesOptions> options, ILogger<ImportFeedsConversation> logger) : IConversationHandler
{
    public async Task HandleAsync(BotContext context, Message message, CancellationToken ct)
    {
        if (message.Document is not { } document)
        {
            await ConversationStore.ClearAsync(context, ct);
            await context.ReplyAsync(context.T("importfeeds.notfile"), ct: ct);
            return;
        }

        await ConversationStore.ClearAsync(context, ct);
        var content = await DownloadAsync(document, ct);
        var outlines = content is null ? null : Opml.Read(content);
        if (outlines is null)
        {
            await context.ReplyAsync(context.T("importfeeds.bad"), ct: ct);
            return;
        }

        var known = (await context.Db.Feeds.AsNoTracking().Select(f => f.Url).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var now = context.Time.GetUtcNow().UtcDateTime;
        var (added, already, refused) = (0, 0, 0);
        foreach (var (url, title) in outlines.Take(Opml.MaxFeeds))
        {
            if (CanonicalUrl.Normalize(url) is not { } canonical)
            {
                refused++;
                continue;
            }

            if (!known.Add(canonical.AbsoluteUri))
            {
                already++;
                continue;
            }

            // Read by the poller within a minute, through the same guard as every fetch; /feeds shows how each fares.
            context.Db.Feeds.Add(new Feed
            {
                Url = canonical.AbsoluteUri,
                Title = title is { Length: > 0 } ? PlainText.Cut(title, ArticleLimits.Source) : null,
                AddedBy = context.UserId,
                AddedAt = now,
                NextPollAt = now,
                IntervalMinutes = options.Value.PollIntervalMinutes,
            });
            added++;
        }

        await context.Db.SaveChangesAsync(ct);
        await context.AuditAsync("importfeeds", null, added.ToString(CultureInfo.InvariantCulture), ct);
        await context.ReplyAsync(context.T("importfeeds.done", added, already, refused + Math.Max(0, outlines.Count - Opml.MaxFeeds)), ct: ct);
    }

    private async Task<byte[]?> DownloadAsync(Document document, CancellationToken ct)
    {
        if (document.FileSize > Opml.MaxBytes)
        {
            return null;
        }

        try
        {
            var file = await bot.GetFile(document.FileId, ct);
            if (file.FilePath is null)
            {
                return null;
            }

            using var buffer = new MemoryStream();
            await bot.DownloadFile(file.FilePath, buffer, ct);
            return buffer.Length > Opml.MaxBytes ? null : buffer.ToArray();
        }
        catch (Exception e) when (e is RequestException or HttpRequestException)
        {
            LogDownloadFailed(logger, e.GetType().Name);
            return null;
        }
    }

    [LoggerMessage(EventId = 2020, Level = LogLevel.Warning, Message = "An OPML file could not be downloaded ({Error})")]
    private static partial void LogDownloadFailed(ILogger logger, string error);
}

/// <summary>/feedinterval N MINUTES: how often feed #N is read.</summary>
internal sealed class FeedIntervalCommand : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var args = context.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (args.Length != 2 || !ArticlesFeature.TryNumber(args[0], out var id)
            || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes) || minutes is < PollSchedule.MinMinutes or > PollSchedule.MaxMinutes)
        {
            await context.ReplyAsync(context.T("feedinterval.usage", PollSchedule.MinMinutes, PollSchedule.MaxMinutes), ct: ct);
            return;
        }

        var feed = await context.Db.Feeds.FirstOrDefaultAsync(f => f.Id == id, ct);
        if (feed is null)
        {
            await context.ReplyAsync(context.T("removefeed.none", id), ct: ct);
            return;
        }

        feed.IntervalMinutes = minutes;
        var next = context.Time.GetUtcNow().UtcDateTime.AddMinutes(minutes);
        if (feed.Failures == 0 && feed.NextPollAt > next)
        {
            feed.NextPollAt = next;
        }

        await context.Db.SaveChangesAsync(ct);
        await context.AuditAsync("feedinterval", "feed:" + id.ToString(CultureInfo.InvariantCulture), minutes.ToString(CultureInfo.InvariantCulture), ct);
        await context.ReplyAsync(context.T("feedinterval.done", id, minutes), ct: ct);
    }
}
