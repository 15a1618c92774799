using System.Buffers.Binary;
using System.Diagnostics;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;
using Xunit.Abstractions;

namespace ResistanceBot.Tests.Tips.Cleaning;

/// <summary>
/// Every cleaner (eleven formats), fed 100,000 truncated and mutated copies of a real dirty file of its format: byte flips, extreme length
/// fields, spliced and repeated regions, inserted and cut runs. Whatever the input, <see cref="MediaCleaner.Clean(byte[])"/>
/// returns (cleaned, kept as sent, or refused with a reason); nothing throws past it. The cleaners do not depend on the
/// database, so this runs once, on the SQLite half of tests/run.
/// </summary>
[Collection(CleanersAlone.Name)]
public sealed class CleanerFuzzTests(ITestOutputHelper output)
{
    private static readonly int Inputs = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_INPUTS"), out var n) ? n : 100_000;

    public static TheoryData<string> Formats() =>
        ["photo.jpg", "photo.png", "photo.webp", "photo.heic", "video.mp4", "sound.mp3", "sound.ogg", "report.pdf", "report.docx", "report.odt", "archive.zip"];

    private static readonly uint[] Extremes = [0, 1, 7, 8, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFF8, 0x0000FFFF, 0x00010000];

    /// <summary>The <paramref name="n"/>th hostile variant of a seed: the same n always gives the same bytes.</summary>
    internal static byte[] Mutate(byte[] seed, int n)
    {
        var random = new Random(n);
        // Headers matter most: half the mutations land in the first 512 bytes.
        int Position(int length) => length == 0 ? 0 : random.Next(2) == 0 ? random.Next(Math.Min(512, length)) : random.Next(length);
        var bytes = (byte[])seed.Clone();
        for (var rounds = random.Next(1, 4); rounds > 0 && bytes.Length > 8; rounds--)
        {
            switch (random.Next(7))
            {
                case 0: // truncated
                    bytes = bytes[..random.Next(bytes.Length)];
                    break;
                case 1: // bytes flipped
                    for (var i = random.Next(1, 9); i > 0; i--)
                    {
                        bytes[Position(bytes.Length)] ^= (byte)random.Next(1, 256);
                    }

                    break;
                case 2: // a length or offset field at its extremes, either byte order
                    var at = Math.Min(Position(bytes.Length), bytes.Length - 4);
                    var value = Extremes[random.Next(Extremes.Length)];
                    if (random.Next(2) == 0)
                    {
                        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), value);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), value);
                    }

                    break;
                case 3: // a region copied over another
                    var from = random.Next(bytes.Length);
                    var to = Position(bytes.Length);
                    var count = Math.Min(random.Next(1, 256), Math.Min(bytes.Length - from, bytes.Length - to));
                    Array.Copy(bytes, from, bytes, to, count);
                    break;
                case 4: // a region repeated (a box or segment twice, a loop in a chain)
                    var start = Position(bytes.Length);
                    var length = Math.Min(random.Next(1, 512), bytes.Length - start);
                    bytes = [.. bytes[..(start + length)], .. bytes[start..(start + length)], .. bytes[(start + length)..]];
                    break;
                case 5: // random bytes inserted
                    var where = Position(bytes.Length);
                    var junk = new byte[random.Next(1, 64)];
                    random.NextBytes(junk);
                    bytes = [.. bytes[..where], .. junk, .. bytes[where..]];
                    break;
                default: // a run cut out
                    var cut = Position(bytes.Length);
                    bytes = [.. bytes[..cut], .. bytes[Math.Min(bytes.Length, cut + random.Next(1, 256))..]];
                    break;
            }
        }

        return bytes;
    }

    [OnceTheory]
    [MemberData(nameof(Formats))]
    public async Task A_hundred_thousand_hostile_variants_are_cleaned_kept_or_refused_and_none_throws(string name)
    {
        // FUZZ_SEEDS=full fuzzes the full-size fixtures instead (slower; large boxes take other paths).
        var seed = Environment.GetEnvironmentVariable("FUZZ_SEEDS") == "full" ? DirtyFiles.Bytes(name) : DirtyFiles.Small(name);
        Assert.True(MediaCleaner.Clean(seed).Cleaned, $"the seed {name} itself must clean");
        var outcomes = new int[3];
        Exception? escaped = null;
        var failing = -1;
        var clock = Stopwatch.StartNew();
        var slowest = (Milliseconds: 0.0, Variant: -1);
        var gate = new object();
        // A variant that runs away (a loop that never ends) fails the test by its number instead of hanging the suite.
        var running = new System.Collections.Concurrent.ConcurrentDictionary<int, long>();
        var fuzz = Task.Run(() => Parallel.For(0, Inputs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, (n, loop) =>
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                running[n] = started;
                var result = MediaCleaner.Clean(Mutate(seed, n));
                running.TryRemove(n, out _);
                var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (gate)
                {
                    slowest = took > slowest.Milliseconds ? (took, n) : slowest;
                }

                if (result.Content is null && string.IsNullOrEmpty(result.Refusal))
                {
                    throw new InvalidOperationException("refused without saying why");
                }

                Interlocked.Increment(ref outcomes[result.Content is null ? 2 : result.Cleaned ? 0 : 1]);
            }
            catch (Exception e)
            {
                escaped = e;
                failing = n;
                loop.Stop();
            }
        }));
        while (await Task.WhenAny(fuzz, Task.Delay(TimeSpan.FromSeconds(1))) != fuzz)
        {
            var stuck = running.Where(r => Stopwatch.GetElapsedTime(r.Value) > TimeSpan.FromSeconds(10)).Select(r => r.Key).ToList();
            Assert.True(stuck.Count == 0, $"variants {string.Join(", ", stuck)} of {name} have run for over 10 s");
        }

        output.WriteLine($"{name}: {Inputs} variants of {seed.Length} bytes in {clock.Elapsed.TotalSeconds:0.0} s: {outcomes[0]} cleaned, {outcomes[1]} kept as sent, {outcomes[2]} refused; slowest variant {slowest.Variant}: {slowest.Milliseconds:0} ms");
        Assert.True(escaped is null, $"variant {failing} of {name} threw past the cleaner: {escaped}");
        Assert.Equal(Inputs, outcomes.Sum());
        Assert.True(outcomes[2] > 0, "no variant was refused: the mutations reach nothing");
    }
}
