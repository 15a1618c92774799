using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ResistanceBot.Digests;
using ResistanceBot.Localization;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;

namespace ResistanceBot.Delivery;

/// <summary>A staff message that shows an edition's delivery as it goes; edited in place. Staff chat ids are not secret.</summary>
internal sealed class ProgressMessage
{
    public int Id { get; set; }

    public int EditionId { get; set; }

    public long ChatId { get; set; }

    public int MessageId { get; set; }

    public required string Language { get; set; }

    public bool Done { get; set; }

    public int LastSent { get; set; }

    public DateTime LastAt { get; set; }
}

internal sealed class ProgressMessageConfiguration : IEntityTypeConfiguration<ProgressMessage>
{
    public void Configure(EntityTypeBuilder<ProgressMessage> builder)
    {
        builder.ToTable("delivery_progress");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Language).HasMaxLength(8);
        builder.HasIndex(p => p.Done);
    }
}

internal sealed record DeliveryFigures(int Total, int Sent, int Failed, int Dropped, int PendingDue, int PendingLater)
{
    public int Pending => PendingDue + PendingLater;
}

/// <summary>Counts an edition's deliveries and words them for staff.</summary>
internal sealed class DeliveryProgress(Localizer strings, BotSender sender, TimeProvider time)
{
    public async Task<DeliveryFigures> FiguresAsync(BotDbContext db, int editionId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var counts = await db.Outbox.Where(o => o.EditionId == editionId)
            .GroupBy(o => new { o.State, Due = o.NotBefore <= now })
            .Select(g => new { g.Key.State, g.Key.Due, Count = g.Count() })
            .ToListAsync(ct);
        int Count(OutboxState state, bool? due = null) => counts.Where(c => c.State == state && (due is null || c.Due == due)).Sum(c => c.Count);
        return new DeliveryFigures(
            counts.Sum(c => c.Count), Count(OutboxState.Sent), Count(OutboxState.Failed), Count(OutboxState.Dropped),
            Count(OutboxState.Pending, true), Count(OutboxState.Pending, false));
    }

