using System.Diagnostics;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>Waits for a condition the test cannot be signalled about (a database row), checking often, never sleeping blindly.</summary>
public static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? what = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out waiting for {what ?? "a condition"}.");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>
    /// Moves a fake clock forward by <paramref name="step"/> until <paramref name="condition"/> holds: as time passes, not in one
    /// jump, since a job that awaits real I/O while the clock jumps sets its next timer only after the jump.
    /// </summary>
    public static async Task AdvanceUntilAsync(Microsoft.Extensions.Time.Testing.FakeTimeProvider clock, TimeSpan step, Func<bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out waiting for {what ?? "a condition"} while the clock moved on.");
            }

            clock.Advance(step);
            await Task.Delay(25);
        }
    }
}
