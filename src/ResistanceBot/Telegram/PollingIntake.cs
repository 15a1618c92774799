using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace ResistanceBot.Telegram;

/// <summary>
/// Long polling: take a batch and hand each update to <see cref="ChatOrderedRunner"/>, which runs different chats concurrently
/// and one chat in order. The offset only moves past an update once it and every earlier one are done with
/// (<see cref="UpdateRun.DoneWith"/>): the offset reaches Telegram with the next getUpdates, so an update whose handler was cut
/// short by a crash comes again after the restart (and the update log keeps one that did finish from being handled twice).
/// Updates already taken come back in the next batch while they run; they are recognised by id and skipped, so the window of
/// updates in flight is Telegram's batch of 100 counted from the oldest one not done with.
/// </summary>
internal sealed partial class PollingIntake(
    ITelegramBotClient bot,
    ChatOrderedRunner runner,
    UpdateLog updateLog,
    Hosting.BotMetrics metrics,
    IOptions<TelegramOptions> options,
    TimeProvider time,
    ILogger<PollingIntake> logger) : BackgroundService
{
    internal static readonly UpdateType[] AllowedUpdates = [UpdateType.Message, UpdateType.EditedMessage, UpdateType.CallbackQuery, UpdateType.MyChatMember];

    /// <summary>While updates run, how long to wait for them to finish before asking for more anyway.</summary>
    private static readonly TimeSpan BusyLook = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// With this many updates unfinished or more, the next getUpdates waits until fewer are: each batch brings back the ones still
    /// running, and asking at once would read the same updates over and over for a few new ones. A quarter more than the
    /// slots keeps every slot busy through the round trip (at most 50: a batch is 100). With the 16 slots of the default, each
    /// update came 1.4 times instead of 2.4 with 50, and the benchmark's rate rose about 5 % (README, Performance).
    /// </summary>
    private int LowWater => Math.Min(options.Value.MaxConcurrentUpdates * 5 / 4, 50);

    private readonly SemaphoreSlim _finished = new(0);
    private int _unfinished;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Taken updates in id order, each with whether it is done with (false: cut short by shutdown, to come again).
        var taken = new LinkedList<(int Id, Task<bool> Finished)>();
        // Every handler still running, done with or not: shutdown waits for them (within the grace period).
        var running = new List<Task>();
        var next = 0; // the id after the last update taken
        var retry = new Hosting.Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        var webhookRemoved = false;
        LogStarted(logger);
        while (!stoppingToken.IsCancellationRequested)
        {
            var offset = Confirmable(taken, next);
            Update[] updates;
            try
            {
                if (!webhookRemoved)
                {
                    // getUpdates answers 409 while a webhook is set, e.g. after switching from webhook mode.
                    await bot.DeleteWebhook(dropPendingUpdates: false, stoppingToken);
                    webhookRemoved = true;
                }

                // With updates running, the batch comes back at once (it holds them), so there is nothing to wait for.
                updates = await bot.GetUpdates(offset, 100, taken.Count == 0 ? options.Value.PollTimeoutSeconds : 0, AllowedUpdates, stoppingToken);
                retry.Reset();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is RequestException or HttpRequestException or TaskCanceledException)
            {
                var delay = retry.Next();
                LogPollFailed(logger, (e as ApiRequestException)?.ErrorCode ?? 0, e.GetType().Name, delay.TotalSeconds);
                if (!await Hosting.Backoff.WaitAsync(delay, time, stoppingToken))
                {
                    break;
                }

                continue;
            }

            // Those still running from an earlier batch are skipped by id; of the new ones, those handled before a restart are
            // skipped as done, by one query for the batch.
            var fresh = updates.Where(u => u.Id >= next).ToList();
            IReadOnlySet<int> handled;
            try
            {
                handled = await updateLog.HandledAmongAsync(fresh, stoppingToken);
            }
            catch (Exception e) when (UpdateDispatcher.IsDatabaseFault(e) && !stoppingToken.IsCancellationRequested)
            {
                // Nothing of the batch was taken: it comes again with the next getUpdates.
                var delay = retry.Next();
                LogCheckFailed(logger, e.GetType().Name, delay.TotalSeconds);
                if (!await Hosting.Backoff.WaitAsync(delay, time, stoppingToken))
                {
                    break;
                }

                continue;
            }

            foreach (var update in fresh)
            {
                next = update.Id + 1;
                if (handled.Contains(update.Id))
                {
                    LogDuplicate(logger, update.Id);
                    metrics.DuplicateUpdate();
                    taken.AddLast((update.Id, Task.FromResult(true)));
                    continue;
                }

                Interlocked.Increment(ref _unfinished);
                var doneWith = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                running.Add(HandleAsync(update, doneWith, stoppingToken));
                taken.AddLast((update.Id, doneWith.Task));
            }

            running.RemoveAll(t => t.IsCompleted);
            if (!await PaceAsync(fresh.Count, stoppingToken))
            {
                break;
            }
        }

        // The handlers in flight finish (within the grace period); then Telegram learns how far everything is done.
        await Task.WhenAll(running);
        await ConfirmAsync(Confirmable(taken, next));
        LogStopped(logger);
    }

    /// <summary>
    /// Before the next getUpdates: nothing to wait for when no update runs; with many running, until fewer than
    /// <see cref="LowWater"/> are; with a batch that brought nothing new, until one finishes. Never longer than
    /// <see cref="BusyLook"/>. False when shutdown began.
    /// </summary>
    private async Task<bool> PaceAsync(int fresh, CancellationToken stoppingToken)
    {
        var waitFor = fresh == 0 ? Volatile.Read(ref _unfinished) - 1 : LowWater - 1;
        if (Volatile.Read(ref _unfinished) == 0 || Volatile.Read(ref _unfinished) <= waitFor)
        {
            return true;
        }

        // Real time, not the bot's clock: this paces requests to the Bot API, and a test's frozen clock must not stop intake.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            // The time left is read once per turn: read twice, it could go negative in between, and a negative wait throws.
            while (Volatile.Read(ref _unfinished) > waitFor && BusyLook - waited.Elapsed is var left && left > TimeSpan.Zero)
            {
                await _finished.WaitAsync(left, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return true;
    }

    /// <summary>Drops finished updates from the front and returns the offset that confirms exactly them.</summary>
    private static int Confirmable(LinkedList<(int Id, Task<bool> Finished)> taken, int next)
    {
        while (taken.First is { } first && first.Value.Finished.IsCompleted)
        {
            if (first.Value.Finished.IsCompletedSuccessfully && !first.Value.Finished.Result)
            {
                return first.Value.Id; // cut short: it must come again
            }

            taken.RemoveFirst();
        }

        return taken.First?.Value.Id ?? next;
    }

    /// <summary>
    /// Runs the update and says through <paramref name="doneWith"/> whether it is done with (handled, failed and apologised for,
    /// given up as stuck, or only its answer left to send): false when shutdown cut it short, so that it comes again. Never faults.
    /// </summary>
    private async Task HandleAsync(Update update, TaskCompletionSource<bool> doneWith, CancellationToken stoppingToken)
    {
        var run = runner.Start(update, stoppingToken);
        try
        {
            await run.DoneWith;
            DoneWith(true);
            await run.Finished;
        }
        catch (OperationCanceledException)
        {
            if (stoppingToken.IsCancellationRequested)
            {
                if (DoneWith(false))
                {
                    LogCutShort(logger, update.Id);
                }
                else
                {
                    LogAnswerCutShort(logger, update.Id);
                }
            }
            else
            {
                DoneWith(true);
                LogHandlerTimedOut(logger, update.Id, ChatOrderedRunner.HandlerLimit.TotalSeconds);
            }
        }
        catch (Exception e)
        {
            // The database stayed unreachable through the runner's tries (or a fault nobody caught): given up, and intake
            // goes on with the rest.
            DoneWith(true);
            LogGaveUp(logger, update.Id, e.GetType().Name);
        }

        bool DoneWith(bool result)
        {
            if (!doneWith.TrySetResult(result))
            {
                return false;
            }

            Interlocked.Decrement(ref _unfinished);
            _finished.Release();
            return true;
        }
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

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Taking updates by long polling")]
    private static partial void LogStarted(ILogger logger);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "getUpdates failed (code {ErrorCode}, {ExceptionType}); next try in {DelaySeconds:0.0} s")]
    private static partial void LogPollFailed(ILogger logger, int errorCode, string exceptionType, double delaySeconds);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Update {UpdateId} was cut short by shutdown; it will be handled after the restart")]
    private static partial void LogCutShort(ILogger logger, int updateId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Update {UpdateId} was already handled; skipped")]
    private static partial void LogDuplicate(ILogger logger, int updateId);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Warning, Message = "Could not check which updates were handled ({ExceptionType}); next try in {DelaySeconds:0.0} s")]
    private static partial void LogCheckFailed(ILogger logger, string exceptionType, double delaySeconds);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Warning, Message = "The answer to update {UpdateId} was not sent before shutdown")]
    private static partial void LogAnswerCutShort(ILogger logger, int updateId);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Error, Message = "Update {UpdateId} took longer than {LimitSeconds} s and was given up")]
    private static partial void LogHandlerTimedOut(ILogger logger, int updateId, double limitSeconds);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Error, Message = "Update {UpdateId} could not be handled ({ExceptionType}) and was given up")]
    private static partial void LogGaveUp(ILogger logger, int updateId, string exceptionType);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Stopped taking updates")]
    private static partial void LogStopped(ILogger logger);
}
