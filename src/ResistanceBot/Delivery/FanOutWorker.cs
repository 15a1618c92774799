using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Delivery;

/// <summary>Wakes the fan-out worker when rows are written, instead of waiting for its next look.</summary>
internal sealed class OutboxSignal : Hosting.Signal;

/// <summary>
/// Drains the outbox: claims due rows in batches (never a later part of an edition before the earlier one was sent), sends
/// them through <see cref="BotSender"/> with <c>Delivery:Parallelism</c> in flight, and records outcomes as they come, each
/// send's slot held until its outcome is written, so a crash can send again at most <c>Delivery:Parallelism</c> messages. 403 unsubscribes the reader and drops their rows; 400 is final;
/// transient failures come back later with backoff.
/// </summary>
internal sealed partial class FanOutWorker(
    IServiceScopeFactory scopes,
    BotSender sender,
    MessageJanitor janitor,
    DataSealer sealer,
    ErasableKeys keys,
    OutboxSignal signal,
    IBulkTemplates templates,
    Leadership leadership,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<FanOutWorker> logger) : BackgroundService
{
    private const int BatchSize = 512;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan IdleLook = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PartSpacing = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan GatherFor = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan RetryFirst = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RetryCeiling = TimeSpan.FromMinutes(30);

    /// <summary>Edition parts as they are sent, their buttons parsed once: a fan-out sends each part to many readers.</summary>
    private readonly Dictionary<(int Edition, string Language, int Variant, int Index), (string Html, InlineKeyboardMarkup? Markup)> _parts = [];

    /// <summary>Where the current sweep of the outbox has got to (keyset paging by id).</summary>
    private long _cursor;

    internal sealed record Row(long Id, int? EditionId, int PartIndex, int Variant, int? ReaderId, string? Language, byte[]? ChatSeal, byte[]? HtmlSeal, byte[]? ReaderChatSeal, int Attempts, string? Markup, int? Edit, int? DeleteAfterMinutes);

    /// <summary>Only the leading instance sends; when another takes over, it releases what this one had claimed.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(DrainAsync, stoppingToken);

    private async Task DrainAsync(CancellationToken stoppingToken)
    {
        await ReleaseStaleClaimsAsync(stoppingToken);
        _cursor = 0;
        var pause = new Hosting.Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (claimed, failedAll) = await RunBatchAsync(stoppingToken);
                if (failedAll)
                {
                    var delay = pause.Next();
                    LogPaused(logger, delay.TotalSeconds);
                    await Task.Delay(delay, time, stoppingToken);
                }
                else
                {
                    pause.Reset();
                    if (claimed == 0)
                    {
                        await signal.WaitAsync(IdleLook, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or DbUpdateException)
            {
                LogDatabase(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken);
            }
        }
    }

    /// <summary>One instance sends (<see cref="Leadership"/>): rows it finds claimed as it takes over were left by a crash or a predecessor.</summary>
    private async Task ReleaseStaleClaimsAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        var released = await db.Outbox.Where(o => o.State == OutboxState.Pending && o.ClaimedUntil != null)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.ClaimedUntil, (DateTime?)null), ct);
        if (released > 0)
        {
            LogResumed(logger, released);
        }
    }

    /// <returns>How many rows were claimed, and whether every send failed (Telegram unreachable: pause).</returns>
    internal async Task<(int Claimed, bool FailedAll)> RunBatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var batch = await ClaimAsync(db, now, _cursor, ct);
        if (batch.Count == 0 && _cursor > 0)
        {
            // End of this sweep: start again from the beginning, where retried and newly due rows wait.
            _cursor = 0;
            batch = await ClaimAsync(db, now, _cursor, ct);
        }

        if (batch.Count == 0)
        {
            return (0, false);
        }

        _cursor = batch.Count < BatchSize ? 0 : batch[^1].Id;

        await LoadPartsAsync(db, batch, ct);

        // A slot is held from before a send until its outcome is written: whatever a kill interrupts, at most Parallelism sends
        // went out without a record, and only those can go out again. Outcomes are written as they come, in small groups,
        // while the other slots go on sending.
        var slots = new SemaphoreSlim(options.Value.Parallelism);
        var finished = Channel.CreateUnbounded<(Row Row, SendOutcome Outcome)>(new UnboundedChannelOptions { SingleReader = true });
        var sending = Task.Run(
            async () =>
            {
                try
                {
                    var sends = new List<Task>(batch.Count);
                    foreach (var row in batch)
                    {
                        await slots.WaitAsync(ct);
                        sends.Add(SendOneAsync(row));
                    }

                    await Task.WhenAll(sends);
                    finished.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    finished.Writer.TryComplete(e);
                }
            },
            CancellationToken.None);

        async Task SendOneAsync(Row row) => finished.Writer.TryWrite((row, await SendAsync(row, ct)));

        var failures = 0;
        var recorded = 0;
        var outcomes = new List<(Row Row, SendOutcome Outcome)>();
        var gather = Math.Max(1, options.Value.Parallelism / 2);
        while (await finished.Reader.WaitToReadAsync(ct))
        {
            while (finished.Reader.TryRead(out var outcome))
            {
                outcomes.Add(outcome);
            }

            // A write per outcome would take SQLite's one write lock hundreds of times a second and starve the updates being
            // answered meanwhile: wait a moment (real time: this paces the database) for half the slots' outcomes.
            if (outcomes.Count < gather && outcomes.Count < batch.Count - recorded)
            {
                await Task.Delay(GatherFor, ct);
                while (finished.Reader.TryRead(out var outcome))
                {
                    outcomes.Add(outcome);
                }
            }

            recorded += outcomes.Count;

            await RecordAsync(db, outcomes, ct);
            failures += outcomes.Count(o => o.Outcome.Status == SendStatus.Failed);
            slots.Release(outcomes.Count);
            outcomes.Clear();
        }

        await sending;
        return (batch.Count, failures == batch.Count);
    }

    /// <summary>
    /// The next due rows after <paramref name="after"/>, in id order. Paging by id keeps each claim's cost to the rows it takes;
    /// ordering all pending rows by due time made every claim scan the whole outbox.
    /// </summary>
    internal static async Task<List<Row>> ClaimAsync(BotDbContext db, DateTime now, long after, CancellationToken ct)
    {
        var until = now.Add(Lease);
        // A later part waits while an earlier part of the same edition for the same reader is pending, and for a second after it
        // was sent: parts arrive in order, about one a second into each chat, without an in-memory limiter per subscriber.
        var spacing = now.Subtract(PartSpacing);
        if (db.SkipsLockedRows())
        {
            // Several instances may share the database: rows another transaction is claiming are skipped, never sent twice.
            var claimed = await db.Database.SqlQueryRaw<long>(PostgresClaim, after, now, spacing, BatchSize, until).ToListAsync(ct);
            return claimed.Count == 0 ? [] : await RowsAsync(db, db.Outbox.Where(o => claimed.Contains(o.Id)), ct);
        }

        // SQLite: one instance, one writer at a time.
        var due = db.Outbox.Where(o => o.Id > after && o.State == OutboxState.Pending && o.NotBefore <= now && (o.ClaimedUntil == null || o.ClaimedUntil < now));
        // (.Value: edition rows always have a reader; without it EF writes a null-safe comparison that no index can serve.)
        var ready = due.Where(o => o.EditionId == null || o.ReaderId == null
            || !db.Outbox.Any(p => p.EditionId == o.EditionId && p.ReaderId!.Value == o.ReaderId.Value && p.PartIndex < o.PartIndex
                && (p.State == OutboxState.Pending || p.SentAt > spacing)));
        var rows = await RowsAsync(db, ready.OrderBy(o => o.Id).Take(BatchSize), ct);
        if (rows.Count > 0)
        {
            var ids = rows.Select(r => r.Id).ToList();
            await db.Outbox.Where(o => ids.Contains(o.Id)).ExecuteUpdateAsync(s => s.SetProperty(o => o.ClaimedUntil, until), ct);
        }

        return rows;
    }

    /// <summary>The same rule as the SQLite query above, claimed in one statement with <c>FOR UPDATE SKIP LOCKED</c>.</summary>
    private const string PostgresClaim = """
        WITH due AS (
            SELECT o."Id" FROM "outbox" AS o
            WHERE o."Id" > {0} AND o."State" = 'Pending' AND o."NotBefore" <= {1}
              AND (o."ClaimedUntil" IS NULL OR o."ClaimedUntil" < {1})
              AND (o."EditionId" IS NULL OR o."ReaderId" IS NULL OR NOT EXISTS (
                  SELECT 1 FROM "outbox" AS p
                  WHERE p."EditionId" = o."EditionId" AND p."ReaderId" = o."ReaderId" AND p."PartIndex" < o."PartIndex"
                    AND (p."State" = 'Pending' OR p."SentAt" > {2})))
            ORDER BY o."Id"
            LIMIT {3}
            FOR UPDATE SKIP LOCKED)
        UPDATE "outbox" AS u SET "ClaimedUntil" = {4} FROM due WHERE u."Id" = due."Id"
        RETURNING u."Id" AS "Value"
        """;

    private static Task<List<Row>> RowsAsync(BotDbContext db, IQueryable<OutboxMessage> rows, CancellationToken ct) => (
            from o in rows
            join r in Subscriptions.Subscription.Chats(db) on o.ReaderId equals r.ReaderId into readers
            from r in readers.DefaultIfEmpty()
            orderby o.Id
            select new Row(o.Id, o.EditionId, o.PartIndex, o.Variant, o.ReaderId, o.Language, o.SealedChatId, o.SealedHtml, r == null ? null : r.SealedChatId, o.Attempts, o.ReplyMarkup, o.EditMessageId, o.DeleteAfterMinutes))
        .AsNoTracking()
        .ToListAsync(ct);

    private async Task LoadPartsAsync(BotDbContext db, List<Row> batch, CancellationToken ct)
    {
        var missing = batch.Where(r => r.EditionId is { } e && !_parts.ContainsKey((e, r.Language!, r.Variant, r.PartIndex))).Select(r => r.EditionId!.Value).Distinct().ToList();
        if (missing.Count == 0)
        {
            return;
        }

        if (_parts.Count > 200)
        {
            _parts.Clear(); // old editions; the current one is loaded again below
        }

        foreach (var part in await templates.LoadAsync(db, missing, ct))
        {
            _parts[(part.Bulk, part.Language, part.Variant, part.Index)] = (part.Html, Markup(part.ReplyMarkup));
        }
    }

    private async Task<SendOutcome> SendAsync(Row row, CancellationToken ct)
    {
        long chatId;
        string html;
        InlineKeyboardMarkup? markup;
        try
        {
            if (row.EditionId is { } edition)
            {
                if (row.ReaderChatSeal is null)
                {
                    return new SendOutcome(SendStatus.RecipientGone, Error: "unsubscribed");
                }

                chatId = sealer.OpenInt64(row.ReaderChatSeal, Purposes.SubscriberChat);
                if (!_parts.TryGetValue((edition, row.Language!, row.Variant, row.PartIndex), out var part))
                {
                    return new SendOutcome(SendStatus.Rejected, Error: "the edition part is missing");
                }

                (html, markup) = part;
            }
            else if (Aead.Header(row.ChatSeal) is (1, _))
            {
                // Queued before one-off messages were sealed under erasable keys.
                chatId = sealer.OpenInt64(row.ChatSeal!, Outbox.OneOffPurpose);
                html = System.Text.Encoding.UTF8.GetString(sealer.Open(row.HtmlSeal!, Outbox.OneOffPurpose));
                markup = Markup(row.Markup);
            }
            else if (await keys.OpenInt64Async(row.ChatSeal!, Outbox.OneOffPurpose, ct) is { } oneOffChat
                && await keys.OpenAsync(row.HtmlSeal!, Outbox.OneOffPurpose, ct) is { } oneOffHtml)
            {
                (chatId, html, markup) = (oneOffChat, System.Text.Encoding.UTF8.GetString(oneOffHtml), Markup(row.Markup));
            }
            else
            {
                return new SendOutcome(SendStatus.Rejected, Error: "sealed under a key that is erased or no longer configured");
            }
        }
        catch (CryptographicException)
        {
            return new SendOutcome(SendStatus.Rejected, Error: "sealed with a key that is no longer configured");
        }

        // Edition parts are paced per chat by the claim query; one-off messages (to groups, to tipsters) by the sender's limiter.
        // Editions are bulk: answers and staff notices overtake them under the one ceiling.
        var lane = row.EditionId is null ? SendLane.Notice : SendLane.Bulk;
        var outcome = row.Edit is { } edit
            ? await sender.EditTextAsync(chatId, edit, html, markup, lane, ct)
            : await sender.SendTextAsync(
                chatId, html, markup, perChatPaced: row.EditionId is not null, lane: lane, paidBroadcast: row.EditionId is not null && options.Value.PaidBroadcast, ct: ct);
        if (outcome.Ok && row.DeleteAfterMinutes is { } minutes)
        {
            janitor.DeleteLater(chatId, outcome.MessageId, TimeSpan.FromMinutes(minutes), language: null);
        }

        return outcome;
    }

    private async Task RecordAsync(BotDbContext db, List<(Row Row, SendOutcome Outcome)> outcomes, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var gone = new HashSet<int>();
        var finished = new List<long>();
        foreach (var (row, outcome) in outcomes)
        {
            if (row.EditionId is null && (outcome.Status != SendStatus.Failed || row.Attempts + 1 >= options.Value.MaxAttempts))
            {
                finished.Add(row.Id); // a one-off message leaves no row once it is sent or given up
                continue;
            }

            var stub = new OutboxMessage { Id = row.Id, ClaimedUntil = DateTime.MinValue };
            db.Outbox.Attach(stub);
            stub.ClaimedUntil = null; // differs from the attached value, so EF writes it
            switch (outcome.Status)
            {
                case SendStatus.Sent:
                    stub.State = OutboxState.Sent;
                    stub.SentAt = now;
                    stub.SentMessageId = outcome.MessageId;
                    break;
                case SendStatus.RecipientGone:
                    stub.State = OutboxState.Dropped;
                    stub.LastError = outcome.Error == "unsubscribed" ? "unsubscribed" : "blocked the bot";
                    if (row.ReaderId is { } reader && outcome.Error != "unsubscribed")
                    {
                        gone.Add(reader);
                    }

                    break;
                case SendStatus.Rejected:
                    stub.State = OutboxState.Failed;
                    stub.LastError = Trim(outcome.Error);
                    break;
                default:
                    var attempts = row.Attempts + 1;
                    stub.Attempts = attempts;
                    stub.LastError = Trim(outcome.Error);
                    if (attempts >= options.Value.MaxAttempts)
                    {
                        stub.State = OutboxState.Failed;
                    }
                    else
                    {
                        stub.NotBefore = now.Add(Hosting.Backoff.After(attempts, RetryFirst, RetryCeiling));
                    }

                    break;
            }
        }

        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        if (finished.Count > 0)
        {
            await db.Outbox.Where(o => finished.Contains(o.Id)).ExecuteDeleteAsync(ct);
        }

        if (gone.Count > 0)
        {
            // The reader blocked the bot or deleted their account: unsubscribed, and nothing more is sent to them.
            var ids = gone.ToList();
            await Subscriptions.Subscription.EndAsync(db, ids, ct);
            await db.Outbox.Where(o => o.ReaderId != null && ids.Contains(o.ReaderId.Value) && o.State == OutboxState.Pending)
                .ExecuteUpdateAsync(s => s.SetProperty(o => o.State, OutboxState.Dropped).SetProperty(o => o.LastError, "blocked the bot").SetProperty(o => o.ClaimedUntil, (DateTime?)null), ct);
            LogUnsubscribed(logger, ids.Count);
        }
    }

    private static InlineKeyboardMarkup? Markup(string? json) =>
        json is null ? null : System.Text.Json.JsonSerializer.Deserialize<InlineKeyboardMarkup>(json, global::Telegram.Bot.JsonBotAPI.Options);

    private static string? Trim(string? error) => error is { Length: > 300 } ? error[..300] : error;

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Resuming {Count} deliveries left claimed by a previous run")]
    private static partial void LogResumed(ILogger logger, int count);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "{Count} readers blocked the bot during delivery and were unsubscribed")]
    private static partial void LogUnsubscribed(ILogger logger, int count);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Every send of the last batch failed; pausing delivery for {Seconds} s")]
    private static partial void LogPaused(ILogger logger, double seconds);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Delivery could not reach the database; retrying in 5 s")]
    private static partial void LogDatabase(ILogger logger, Exception exception);
}
