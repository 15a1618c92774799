using Microsoft.Extensions.Options;
using ResistanceBot.Delivery;
using Telegram.Bot.Types;

namespace ResistanceBot.Telegram;

/// <summary>
/// Which updates take a free slot first when all are busy: a staff member's, then the tip line's (a message that is not a
/// command, and the tip line's commands and buttons), then every other. Within a lane, the oldest first.
/// </summary>
internal enum IntakeLane
{
    Staff = 0,
    TipLine = 1,
    Reader = 2,
}

/// <summary>
/// An update handed to <see cref="ChatOrderedRunner"/>. <see cref="DoneWith"/> completes once a crash could lose nothing of it
/// but answers: when it has been handled, or when it is a reader's whose handler has saved everything and only waits for
/// Telegram's rate limit to send. Until then the intake must not confirm it to Telegram. <see cref="Finished"/> completes when
/// the handler has returned. Both fault only with cancellation, or when the update could not be claimed.
/// </summary>
internal readonly record struct UpdateRun(Task DoneWith, Task Finished);

/// <summary>
/// Runs updates of different chats concurrently, at most <c>Telegram:MaxConcurrentUpdates</c> at once, and the updates of one
/// chat strictly one after another in the order they were given (as grammY's runner with <c>sequentialize</c> does). Both
/// intakes hand every update here, so polling and webhooks behave alike. An update waiting for a slot waits in its
/// <see cref="IntakeLane"/>: a burst of readers' /start does not hold up a moderator's /open or a tipster's /send.
/// <para>
/// A reader's update whose answer has to wait for the rate limit gives up its slot and is done with for the intake
/// (<see cref="UpdateRun.DoneWith"/>), up to <c>Telegram:MaxWaitingAnswers</c> at once: the intake confirms it and reads on, so a
/// staff member's update behind a thousand readers' is read within a second rather than after their thirty seconds of answers.
/// A crash in that wait loses the reader's answer, never what the handler saved; staff and tip-line updates are never done
/// with before they are handled, so a crash brings those back whole.
/// </para>
/// </summary>
internal sealed partial class ChatOrderedRunner(UpdateDispatcher dispatcher, IOptions<TelegramOptions> options, TimeProvider time, ILogger<ChatOrderedRunner> logger)
{
    /// <summary>How long a handler may run on after shutdown begins.</summary>
    internal static readonly TimeSpan HandlerGrace = TimeSpan.FromSeconds(20);

    /// <summary>A handler running (or waiting behind its chat) longer than this is stuck: it is cancelled and the update is given up.</summary>
    internal static readonly TimeSpan HandlerLimit = TimeSpan.FromMinutes(2);

    private readonly Dictionary<long, Task> _tails = [];
    private readonly HashSet<Task> _running = [];
    private readonly Lock _lock = new();
    private readonly LaneWaiters<bool> _waiting = new(Enum.GetValues<IntakeLane>().Length);
    private int _free = options.Value.MaxConcurrentUpdates;
    private int _answersWaiting;

