using System.Diagnostics;

/// <summary>How the in-process benchmarks time an action: once to warm up, then <see cref="Runs"/> times after a collection.</summary>
internal static class Timing
{
    public const int Runs = 7;

    /// <returns>The median and the fastest run in milliseconds, and the bytes one run allocated on this thread.</returns>
    public static (double Median, double Fastest, long Allocated) Measure(Action action)
    {
        action(); // warm up
        var times = new List<double>();
        long allocated = 0;
        for (var i = 0; i < Runs; i++)
        {
            GC.Collect();
            var before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalMilliseconds);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        times.Sort();
        return (times[Runs / 2], times[0], allocated);
    }
}
