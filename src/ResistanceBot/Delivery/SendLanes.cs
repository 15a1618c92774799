namespace ResistanceBot.Delivery;

/// <summary>
/// Which sends go first when they wait for the one global ceiling: the ceiling is never exceeded, but inside it an answer to a
/// person who just wrote overtakes staff notices, and both overtake an edition's fan-out.
/// </summary>
internal enum SendLane
{
    /// <summary>What a handler sends while it answers an update.</summary>
    Answer = 0,

    /// <summary>Messages nobody is waiting on this second: staff notices, progress, one-off outbox rows.</summary>
    Notice = 1,

    /// <summary>Edition parts to subscribers and to the channel.</summary>
    Bulk = 2,
}

/// <summary>
/// The lane of the sends made while an update is handled. The dispatcher enters <see cref="SendLane.Answer"/> around each
/// handler, so every send of that handler (a reply, a file to moderators) is an answer without each call saying so; work
/// outside a handler sends as <see cref="SendLane.Notice"/>, and the fan-out names its lanes.
/// </summary>
internal static class SendLanes
{
    private static readonly AsyncLocal<SendLane?> Ambient = new();

    public static SendLane Current => Ambient.Value ?? SendLane.Notice;

    public static Scope Enter(SendLane lane)
    {
        var previous = Ambient.Value;
        Ambient.Value = lane;
        return new Scope(previous);
    }

    internal readonly struct Scope(SendLane? previous) : IDisposable
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
