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

    /// <summary>
    /// Runs <paramref name="action"/> up to <paramref name="tries"/> times while it fails with a fault <paramref name="transient"/>
    /// accepts, waiting <see cref="After"/> between tries (real time: these are waits for a database or a network, not schedules).
    /// The last fault, and any other, goes up.
    /// </summary>
    /// <param name="action">The work, given <paramref name="ct"/>.</param>
    /// <param name="transient">Whether a fault is worth another try.</param>
    /// <param name="onRetry">Told of each fault that will be tried again, with the number of the try that failed.</param>
    /// <param name="first">The wait after the first failure.</param>
    /// <param name="ceiling">The longest wait.</param>
    /// <param name="ct">Cancels the work and the waits.</param>
    /// <param name="tries">How many tries in all.</param>
    public static async Task RetryAsync(
        Func<CancellationToken, Task> action, Func<Exception, bool> transient, Action<Exception, int> onRetry, TimeSpan first, TimeSpan ceiling,
        CancellationToken ct, int tries = 5)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action(ct);
                return;
            }
            catch (Exception e) when (attempt < tries && transient(e) && !ct.IsCancellationRequested)
            {
                onRetry(e, attempt);
                await Task.Delay(After(attempt, first, ceiling), ct);
            }
        }
    }

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
