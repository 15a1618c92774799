using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Delivery;

internal enum SendStatus
{
    Sent,

    /// <summary>403: the reader blocked the bot or deleted their account. Expected, not a fault.</summary>
    RecipientGone,

    /// <summary>400: Telegram refused the message itself; retrying cannot help.</summary>
    Rejected,

    /// <summary>429, 5xx or network faults outlasted the retries.</summary>
    Failed,
}

internal readonly record struct SendOutcome(SendStatus Status, int MessageId = 0, string? Error = null)
{
    public bool Ok => Status == SendStatus.Sent;
}

/// <summary>
/// The one way out to Telegram. Every message passes the rate limiters and one retry policy: a 429 closes the flood gate for
/// <c>retry_after</c> and the same call is tried again; 5xx and network faults back off with jitter. Telegram.Bot's own 429 retry
/// is switched off (RetryThreshold 0) so that this is the only one.
/// </summary>
internal sealed partial class BotSender(ITelegramBotClient bot, SendLimiter limiter, FloodGate gate, Hosting.BotMetrics metrics, TimeProvider time, ILogger<BotSender> logger)
{
    private readonly ResiliencePipeline _pipeline = BuildPipeline(gate, metrics, time, logger);

    private static ResiliencePipeline BuildPipeline(FloodGate gate, Hosting.BotMetrics metrics, TimeProvider time, ILogger logger) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<ApiRequestException>(e => e.ErrorCode == 429 || e.ErrorCode >= 500)
                    .Handle<RequestException>(e => e is not ApiRequestException)
                    .Handle<HttpRequestException>(),
                MaxRetryAttempts = 5,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(300),
                MaxDelay = TimeSpan.FromSeconds(30),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is ApiRequestException { ErrorCode: 429, Parameters.RetryAfter: { } seconds }
                        ? TimeSpan.FromSeconds(seconds)
                        : (TimeSpan?)null),
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is ApiRequestException { ErrorCode: 429, Parameters.RetryAfter: { } seconds })
                    {
                        metrics.TooManyRequests();
                        gate.Close(TimeSpan.FromSeconds(seconds));
                        LogFloodWait(logger, seconds);
                    }
                    else
                    {
                        var code = ErrorCode(args.Outcome.Exception);
                        LogRetrying(logger, args.AttemptNumber + 1, code, args.RetryDelay.TotalMilliseconds);
                    }

                    return ValueTask.CompletedTask;
                },
            })
            // Inside the retry: when most calls fail, stop calling a dead API for a while; the retry does not retry a broken circuit.
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<ApiRequestException>(e => e.ErrorCode >= 500)
                    .Handle<RequestException>(e => e is not ApiRequestException)
                    .Handle<HttpRequestException>(),
                FailureRatio = 0.5,
                MinimumThroughput = 20,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = TimeSpan.FromSeconds(10),
                OnOpened = args =>
                {
                    LogCircuitOpened(logger, args.BreakDuration.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    /// <summary>
    /// Sends HTML; <paramref name="perChatPaced"/> is true when the caller already spaces messages to this chat (the fan-out's
    /// edition parts); <paramref name="protect"/> forbids forwarding and saving it; <paramref name="replyTo"/> answers a message.
    /// <paramref name="lane"/> defaults to the ambient one (<see cref="SendLanes"/>); <paramref name="paidBroadcast"/> sets
    /// Telegram's <c>allow_paid_broadcast</c>.
    /// </summary>
    public Task<SendOutcome> SendTextAsync(
        long chatId, string html, InlineKeyboardMarkup? markup = null, bool preview = false, bool perChatPaced = false, bool protect = false, int? replyTo = null,
        SendLane? lane = null, bool paidBroadcast = false, CancellationToken ct = default) =>
        SendAsync(chatId, "sendMessage", async c => (await bot.SendMessage(
            chatId, html, ParseMode.Html, replyParameters: replyTo is { } to ? new ReplyParameters { MessageId = to } : null, replyMarkup: markup,
            linkPreviewOptions: new LinkPreviewOptions { IsDisabled = !preview }, protectContent: protect, allowPaidBroadcast: paidBroadcast, cancellationToken: c)).Id,
            ct, perChat: !perChatPaced, lane: lane);

    public Task<SendOutcome> EditTextAsync(long chatId, int messageId, string html, InlineKeyboardMarkup? markup = null, SendLane? lane = null, CancellationToken ct = default) =>
        SendAsync(chatId, "editMessageText", async c => (await bot.EditMessageText(
            chatId, messageId, html, ParseMode.Html, replyMarkup: markup,
            linkPreviewOptions: new LinkPreviewOptions { IsDisabled = true }, cancellationToken: c)).Id, ct, lane: lane);

    /// <summary>Uploads a file as a new message (never a forward: nothing links it to where it came from).</summary>
    public Task<SendOutcome> SendFileAsync(long chatId, byte[] content, string fileName, bool asPhoto, string? captionHtml = null, bool protect = false, CancellationToken ct = default) =>
        SendAsync(chatId, asPhoto ? "sendPhoto" : "sendDocument", async c =>
        {
            using var stream = new MemoryStream(content, writable: false);
            var file = InputFile.FromStream(stream, fileName);
            return asPhoto
                ? (await bot.SendPhoto(chatId, file, captionHtml, ParseMode.Html, protectContent: protect, cancellationToken: c)).Id
                : (await bot.SendDocument(chatId, file, captionHtml, ParseMode.Html, protectContent: protect, cancellationToken: c)).Id;
        }, ct);

    /// <summary>Removes the buttons under a message.</summary>
    public Task<SendOutcome> EditReplyMarkupAsync(long chatId, int messageId, CancellationToken ct = default) => EditReplyMarkupAsync(chatId, messageId, null, ct);

    /// <summary>Replaces the buttons under a message (none when <paramref name="markup"/> is null).</summary>
    public Task<SendOutcome> EditReplyMarkupAsync(long chatId, int messageId, InlineKeyboardMarkup? markup, CancellationToken ct = default) =>
        SendAsync(chatId, "editMessageReplyMarkup", async c => (await bot.EditMessageReplyMarkup(chatId, messageId, markup, cancellationToken: c)).Id, ct, limited: false);

    public Task<SendOutcome> DeleteAsync(long chatId, IReadOnlyCollection<int> messageIds, CancellationToken ct = default) =>
        SendAsync(chatId, "deleteMessages", async c =>
        {
            foreach (var chunk in messageIds.Chunk(100))
            {
                await bot.DeleteMessages(chatId, chunk, c);
            }

            return 0;
        }, ct, limited: false);

    /// <summary>
    /// Deletes messages one by one (deleteMessages skips what it cannot delete without saying so) and returns those that are still
    /// there: older than Telegram's 48 hours, say. A message already gone counts as deleted.
    /// </summary>
    public async Task<IReadOnlyList<int>> DeleteEachAsync(long chatId, IEnumerable<int> messageIds, CancellationToken ct = default)
    {
        var left = new List<int>();
        foreach (var id in messageIds)
        {
            var outcome = await SendAsync(chatId, "deleteMessage", async c =>
            {
                await bot.DeleteMessage(chatId, id, c);
                return 0;
            }, ct, limited: false);
            if (!outcome.Ok && outcome.Error?.Contains("not found", StringComparison.Ordinal) != true)
            {
                left.Add(id);
            }
        }

        return left;
    }

    /// <summary>
    /// Answers a button press; the spinner on the reader's button stops. Not rate limited: it sends no message. Retried like a
    /// send, and never a failure of the handler: the press has been acted on by now (an edition released, a ban made), and a
    /// lost answer must not turn that into "something went wrong" or stop the message that reports it.
    /// </summary>
    public async Task AnswerCallbackAsync(string callbackQueryId, string? text = null, CancellationToken ct = default)
    {
        try
        {
            await _pipeline.ExecuteAsync(async c => await bot.AnswerCallbackQuery(callbackQueryId, text, cancellationToken: c), ct);
        }
        catch (ApiRequestException e) when (e.ErrorCode == 400)
        {
            // The press is older than Telegram keeps it; nothing to do.
            LogRefused(logger, "answerCallbackQuery", e.ErrorCode, e.Message);
        }
        catch (Exception e) when (e is RequestException or HttpRequestException or BrokenCircuitException)
        {
            LogGaveUp(logger, "answerCallbackQuery", ErrorCode(e), e.GetType().Name);
        }
    }

    private async Task<SendOutcome> SendAsync(
        long chatId, string method, Func<CancellationToken, Task<int>> call, CancellationToken ct, bool limited = true, bool perChat = true, SendLane? lane = null)
    {
        var outcome = await TrySendAsync(chatId, method, call, limited, perChat, lane ?? SendLanes.Current, ct);
        metrics.Sent(outcome.Status);
        return outcome;
    }

    private async Task<SendOutcome> TrySendAsync(long chatId, string method, Func<CancellationToken, Task<int>> call, bool limited, bool perChat, SendLane lane, CancellationToken ct)
    {
        try
        {
            var messageId = await _pipeline.ExecuteAsync(
                async c =>
                {
                    await gate.WaitAsync(c);
                    if (!limited)
                    {
                        return await call(c);
                    }

                    using var permit = await limiter.AcquireAsync(chatId, perChat, lane, c);
                    return await call(c);
                },
                ct);
            return new SendOutcome(SendStatus.Sent, messageId);
        }
        catch (ApiRequestException e) when (e.ErrorCode == 403)
        {
            LogRecipientGone(logger, method);
            return new SendOutcome(SendStatus.RecipientGone, Error: e.Message);
        }
        catch (ApiRequestException e) when (e.ErrorCode is 400 or 404)
        {
            LogRefused(logger, method, e.ErrorCode, e.Message);
            return new SendOutcome(SendStatus.Rejected, Error: e.Message);
        }
        catch (BrokenCircuitException)
        {
            return new SendOutcome(SendStatus.Failed, Error: "the Bot API is failing; calls paused");
        }
        catch (Exception e) when (e is RequestException or HttpRequestException)
        {
            if (ErrorCode(e) == 429)
            {
                metrics.TooManyRequests(); // the last one, after which the retries ran out
            }

            LogGaveUp(logger, method, ErrorCode(e), e.GetType().Name);
            return new SendOutcome(SendStatus.Failed, Error: e.GetType().Name);
        }
    }

    private static int ErrorCode(Exception? e) => e is ApiRequestException api ? api.ErrorCode : 0;

    [LoggerMessage(EventId = 1106, Level = LogLevel.Error, Message = "Most Bot API calls are failing: calls pause for {Seconds} s")]
    private static partial void LogCircuitOpened(ILogger logger, double seconds);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Telegram asked for a flood wait of {Seconds} s; all sends pause")]
    private static partial void LogFloodWait(ILogger logger, int seconds);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Bot API call failed (code {ErrorCode}); attempt {Attempt} in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, int attempt, int errorCode, double delayMs);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "{Method}: the recipient blocked the bot or is gone (403)")]
    private static partial void LogRecipientGone(ILogger logger, string method);

    // Bot API descriptions name our own markup, never a reader's text: reader text is escaped before it is sent.
    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "{Method} refused by the Bot API ({ErrorCode}): {Description}")]
    private static partial void LogRefused(ILogger logger, string method, int errorCode, string description);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Error, Message = "{Method} failed after retries (code {ErrorCode}, {ExceptionType})")]
    private static partial void LogGaveUp(ILogger logger, string method, int errorCode, string exceptionType);
}
