using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Articles;
using ResistanceBot.Delivery;
using ResistanceBot.Localization;
using ResistanceBot.Staff;
using ResistanceBot.Storage;

namespace ResistanceBot.Digests;

internal sealed record Release(Edition Edition, int DueNow, int DueLater);

/// <summary>Assembles the next edition from the picked candidates, previews it, releases it with its deliveries.</summary>
internal sealed partial class EditionService(
    EditionRenderer renderer,
    Outbox outbox,
    EditionOutbox editionOutbox,
    IOptions<Archive.ArchiveOptions> archive,
    OutboxSignal signal,
    IOptions<DigestOptions> options,
    TimeProvider time,
    ILogger<EditionService> logger)
{
    /// <summary>The lock two instances' releases take in turn (any number no other lock of the bot uses).</summary>
    private const long ReleaseLock = 5390734161851102796;

    /// <summary>The picked candidates, in the order they will appear.</summary>
    public static Task<List<Article>> PickedAsync(BotDbContext db, CancellationToken ct) =>
        db.Articles.Where(a => a.State == CandidateState.Picked).OrderBy(a => a.PickOrder).ThenBy(a => a.Id).ToListAsync(ct);

    /// <summary>The next edition exactly as subscribers will see it, or nothing when nothing is picked.</summary>
    public async Task<IReadOnlyList<RenderedPart>> PreviewAsync(BotDbContext db, string language, CancellationToken ct)
    {
        var picked = await PickedAsync(db, ct);
        if (picked.Count == 0)
        {
            return [];
        }

        var number = (await db.Editions.MaxAsync(e => (int?)e.Number, ct) ?? 0) + 1;
        return renderer.Parts(number, Today(), picked.Select(Snapshot).ToList(), language, options.Value.Zone, webCopy: archive.Value.WebCopy(language, number));
    }

    /// <summary>
    /// Releases the next edition; null when nothing is picked. Items, parts, article states and one outbox row per part and
    /// subscriber are saved in one transaction: a crash leaves either no edition or an edition with all its deliveries.
    /// </summary>
    public async Task<Release?> ReleaseAsync(BotDbContext db, long? releasedBy, CancellationToken ct)
    {
        var channelKey = options.Value.ChannelId is null ? null : await outbox.SealingKeyAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Two editors pressing /publish on two instances: the second waits, then finds nothing picked.
        await db.LockAcrossInstancesAsync(ReleaseLock, ct);

        var picked = await PickedAsync(db, ct);
        if (picked.Count == 0)
        {
            LogNothingPicked(logger);
            return null;
        }

        var edition = new Edition
        {
            Number = (await db.Editions.MaxAsync(e => (int?)e.Number, ct) ?? 0) + 1,
            Date = Today(),
            ReleasedAt = time.GetUtcNow().UtcDateTime,
            ReleasedBy = releasedBy,
            Items = picked.Select(Snapshot).ToList(),
        };
        // One rendering per choice of topics that some subscriber made, not per subscriber: the fan-out's cost stays flat.
        var groups = await EditionOutbox.GroupsAsync(db, ct);
        var readerSets = groups.Select(g => g.Topics).Where(t => t.Length > 0).Distinct().ToList();
        var plan = EditionVariants.Plan(edition.Items, readerSets);
        foreach (var variant in plan.Variants)
        {
            foreach (var (language, _) in Localizer.Languages)
            {
                var parts = renderer.Parts(edition.Number, edition.Date, variant.Items, language, options.Value.Zone, variant.LeftOut, archive.Value.WebCopy(language, edition.Number));
                edition.Parts.AddRange(parts.Select((part, index) => new EditionPart
                {
                    Language = language,
                    Variant = variant.Number,
                    Index = index,
                    Html = part.Html,
                    ReplyMarkup = part.Markup is null ? null : System.Text.Json.JsonSerializer.Serialize(part.Markup, global::Telegram.Bot.JsonBotAPI.Options),
                }));
            }
        }

        db.Editions.Add(edition);
        await db.SaveChangesAsync(ct);
        foreach (var article in picked)
        {
            article.State = CandidateState.Published;
            article.EditionId = edition.Id;
            article.PickOrder = null;
        }

        await db.SaveChangesAsync(ct);
        var (dueNow, dueLater) = await editionOutbox.EnqueueAsync(db, edition, groups, plan.ByReaderSet, ct);
        await PostToChannelAsync(db, edition, channelKey, ct);
        await transaction.CommitAsync(ct);
        signal.Wake();
        LogReleased(logger, edition.Number, edition.Items.Count, releasedBy is null ? "schedule" : "an editor", dueNow + dueLater);
        return new Release(edition, dueNow, dueLater);
    }

    /// <summary>
    /// With <c>Digest:ChannelId</c> set, the whole edition goes to that channel too, in <c>Digest:ChannelLanguage</c>, through the
    /// outbox and the same sender as everything else (the group limit, 429 handling). Parts are a few seconds apart so that they
    /// arrive in order. No "📖" buttons: a channel's readers are not the bot's chats; the web copy's link is in the header.
    /// </summary>
    private async Task PostToChannelAsync(BotDbContext db, Edition edition, Privacy.PeriodKey? key, CancellationToken ct)
    {
        if (options.Value.ChannelId is not { } channel || key is null)
        {
            return;
        }

        var language = Localizer.IsSupported(options.Value.ChannelLanguage) ? options.Value.ChannelLanguage : Localizer.Default;
        foreach (var part in edition.Parts.Where(p => p.Variant == 0 && p.Language == language).OrderBy(p => p.Index))
        {
            var row = outbox.EnqueueMessage(db, key, channel, part.Html);
            row.NotBefore = row.NotBefore.AddSeconds(3 * part.Index);
        }

        await db.SaveChangesAsync(ct);
    }

    public static Task<Edition?> LatestAsync(BotDbContext db, CancellationToken ct) =>
        db.Editions.AsNoTracking().Include(e => e.Parts).OrderByDescending(e => e.Number).FirstOrDefaultAsync(ct);

    private DateOnly Today() => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), options.Value.Zone).DateTime);

    private static EditionItem Snapshot(Article article, int position) => new()
    {
        Position = position,
        Kind = article.Kind,
        Title = article.Title,
        Url = article.Url,
        Source = article.Source,
        PublishedAt = article.PublishedAt,
        Summary = article.Summary,
        FullText = article.FullText,
        Topics = article.Topics,
    };

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Edition {Number} released with {Items} items by {ReleasedBy} for {Subscribers} subscribers")]
    private static partial void LogReleased(ILogger logger, int number, int items, string releasedBy, int subscribers);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "No edition released: nothing is picked")]
    private static partial void LogNothingPicked(ILogger logger);
}