    public string Text(string language, int number, DeliveryFigures f, double? rate)
    {
        var text = new StringBuilder();
        if (f.PendingDue == 0)
        {
            text.Append(strings.Format(language, "progress.done", number, f.Sent, f.Total, f.Failed, f.Dropped));
        }
        else
        {
            var eta = rate is > 0 ? TimeSpan.FromSeconds(f.PendingDue / rate.Value) : (TimeSpan?)null;
            text.Append(strings.Format(language, "progress.running", number, f.Sent, f.Total, f.Failed, f.Dropped,
                (rate ?? 0).ToString("0.#", CultureInfo.InvariantCulture),
                eta is { } e ? e.ToString(e.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "…"));
        }

        if (f.PendingLater > 0)
        {
            text.Append('\n').Append(strings.Format(language, "progress.later", f.PendingLater));
        }

        return text.ToString();
    }

    /// <summary>Sends the first progress message to each staff chat and remembers it for the reporter to edit.</summary>
    public async Task AnnounceAsync(BotDbContext db, Edition edition, IEnumerable<(long ChatId, string Language)> staff, CancellationToken ct)
    {
        var figures = await FiguresAsync(db, edition.Id, ct);
        foreach (var (chatId, language) in staff)
        {
            var outcome = await sender.SendTextAsync(chatId, Text(language, edition.Number, figures, null), ct: ct);
            if (outcome.Ok)
            {
                Track(db, edition.Id, chatId, outcome.MessageId, language, figures.Sent);
            }
        }

        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Messages of an edition sent by each of <paramref name="points"/> moments from its first send to its last: the delivery
    /// curve. The send times are read as a stream and counted into buckets, so memory stays flat whatever the edition's size.
    /// </summary>
    public static async Task<IReadOnlyList<(double Minutes, int Sent)>> CurveAsync(BotDbContext db, int editionId, int points, CancellationToken ct)
    {
        var sent = db.Outbox.Where(o => o.EditionId == editionId && o.State == OutboxState.Sent && o.SentAt != null).Select(o => o.SentAt!.Value);
        if (!await sent.AnyAsync(ct))
        {
            return [];
        }

        var first = await sent.MinAsync(ct);
        var span = Math.Max((await sent.MaxAsync(ct) - first).Ticks, 1);
        var buckets = new int[points];
        await foreach (var at in sent.AsAsyncEnumerable().WithCancellation(ct))
        {
            buckets[(int)Math.Min(points - 1, (at - first).Ticks * points / span)]++;
        }

        var curve = new List<(double, int)>(points + 1) { (0, 0) };
        var total = 0;
        for (var i = 0; i < points; i++)
        {
            total += buckets[i];
            curve.Add((TimeSpan.FromTicks(span * (i + 1) / points).TotalMinutes, total));
        }

        return curve;
    }

    /// <summary>The curve in the unit it reads best in, and that unit's string key: hours for an edition spread over readers' hours, else minutes.</summary>
    public static (IReadOnlyList<(double Since, int Sent)> Curve, string UnitKey) InUnits(IReadOnlyList<(double Minutes, int Sent)> curve) =>
        curve.Count > 0 && curve[^1].Minutes > 180
            ? (curve.Select(p => (p.Minutes / 60, p.Sent)).ToList(), "progress.chart.hours")
            : (curve, "progress.chart.minutes");

    public void Track(BotDbContext db, int editionId, long chatId, int messageId, string language, int sent) =>
        db.ProgressMessages.Add(new ProgressMessage
        {
            EditionId = editionId,
            ChatId = chatId,
            MessageId = messageId,
            Language = language,
            LastSent = sent,
            LastAt = time.GetUtcNow().UtcDateTime,
        });
}

/// <summary>Every few seconds, edits the progress messages of editions still going out: sent / total, failed, blocked, rate, ETA.</summary>
internal sealed partial class DeliveryProgressReporter(
    IServiceScopeFactory scopes,
    DeliveryProgress progress,
    BotSender sender,
    Localizer strings,
    Leadership leadership,
    TimeProvider time,
    ILogger<DeliveryProgressReporter> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxEvery = TimeSpan.FromSeconds(30);
    private const int CurvePoints = 60;

    /// <summary>A curve of fewer messages says nothing: a small edition's final figures come alone.</summary>
    private const int CurveMinimumMessages = 100;
    private readonly Dictionary<int, string> _shown = [];

    /// <summary>The leading instance reports, as it is the one sending.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(ReportWhileLeadingAsync, stoppingToken);

    private async Task ReportWhileLeadingAsync(CancellationToken stoppingToken)
    {
        _shown.Clear();
        var wait = Every;
        // A delay after each report rather than a PeriodicTimer: after a jump of the clock it reports once, not once per 3 s missed.
        while (true)
        {
            await Task.Delay(wait, time, stoppingToken);
            try
            {
                // Counting an edition's rows costs more the larger it is (about a second for a million on SQLite): the reporter
                // waits 30 times as long as its last count took (up to 30 s), so that counting never takes more than about 3 %
                // of the sender's machine. Only the count is timed: edits that wait out a flood must not slow the reports.
                var counting = await ReportAsync(stoppingToken);
                wait = TimeSpan.FromTicks(Math.Clamp(counting.Ticks * 30, Every.Ticks, MaxEvery.Ticks));
            }
            catch (Exception e) when (e is System.Data.Common.DbException or DbUpdateException)
            {
                LogFailed(logger, e);
            }
        }
    }

    /// <returns>How long counting the editions' rows took.</returns>
    internal async Task<TimeSpan> ReportAsync(CancellationToken ct)
    {
        var counting = TimeSpan.Zero;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        var open = await db.ProgressMessages.Where(p => !p.Done).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var group in open.GroupBy(p => p.EditionId))
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var figures = await progress.FiguresAsync(db, group.Key, ct);
            counting += System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var number = await db.Editions.Where(e => e.Id == group.Key).Select(e => e.Number).FirstAsync(ct);
            IReadOnlyList<(double Minutes, int Sent)>? curve = null;
            var pictures = new Dictionary<string, byte[]>(StringComparer.Ordinal); // one drawing per language, not per staff member
            foreach (var message in group)
            {
                var seconds = (now - message.LastAt).TotalSeconds;
                double? rate = seconds > 0.5 ? (figures.Sent - message.LastSent) / seconds : null;
                var text = progress.Text(message.Language, number, figures, rate);
                if (!_shown.TryGetValue(message.Id, out var shown) || shown != text)
                {
                    var outcome = await sender.EditTextAsync(message.ChatId, message.MessageId, text, ct: ct);
                    _shown[message.Id] = text;
                    if (outcome.Status is SendStatus.RecipientGone or SendStatus.Rejected)
                    {
                        message.Done = true; // the message is gone or the chat is; stop editing it
                    }
                }

                message.LastSent = figures.Sent;
                message.LastAt = now;
                if (figures.Pending == 0 && !message.Done)
                {
                    // The final figures: the delivery curve goes under them, in the staff member's language.
                    curve ??= await DeliveryProgress.CurveAsync(db, group.Key, CurvePoints, ct);
                    if (curve.Count > 1 && curve[^1].Sent >= CurveMinimumMessages)
                    {
                        if (!pictures.TryGetValue(message.Language, out var png))
                        {
                            var (drawn, unit) = DeliveryProgress.InUnits(curve);
                            pictures[message.Language] = png = StatsChart.RenderCurve(
                                drawn, strings.Format(message.Language, "progress.chart.title", number), strings.Get(message.Language, unit));
                        }

                        await sender.SendFileAsync(message.ChatId, png, "delivery.png", asPhoto: true, ct: ct);
                    }
                }

                if (figures.Pending == 0)
                {
                    message.Done = true;
                    _shown.Remove(message.Id);
                }
            }
        }

        await db.SaveChangesAsync(ct);
        return counting;
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Delivery progress could not be reported")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>/stats: subscribers, and the last editions' delivery figures.</summary>
internal sealed class StatsCommand(DeliveryProgress progress, TimeProvider time) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var db = context.Db;
        var byLanguage = await Subscriptions.SubscriberCounts.NowAsync(db, ct);
        var readers = await db.Readers.CountAsync(ct);
        var text = new StringBuilder(context.T("stats.title")).Append("\n\n")
            .Append(context.T("stats.subscribers", byLanguage.Sum(l => l.Count), string.Join(", ", byLanguage.Select(l => $"{l.Language} {l.Count}")), readers));
        // An edition's figures are counted once, for the text and the chart alike.
        var figures = new Dictionary<int, DeliveryFigures>();
        async Task<DeliveryFigures> FiguresOf(int editionId) =>
            figures.TryGetValue(editionId, out var f) ? f : figures[editionId] = await progress.FiguresAsync(db, editionId, ct);
        var editions = await db.Editions.AsNoTracking().OrderByDescending(e => e.Number).Take(5).ToListAsync(ct);
        text.Append("\n\n").Append(context.T(editions.Count == 0 ? "stats.editions.none" : "stats.editions"));
        foreach (var edition in editions)
        {
            var f = await FiguresOf(edition.Id);
            text.Append('\n').Append(context.T("stats.edition", edition.Number, edition.ReleasedAt.ToString("dd.MM HH:mm", CultureInfo.InvariantCulture),
                f.Sent, f.Total, f.Failed, f.Dropped, f.Pending));
        }

        await context.ReplyAsync(text.ToString(), ct: ct);
        var chart = StatsChart.Render(await FiguresAsync(db, byLanguage, FiguresOf, ct), context.T);
        await context.Sender.SendFileAsync(context.ChatId, chart, "stats.png", asPhoto: true, context.T("stats.chart.caption", StatsChart.Days), ct: ct);
    }

    /// <summary>The last <see cref="StatsChart.Days"/> days: subscribers by language and day, editions' outcomes, letters by week.</summary>
    private async Task<StatsFigures> FiguresAsync(
        Storage.BotDbContext db, IReadOnlyList<(string Language, int Count)> subscribedNow, Func<int, Task<DeliveryFigures>> figuresOf, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var first = today.AddDays(-(StatsChart.Days - 1));
        var subscribers = (await Subscriptions.SubscriberCounts.SinceAsync(db, first, today, subscribedNow, ct)).Select(s => new SubscribersOn(s.Day, s.Language, s.Count)).ToList();
        var since = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var outcomes = new List<EditionOutcome>();
        foreach (var edition in await db.Editions.AsNoTracking().Where(e => e.ReleasedAt >= since).OrderBy(e => e.Number).ToListAsync(ct))
        {
            var f = await figuresOf(edition.Id);
            outcomes.Add(new EditionOutcome(edition.Number, DateOnly.FromDateTime(edition.ReleasedAt), f.Sent, f.Failed, f.Dropped));
        }

        return new StatsFigures(today, subscribers, outcomes, await Tips.TipFigures.ByWeekAsync(db, first, ct));
    }
}
