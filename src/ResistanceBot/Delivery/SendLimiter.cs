using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace ResistanceBot.Delivery;

/// <summary>
/// Telegram's flood limits as rate limiters: a global ceiling (<c>Delivery:MessagesPerSecond</c>), about one message per second
/// into one private chat (short bursts allowed), and 20 per minute into one group. Acquiring waits; it does not fail. Sends
/// waiting for the ceiling wait in lanes (<see cref="SendLane"/>): one pump takes each permit from the token bucket as it
/// becomes free and gives it to the first waiter of the lowest lane, so answers overtake a fan-out without the ceiling moving.
/// </summary>
internal sealed class SendLimiter : IAsyncDisposable
{
    private static readonly int Lanes = Enum.GetValues<SendLane>().Length;

    private readonly TokenBucketRateLimiter _global;
    private readonly PartitionedRateLimiter<long> _perChat;
    private readonly LaneWaiters<RateLimitLease> _waiting = new(Lanes);
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _queued = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    public SendLimiter(IOptions<DeliveryOptions> options)
    {
        var rate = options.Value.MessagesPerSecond;
        // Whole tokens per period: refill in slices of about 1/20 s so the ceiling is smooth rather than bursty.
        var perPeriod = Math.Max(1, rate / 20);
        // A burst of at most a tenth of a second's worth: Telegram's own limiter meters smoothly, and a full second of
        // saved-up sends arriving at once draws 429s even when the average is within the limit.
        _global = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, rate / 10),
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds((double)perPeriod / rate),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        // AutoReplenishment off for partitions: the partitioned limiter replenishes them all from one timer, where
        // auto-replenishing partitions would each start a timer of their own (one per subscriber during a fan-out).
        _perChat = PartitionedRateLimiter.Create<long, long>(chatId => chatId < 0
            ? RateLimitPartition.GetSlidingWindowLimiter(chatId, _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = 20,
                Window = TimeSpan.FromMinutes(1),
                SegmentsPerWindow = 6,
                QueueLimit = 10_000,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = false,
            })
            : RateLimitPartition.GetTokenBucketLimiter(chatId, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = 3,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 10_000,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = false,
            }));
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>
    /// Waits for a permit in the chat's limiter (unless the caller paces that chat itself, as the fan-out does for edition
    /// parts) and then, in its lane, in the global one.
    /// </summary>
    public async ValueTask<Permit> AcquireAsync(long chatId, bool perChat, SendLane lane, CancellationToken ct)
    {
        var chatWait = perChat ? _perChat.AcquireAsync(chatId, 1, ct) : _global.AcquireAsync(0, ct);
        if (!chatWait.IsCompleted)
        {
            SendLanes.Waiting();
        }

        var chatLease = await chatWait;
        try
        {
            return new Permit(chatLease, await AcquireGlobalAsync(lane, ct));
        }
        catch
        {
            chatLease.Dispose();
            throw;
        }
    }

    private async ValueTask<RateLimitLease> AcquireGlobalAsync(SendLane lane, CancellationToken ct)
    {
        Task<RateLimitLease> waiting;
        lock (_lock)
        {
            // Nobody waiting and a token free: take it at once (the bucket refuses this while its own queue is not empty).
            if (_waiting.Count == 0)
            {
                var lease = _global.AttemptAcquire(1);
                if (lease.IsAcquired)
                {
                    return lease;
                }

                lease.Dispose(); // a refusal is a lease too
            }

            waiting = _waiting.Enqueue((int)lane, ct);
        }

        SendLanes.Waiting();
        _queued.Release();
        return await waiting;
    }

    /// <summary>One permit per queued waiter, each given to whoever is first in the lowest lane when it comes free.</summary>
    private async Task PumpAsync()
    {
        try
        {
            while (true)
            {
                await _queued.WaitAsync(_stop.Token);
                var lease = await _global.AcquireAsync(1, _stop.Token);
                lock (_lock)
                {
                    if (!_waiting.TryHandOff(lease))
                    {
                        lease.Dispose(); // its waiter was cancelled
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump;
        _stop.Dispose();
        _queued.Dispose();
        await _global.DisposeAsync();
        await _perChat.DisposeAsync();
    }

    internal readonly struct Permit(RateLimitLease chat, RateLimitLease global) : IDisposable
    {
        public void Dispose()
        {
            chat.Dispose();
            global.Dispose();
        }
    }
}

/// <summary>After a 429, every send waits out <c>retry_after</c>: the flood wait is the bot's, not one chat's.</summary>
internal sealed class FloodGate(TimeProvider time)
{
    private long _closedUntilTicks;

    public void Close(TimeSpan duration)
    {
        var until = time.GetUtcNow().Add(duration).UtcTicks;
        long seen;
        do
        {
            seen = Interlocked.Read(ref _closedUntilTicks);
            if (seen >= until)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _closedUntilTicks, until, seen) != seen);
    }

    public async ValueTask WaitAsync(CancellationToken ct)
    {
        // Loop: another 429 may have closed the gate for longer while this one waited.
        while (new DateTimeOffset(Interlocked.Read(ref _closedUntilTicks), TimeSpan.Zero) - time.GetUtcNow() is { } left && left > TimeSpan.Zero)
        {
            await Task.Delay(left, time, ct);
        }
    }
}
