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
/// Runs updates of different chats concurrently, at most <c>Telegram:MaxConcurrentUpdates</c> at once, and the updates of one
/// chat strictly one after another in the order they were given (as grammY's runner with <c>sequentialize</c> does). Both
/// intakes hand every update here, so polling and webhooks behave alike. An update waiting for a slot waits in its
/// <see cref="IntakeLane"/>: a burst of readers' /start does not hold up a moderator's /open or a tipster's /send.
/// </summary>
internal sealed partial class ChatOrderedRunner(UpdateDispatcher dispatcher, IOptions<TelegramOptions> options, ILogger<ChatOrderedRunner> logger)
{
    private readonly Dictionary<long, Task> _tails = [];
    private readonly Lock _lock = new();
    private readonly LaneWaiters<bool> _waiting = new(Enum.GetValues<IntakeLane>().Length);
    private int _free = options.Value.MaxConcurrentUpdates;

    /// <summary>Chats with an update waiting or running (for tests and metrics).</summary>
    internal int BusyChats
    {
        get
        {
            lock (_lock)
            {
                return _tails.Count;
            }
        }
    }

    /// <summary>
    /// Queues the update behind the earlier updates of its chat and returns when it has been handled (or given up). Never
    /// throws for a handler's fault: the dispatcher ends those; only cancellation comes out.
    /// </summary>
    public Task RunAsync(Update update, CancellationToken ct)
    {
        var chat = ChatOf(update);
        if (chat is not { } key)
        {
            return RunNowAsync(update, ct);
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task previous;
        lock (_lock)
        {
            previous = _tails.GetValueOrDefault(key) ?? Task.CompletedTask;
            _tails[key] = done.Task;
        }

        return RunAfterAsync(previous, done, key, update, ct);
    }

    private async Task RunAfterAsync(Task previous, TaskCompletionSource done, long chat, Update update, CancellationToken ct)
    {
        try
        {
            await previous; // completes only successfully: it is the previous update's TaskCompletionSource
            await RunNowAsync(update, ct);
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

    private async Task RunNowAsync(Update update, CancellationToken ct)
    {
        // Off the caller's thread: SQLite's "async" calls complete synchronously, and the intake must go on taking updates.
        await Task.Yield();
        await TakeSlotAsync(dispatcher.LaneOf(update), ct);
        try
        {
            // The database refused the claim (locked, unreachable): nothing was done yet, so the update is tried again here,
            // in its place in its chat's order. After the last try the fault goes up to the intake, which logs it.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await dispatcher.DispatchAsync(update, ct);
                    return;
                }
                catch (Exception e) when (e is System.Data.Common.DbException or Microsoft.EntityFrameworkCore.DbUpdateException && attempt < 5 && !ct.IsCancellationRequested)
                {
                    LogRetrying(logger, update.Id, e.GetType().Name, attempt);
                    await Task.Delay(Hosting.Backoff.After(attempt, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5)), ct);
                }
            }
        }
        finally
        {
            ReleaseSlot();
        }
    }

    [LoggerMessage(EventId = 1210, Level = LogLevel.Warning, Message = "Update {UpdateId} could not be claimed ({ExceptionType}, attempt {Attempt}); trying again")]
    private static partial void LogRetrying(ILogger logger, int updateId, string exceptionType, int attempt);

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

    private void ReleaseSlot()
    {
        lock (_lock)
        {
            if (!_waiting.TryHandOff(true))
            {
                _free++;
            }
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
