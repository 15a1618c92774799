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
}