/// <summary>One selection of an edition's items: what readers of some choices of topics get.</summary>
internal sealed record EditionVariant(int Number, IReadOnlyList<EditionItem> Items, int LeftOut);

/// <summary>
/// Which readers get which items. Variant 0 is the whole edition: readers who chose no topics, and readers whose topics leave
/// nothing out. Every other variant is one distinct selection of items, shared by all the choices of topics that select it.
/// An item without topics reaches everyone; an item with topics reaches readers who chose at least one of them.
/// </summary>
internal static class EditionVariants
{
    public static (List<EditionVariant> Variants, Dictionary<string, int> ByReaderSet) Plan(IReadOnlyList<EditionItem> items, IEnumerable<string> readerSets)
    {
        var variants = new List<EditionVariant> { new(0, items, 0) };
        var bySelection = new Dictionary<string, int>(StringComparer.Ordinal);
        var byReaderSet = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
        foreach (var set in readerSets.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var chosen = items.Where(i => Articles.TopicSets.Reaches(i.Topics, set)).ToList();
            if (chosen.Count == items.Count)
            {
                byReaderSet[set] = 0;
                continue;
            }

            var selection = string.Join(',', chosen.Select(i => i.Position));
            if (!bySelection.TryGetValue(selection, out var number))
            {
                number = variants.Count;
                bySelection[selection] = number;
                variants.Add(new EditionVariant(number, chosen, items.Count - chosen.Count));
            }

            byReaderSet[set] = number;
        }

        return (variants, byReaderSet);
    }
}

/// <summary>
/// Releases the edition at <c>Digest:EditionTime</c> in <c>Digest:TimeZone</c>, every day, on the leading instance. An instance
/// that starts to lead (after a restart, or taking over from one that died) within an hour after that time releases the
/// edition it finds missed.
/// </summary>
internal sealed partial class EditionScheduler(
    IServiceScopeFactory scopes,
    EditionService editions,
    DeliveryProgress progress,
    Staff.StaffDirectory staff,
    Leadership leadership,
    IOptions<DigestOptions> options,
    TimeProvider time,
    ILogger<EditionScheduler> logger) : BackgroundService
{
    internal static readonly TimeSpan CatchUp = TimeSpan.FromHours(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(ScheduleAsync, stoppingToken);

    private async Task ScheduleAsync(CancellationToken stoppingToken)
    {
        var previous = PreviousRelease(time.GetUtcNow(), options.Value.Time, options.Value.Zone);
        if (time.GetUtcNow() - previous < CatchUp)
        {
            await ReleaseAsync(missedSince: previous.UtcDateTime, stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var next = NextRelease(now, options.Value.Time, options.Value.Zone);
            await Task.Delay(next - now, time, stoppingToken);
            await ReleaseAsync(missedSince: null, stoppingToken);
        }
    }

    private async Task ReleaseAsync(DateTime? missedSince, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
            if (missedSince is { } since && await db.Editions.AnyAsync(e => e.ReleasedAt >= since, ct))
            {
                return; // released in time, before this instance took over
            }

            if (await editions.ReleaseAsync(db, null, ct) is { } release)
            {
                // No editor pressed /publish: every editor and admin gets the progress message.
                var editors = (await staff.ListAsync(db, ct))
                    .Where(s => s.Role.Allows(StaffRole.Editor))
                    .Select(s => (s.UserId, Localizer.Default));
                await progress.AnnounceAsync(db, release.Edition, editors, ct);
            }
        }
        catch (Exception e) when (e is System.Data.Common.DbException or DbUpdateException)
        {
            LogFailed(logger, e);
        }
    }

    /// <summary>The last scheduled time at or before <paramref name="now"/>.</summary>
    internal static DateTimeOffset PreviousRelease(DateTimeOffset now, TimeOnly at, TimeZoneInfo zone)
    {
        var candidate = Subscriptions.TimeZones.Next(now.AddDays(-1), at.ToTimeSpan(), zone, inclusive: true);
        return candidate <= now ? candidate : Subscriptions.TimeZones.Next(now.AddDays(-2), at.ToTimeSpan(), zone, inclusive: true);
    }

    internal static DateTimeOffset NextRelease(DateTimeOffset now, TimeOnly at, TimeZoneInfo zone) =>
        Subscriptions.TimeZones.Next(now, at.ToTimeSpan(), zone, inclusive: false);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "The scheduled edition could not be released")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