    /// <summary>Updates started whose handlers have not returned yet, answers waiting included (for tests).</summary>
    internal int Running
    {
        get
        {
            lock (_lock)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>
    /// Queues the update behind the earlier updates of its chat. Its handler is cancelled <see cref="HandlerLimit"/> after it
    /// was given, or <see cref="HandlerGrace"/> after <paramref name="stoppingToken"/> fires. Never faults for a handler's fault:
    /// the dispatcher ends those.
    /// </summary>
    public UpdateRun Start(Update update, CancellationToken stoppingToken)
    {
        var handler = new CancellationTokenSource(HandlerLimit, time);
        var shutdown = stoppingToken.Register(() => handler.CancelAfter(HandlerGrace));
        var run = new Run(update);
        Task finished;
        if (ChatOf(update) is not { } key)
        {
            finished = RunNowAsync(run, handler.Token);
        }
        else
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task previous;
            lock (_lock)
            {
                previous = _tails.GetValueOrDefault(key) ?? Task.CompletedTask;
                _tails[key] = done.Task;
            }

            finished = RunAfterAsync(previous, done, key, run, handler.Token);
        }

        finished = EndAsync(finished, run, handler, shutdown);
        lock (_lock)
        {
            _running.Add(finished);
        }

        // Also observes the fault of a run nobody awaits to the end (a webhook request answers once it is done with).
        finished.ContinueWith(
            (t, state) =>
            {
                var runner = (ChatOrderedRunner)state!;
                lock (runner._lock)
                {
                    runner._running.Remove(t);
                }

                _ = t.Exception;
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return new UpdateRun(run.DoneWith.Task, finished);
    }

    /// <summary>Completes when every update started so far has finished (at shutdown, within <see cref="HandlerGrace"/>).</summary>
    public Task IdleAsync()
    {
        lock (_lock)
        {
            return Task.WhenAll(_running).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private static async Task EndAsync(Task finished, Run run, CancellationTokenSource handler, CancellationTokenRegistration shutdown)
    {
        try
        {
            await finished;
        }
        catch (Exception e)
        {
            // Not done with before it failed: the intake learns why from DoneWith.
            if (e is OperationCanceledException)
            {
                run.DoneWith.TrySetCanceled();
            }
            else
            {
                run.DoneWith.TrySetException(e);
            }

            throw;
        }
        finally
        {
            run.DoneWith.TrySetResult();
            await shutdown.DisposeAsync();
            handler.Dispose();
        }
    }

    private async Task RunAfterAsync(Task previous, TaskCompletionSource done, long chat, Run run, CancellationToken ct)
    {
        try
        {
            await previous; // completes only successfully: it is the previous update's TaskCompletionSource
            await RunNowAsync(run, ct);
        }
        finally
        {
            lock (_lock)
            {
                if (_tails.TryGetValue(chat, out var tail) && tail == done.Task)
                {
                    _tails.Remove(chat);
                }
            }

            done.SetResult();
        }
    }

    private async Task RunNowAsync(Run run, CancellationToken ct)
    {
        // Off the caller's thread: SQLite's "async" calls complete synchronously, and the intake must go on taking updates.
        await Task.Yield();
        var lane = dispatcher.LaneOf(run.Update);
        await TakeSlotAsync(lane, ct);
        run.HoldsSlot = true;
        try
        {
            // Only a reader's answers may be left waiting; a staff member's or a tipster's update is done with once handled.
            Func<bool>? answersLeft = lane == IntakeLane.Reader ? () => AnswersOnlyLeft(run) : null;

            // The database refused the claim (locked, unreachable): nothing was done yet, so the update is tried again here,
            // in its place in its chat's order. After the last try the fault goes up to the intake, which logs it.
            await Hosting.Backoff.RetryAsync(
                c => dispatcher.DispatchAsync(run.Update, answersLeft, c),
                UpdateDispatcher.IsDatabaseFault,
                (e, attempt) => LogRetrying(logger, run.Update.Id, e.GetType().Name, attempt),
                TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5), ct);
        }
        finally
        {
            lock (_lock)
            {
                if (run.HoldsSlot)
                {
                    ReleaseSlot();
                }

                if (run.AnswersWaiting)
                {
                    _answersWaiting--;
                }
            }
        }
    }

    /// <summary>The dispatcher says only answers are left of a reader's update: it is done with, if the cap allows.</summary>
    private bool AnswersOnlyLeft(Run run)
    {
        lock (_lock)
        {
            if (run.AnswersWaiting || _answersWaiting >= options.Value.MaxWaitingAnswers)
            {
                return run.AnswersWaiting;
            }

            _answersWaiting++;
            run.AnswersWaiting = true;
            run.HoldsSlot = false;
            ReleaseSlot();
        }

        run.DoneWith.TrySetResult();
        return true;
    }

    [LoggerMessage(EventId = 1210, Level = LogLevel.Warning, Message = "Update {UpdateId} could not be claimed ({ExceptionType}, attempt {Attempt}); trying again")]
    private static partial void LogRetrying(ILogger logger, int updateId, string exceptionType, int attempt);

    /// <summary>One update's way through the runner; its flags change under the runner's lock.</summary>
    private sealed class Run(Update update)
    {
        public Update Update { get; } = update;

        public TaskCompletionSource DoneWith { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool HoldsSlot { get; set; }

        public bool AnswersWaiting { get; set; }
    }

    private Task TakeSlotAsync(IntakeLane lane, CancellationToken ct)
    {
        lock (_lock)
        {
            if (_free > 0)
            {
                _free--;
                return Task.CompletedTask;
            }

            return _waiting.Enqueue((int)lane, ct);
        }
    }

    /// <summary>Gives the slot to the first waiter of the lowest lane, or frees it. The caller holds the lock.</summary>
    private void ReleaseSlot()
    {
        if (!_waiting.TryHandOff(true))
        {
            _free++;
        }
    }

    /// <summary>The chat whose order the update belongs to; a button press belongs to the chat of its message.</summary>
    internal static long? ChatOf(Update update) => update switch
    {
        { Message.Chat.Id: var id } => id,
        { EditedMessage.Chat.Id: var id } => id,
        { CallbackQuery: { } query } => query.Message?.Chat.Id ?? query.From.Id,
        { MyChatMember.Chat.Id: var id } => id,
        _ => null,
    };
}
