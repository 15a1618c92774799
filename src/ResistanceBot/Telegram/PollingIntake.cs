using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace ResistanceBot.Telegram;

/// <summary>
/// Long polling: take a batch, handle each update, and only then move the offset past it. The offset reaches Telegram with the
/// next getUpdates, so an update whose handler was cut short by a crash comes again after the restart (and the update log
/// keeps one that did finish from being handled twice).
/// </summary>
internal sealed partial class PollingIntake(
    ITelegramBotClient bot,
    UpdateDispatcher dispatcher,
    IOptions<TelegramOptions> options,
    TimeProvider time,
    ILogger<PollingIntake> logger) : BackgroundService
{
    internal static readonly UpdateType[] AllowedUpdates = [UpdateType.Message, UpdateType.EditedMessage, UpdateType.CallbackQuery, UpdateType.MyChatMember];

    /// <summary>How long a handler may run on after shutdown begins.</summary>
    private static readonly TimeSpan HandlerGrace = TimeSpan.FromSeconds(20);

    /// <summary>A handler running longer than this is stuck: it is cancelled and the update is given up.</summary>
    private static readonly TimeSpan HandlerLimit = TimeSpan.FromMinutes(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var offset = 0;
        var failures = 0;
        var webhookRemoved = false;
        LogStarted(logger);
        while (!stoppingToken.IsCancellationRequested)
        {
            Update[] updates;
            try
            {
                if (!webhookRemoved)
                {
                    // getUpdates answers 409 while a webhook is set, e.g. after switching from webhook mode.
                    await bot.DeleteWebhook(dropPendingUpdates: false, stoppingToken);
                    webhookRemoved = true;
                }

                updates = await bot.GetUpdates(offset, 100, options.Value.PollTimeoutSeconds, AllowedUpdates, stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is RequestException or HttpRequestException or TaskCanceledException)
            {
                failures++;
                var delay = Backoff(failures);
                LogPollFailed(logger, (e as ApiRequestException)?.ErrorCode ?? 0, e.GetType().Name, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            foreach (var update in updates)
            {
                // The handler in flight finishes even when shutdown has begun (within a grace period); no new one starts after that.
                using var handler = new CancellationTokenSource(HandlerLimit, time);
                using var shutdown = stoppingToken.Register(() => handler.CancelAfter(HandlerGrace));
                try
                {
                    await dispatcher.DispatchAsync(update, handler.Token);
                }
                catch (OperationCanceledException) when (handler.IsCancellationRequested)
                {
                    if (stoppingToken.IsCancellationRequested)
                    {
                        // Not confirmed: the update comes again after the restart.
                        LogCutShort(logger, update.Id);
                        break;
                    }

                    LogHandlerTimedOut(logger, update.Id, HandlerLimit.TotalSeconds);
                }

                offset = update.Id + 1;
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        await ConfirmAsync(offset);
        LogStopped(logger);
    }

    /// <summary>Tells Telegram which updates are done, so that a clean restart does not receive them again.</summary>
    private async Task ConfirmAsync(int offset)
    {
        if (offset == 0)
        {
            return;
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3), time);
            await bot.GetUpdates(offset, 1, 0, AllowedUpdates, cts.Token);
        }
        catch (Exception e) when (e is RequestException or HttpRequestException or OperationCanceledException)
        {
            // Not confirmed: the update log will skip these when they come again.
        }
    }

    private static TimeSpan Backoff(int failures) =>
        TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(failures, 5)) / 2) * (0.8 + (Random.Shared.NextDouble() * 0.4)));

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Taking updates by long polling")]
    private static partial void LogStarted(ILogger logger);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "getUpdates failed (code {ErrorCode}, {ExceptionType}); next try in {DelaySeconds:0.0} s")]
    private static partial void LogPollFailed(ILogger logger, int errorCode, string exceptionType, double delaySeconds);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Update {UpdateId} was cut short by shutdown; it will be handled after the restart")]
    private static partial void LogCutShort(ILogger logger, int updateId);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Error, Message = "Update {UpdateId} took longer than {LimitSeconds} s and was given up")]
    private static partial void LogHandlerTimedOut(ILogger logger, int updateId, double limitSeconds);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Stopped taking updates")]
    private static partial void LogStopped(ILogger logger);
}
