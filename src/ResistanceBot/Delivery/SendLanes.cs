namespace ResistanceBot.Delivery;

/// <summary>
/// Which sends go first when they wait for the one global ceiling: the ceiling is never exceeded, but inside it an answer to a
/// person who just wrote overtakes staff notices, and both overtake an edition's fan-out. Among answers, a staff member's and
/// the tip line's go before other readers': a burst of a thousand readers' /start does not hold up a moderator.
/// </summary>
internal enum SendLane
{
    /// <summary>What a handler sends while it answers a staff member or the tip line.</summary>
    Answer = 0,

    /// <summary>What a handler sends while it answers any other reader.</summary>
    ReaderAnswer = 1,

    /// <summary>Messages nobody is waiting on this second: staff notices, progress, one-off outbox rows.</summary>
    Notice = 2,

    /// <summary>Edition parts to subscribers and to the channel.</summary>
    Bulk = 3,
}

/// <summary>
/// The lane of the sends made while an update is handled. The dispatcher enters <see cref="SendLane.Answer"/> or
/// <see cref="SendLane.ReaderAnswer"/> around each handler, so every send of that handler (a reply, a file to moderators) is an
/// answer without each call saying so; work outside a handler sends as <see cref="SendLane.Notice"/>, and the fan-out names its
/// lanes. The dispatcher may also leave a callback that the limiter calls when a send of that flow has to wait for a permit:
/// that is how an update learns that only Telegram's rate limit is left of it.
/// </summary>
internal static class SendLanes
{
    private static readonly AsyncLocal<Ambience?> Ambient = new();

    public static SendLane Current => Ambient.Value?.Lane ?? SendLane.Notice;

    /// <param name="lane">The lane of every send made in this flow that names none.</param>
    /// <param name="onWait">Called (on the waiting flow, before it waits) each time a send of this flow has to wait for a permit.</param>
    public static Scope Enter(SendLane lane, Action? onWait = null)
    {
        var previous = Ambient.Value;
        Ambient.Value = new Ambience(lane, onWait);
        return new Scope(previous);
    }

    /// <summary>Tells the flow's owner that one of its sends waits for a permit.</summary>
    public static void Waiting() => Ambient.Value?.OnWait?.Invoke();

    internal sealed record Ambience(SendLane Lane, Action? OnWait);

    internal readonly struct Scope(Ambience? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}

/// <summary>
/// Waiters in lanes, lowest lane first and in arrival order within a lane. Not thread-safe: its owner holds a lock around every
/// call. A waiter whose wait was cancelled stays queued until a hand-off passes over it.
/// </summary>
internal sealed class LaneWaiters<T>(int lanes)
{
    private readonly Queue<(TaskCompletionSource<T> Waiter, CancellationTokenRegistration Cancel)>[] _queues =
        Enumerable.Range(0, lanes).Select(_ => new Queue<(TaskCompletionSource<T>, CancellationTokenRegistration)>()).ToArray();

    /// <summary>Waiters queued, cancelled ones included.</summary>
    public int Count { get; private set; }

    public Task<T> Enqueue(int lane, CancellationToken ct)
    {
        var waiter = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancel = ct.Register(static state => ((TaskCompletionSource<T>)state!).TrySetCanceled(), waiter);
        _queues[lane].Enqueue((waiter, cancel));
        Count++;
        return waiter.Task;
    }

    /// <summary>Gives <paramref name="value"/> to the first live waiter of the lowest lane; false when none is waiting.</summary>
    public bool TryHandOff(T value)
    {
        foreach (var queue in _queues)
        {
            while (queue.TryDequeue(out var entry))
            {
                Count--;
                entry.Cancel.Dispose();
                if (entry.Waiter.TrySetResult(value))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
