namespace ResistanceBot.Hosting;

/// <summary>
/// The bot's one backoff: the first delay, doubled after each further failure up to a ceiling, with ±20 % jitter for loops
/// (so that instances and restarts do not retry in step). Polling, the fan-out's pauses and its retried rows, feeds, the
/// webhook's registration and the command menus all wait by it; calls to the Bot API and to websites retry through Polly.
/// </summary>
internal sealed class Backoff(TimeSpan first, TimeSpan ceiling)
{
    private int _failures;

    /// <summary>The delay after <paramref name="failures"/> failures in a row, without jitter: for schedules that are stored.</summary>
    public static TimeSpan After(int failures, TimeSpan first, TimeSpan ceiling)
    {
        if (failures <= 0)
        {
            return TimeSpan.Zero;
        }

        var delay = first.TotalSeconds * Math.Pow(2, Math.Min(failures - 1, 30));
        return delay < ceiling.TotalSeconds ? TimeSpan.FromSeconds(delay) : ceiling;
    }

    /// <summary>Counts a failure and returns how long to wait before the next try.</summary>
    public TimeSpan Next()
    {
        _failures++;
        return After(_failures, first, ceiling) * (0.8 + (Random.Shared.NextDouble() * 0.4));
    }

    /// <summary>A success: the next failure waits the first delay again.</summary>
    public void Reset() => _failures = 0;

    /// <returns>False when <paramref name="ct"/> was cancelled during the wait.</returns>
    public static async Task<bool> WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, time, ct);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
