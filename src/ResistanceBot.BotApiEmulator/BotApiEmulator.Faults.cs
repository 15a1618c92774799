using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace ResistanceBot.BotApiEmulator;

// Faults and limits: flood control per chat and globally (reference §5), held sends, injected transport faults and lost answers.
public sealed partial class BotApiEmulator
{
    /// <summary>Flood waits imposed so far (<see cref="EmulatorFaults.FloodRate"/>).</summary>
    public IReadOnlyList<FloodWindow> FloodWindows
    {
        get
        {
            lock (_gate)
            {
                return [.. _floods];
            }
        }
    }

    /// <summary>Sends waiting on a <see cref="HoldSendsTo"/> hold right now.</summary>
    public int HeldSends => Volatile.Read(ref _heldSends);

    /// <summary>Holds every send into a chat until the returned handle is disposed (to catch the bot mid-handler).</summary>
    public IDisposable HoldSendsTo(long chatId)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _holds[chatId] = tcs;
        return new Release(() =>
        {
            _holds.TryRemove(chatId, out _);
            tcs.TrySetResult();
        });
    }

    private sealed class Release(Action action) : IDisposable
    {
        private Action? _action = action;

        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }

    /// <returns>true when the request was answered by the fault itself.</returns>
    private async Task<bool> InjectTransportFaultAsync(HttpContext http)
    {
        var faults = Faults;
        if (faults.Latency > TimeSpan.Zero)
        {
            await Task.Delay(faults.Latency, _options.TimeProvider, http.RequestAborted);
        }

        double roll;
        bool failNext;
        lock (_gate)
        {
            roll = _random.NextDouble();
            failNext = faults.FailNextRequests > 0;
            if (failNext)
            {
                faults.FailNextRequests--;
            }
        }

        if (failNext || roll < faults.ServerErrorRate)
        {
            Stats.Error(500);
            await WriteErrorAsync(http, new ApiException(500, "Internal Server Error"));
            return true;
        }

        if (roll < faults.ServerErrorRate + faults.DropConnectionRate)
        {
            Stats.Dropped();
            http.Abort();
            return true;
        }

        return false;
    }

    private bool LoseAnswer()
    {
        lock (_gate)
        {
            return Faults.DropAfterSendRate > 0 && _random.NextDouble() < Faults.DropAfterSendRate;
        }
    }

    private async Task WaitForHoldAsync(long chatId, CancellationToken ct)
    {
        if (_holds.TryGetValue(chatId, out var hold))
        {
            Interlocked.Increment(ref _heldSends);
            Changed();
            try
            {
                await hold.Task.WaitAsync(ct);
            }
            finally
            {
                Interlocked.Decrement(ref _heldSends);
                Changed();
            }
        }
    }

    /// <param name="chat">The chat sent to.</param>
    /// <param name="paid">allow_paid_broadcast: the global limit is 1000/s instead of <see cref="EmulatorFaults.GlobalSendsPerSecond"/>.</param>
    private void CheckFloodLocked(ChatState chat, bool paid = false)
    {
        var faults = Faults;
        var now = _options.TimeProvider.GetUtcNow();
        if (_floods.Count > 0 && _floods[^1] is { } flood && now < flood.End)
        {
            flood.SendsDuring++;
            throw ApiException.TooManyRequests(Math.Max(1, (int)Math.Ceiling((flood.End - now).TotalSeconds)));
        }

        if (faults.FloodRate > 0 && _random.NextDouble() < faults.FloodRate)
        {
            _floods.Add(new FloodWindow(now, now.AddSeconds(faults.RetryAfterSeconds)));
            throw ApiException.TooManyRequests(faults.RetryAfterSeconds);
        }

        var wait = paid
            ? _rates.TryTake("paid", faults.GlobalSendsPerSecond is null ? null : 1000, TimeSpan.FromSeconds(1))
            : _rates.TryTake("global", faults.GlobalSendsPerSecond, TimeSpan.FromSeconds(1));
        if (wait is null && chat.Type == "private")
        {
            wait = _rates.TryTake("chat:" + chat.Id.ToString(CultureInfo.InvariantCulture), faults.PerChatSendsPerSecond, TimeSpan.FromSeconds(1));
        }
        else if (wait is null)
        {
            wait = _rates.TryTake("group:" + chat.Id.ToString(CultureInfo.InvariantCulture), faults.PerGroupSendsPerMinute, TimeSpan.FromMinutes(1));
        }

        if (wait is { } w)
        {
            throw ApiException.TooManyRequests(Math.Max(faults.RetryAfterSeconds, (int)Math.Ceiling(w.TotalSeconds)));
        }
    }
}
