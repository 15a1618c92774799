using System.Diagnostics;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Tests.Infrastructure;

/// <summary>
/// --intake: how fast the bot takes updates, as a reader sees it.
/// 1. Throughput: 10,000 new readers press /start at once, with no limit anywhere; updates per second from the first /start to
///    the last answer, and the bot's CPU per update (after as many more to warm up).
/// 2. Latency: an admin's /help sent every 2.5 s behind a burst of 1,000 readers' /start, with the bot and the emulator
///    at 30 messages a second; then the same during a fan-out to <c>--subscribers</c> readers at <c>--limit</c>/s. p50 and p99.
/// </summary>
internal static class IntakeBenchmark
{
    private const long AdminId = 1;

    /// <summary>All three parts, or the one <c>phase</c> names: "throughput", "burst", "fan-out", or "grammy" (the throughput against grammY).</summary>
    public static async Task RunAsync(int readers, int subscribers, int limit, Func<string, string[]> database, string? phase)
    {
        Console.WriteLine($"ResistanceBot intake benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}; bot environment {string.Join(' ', BenchSettings.BotEnvironment().Select(e => e.Key + "=" + e.Value))}");
        if (phase == "grammy")
        {
            await ThroughputAgainstGrammyAsync(readers, database);
            return;
        }
        if (phase is null or "throughput")
        {
            await ThroughputAsync(readers, database);
        }

        if (phase is null or "burst")
        {
            await BurstLatencyAsync(1_000, database);
        }

        if (phase is null or "fan-out")
        {
            await FanOutLatencyAsync(subscribers, limit, database);
        }
    }

    private static async Task ThroughputAsync(int readers, Func<string, string[]> database)
    {
        await using var emulator = await BotApiEmulator.StartAsync();
        var dir = Directory.CreateTempSubdirectory("resistancebot-intake");
        using var bot = BotProcess.Start(BenchSettings.BotEnvironment(), BenchSettings.For(emulator, database(dir.FullName), messagesPerSecond: 100_000, parallelism: 32));
        var (rate, cpu) = await MeasureThroughputAsync(emulator, bot.Pid, readers);
        Console.WriteLine($"[intake] ResistanceBot: {readers:N0} readers' /start answered at {rate:N0} updates/s; bot CPU {cpu:0.000} ms per update");
        Console.WriteLine($"[intake] bot peak working set (VmHWM): {PeakWorkingSet(bot.Pid) / 1024.0 / 1024.0:0.0} MB");
        bot.Kill();
        dir.Delete(recursive: true);
    }

    /// <summary>
    /// --grammy: the same throughput, in the same run, for the grammY bot in grammy/ (npm ci there first), sequential
    /// (<c>bot.start()</c>) and with @grammyjs/runner; then ResistanceBot again, and the ratios.
    /// </summary>
    public static async Task ThroughputAgainstGrammyAsync(int readers, Func<string, string[]> database)
    {
        var script = ResistanceBot.Tests.Infrastructure.Repository.PathOf("tests/ResistanceBot.Benchmarks/grammy/bot.mjs");
        if (!Directory.Exists(Path.Combine(Path.GetDirectoryName(script)!, "node_modules")))
        {
            Console.WriteLine("[grammy] run `npm ci` in tests/ResistanceBot.Benchmarks/grammy first");
            return;
        }

        var ours = new List<(double Rate, double Cpu)>();
        var theirs = new Dictionary<string, (double Rate, double Cpu)>();
        for (var round = 0; round < 2; round++)
        {
            await using (var emulator = await BotApiEmulator.StartAsync())
            {
                var dir = Directory.CreateTempSubdirectory("resistancebot-intake");
                using var bot = BotProcess.Start(BenchSettings.BotEnvironment(), BenchSettings.For(emulator, database(dir.FullName), messagesPerSecond: 100_000, parallelism: 32));
                var result = await MeasureThroughputAsync(emulator, bot.Pid, readers);
                ours.Add(result);
                Console.WriteLine($"[grammy] ResistanceBot: {result.Rate:N0} updates/s, {result.Cpu:0.000} ms CPU per update");
                bot.Kill();
                dir.Delete(recursive: true);
            }

            if (round == 1)
            {
                break;
            }

            foreach (var mode in new[] { "sequential", "runner" })
            {
                await using var emulator = await BotApiEmulator.StartAsync();
                using var peer = Process.Start(new ProcessStartInfo("node", new[] { script, emulator.Token, emulator.BaseUrl.ToString().TrimEnd('/'), mode }) { RedirectStandardOutput = true, RedirectStandardError = true })!;
                peer.BeginOutputReadLine();
                peer.BeginErrorReadLine();
                var result = await MeasureThroughputAsync(emulator, peer.Id, readers);
                theirs[mode] = result;
                Console.WriteLine($"[grammy] grammY {mode}: {result.Rate:N0} updates/s, {result.Cpu:0.000} ms CPU per update");
                peer.Kill(entireProcessTree: true);
            }
        }

        var (rate, cpu) = (ours.Average(o => o.Rate), ours.Average(o => o.Cpu));
        foreach (var (mode, peer) in theirs)
        {
            Console.WriteLine($"[grammy] ResistanceBot (mean of the runs before and after) against grammY {mode}: {rate / peer.Rate:0.00}x the updates per second, {cpu / peer.Cpu:0.00}x the CPU per update");
        }
    }

    /// <summary>
    /// After a warm-up of as many readers (pools, SQLite pages, the tiered JIT: after a warm-up of 1,000, the next 10,000 cost
    /// 0.55 ms an update on average against 0.40 ms after 10,000, a cost a bot in service pays once): updates per second and the
    /// bot's CPU ms per update. grammY gets the same warm-up, for V8's JIT.
    /// </summary>
    private static async Task<(double Rate, double Cpu)> MeasureThroughputAsync(BotApiEmulator emulator, int pid, int readers)
    {
        await emulator.User(AdminId, "Admin").AskAsync("/start", TimeSpan.FromMinutes(1));
        await BurstAsync(emulator, 1_000_000, readers);
        var cpu = CpuSeconds(pid);
        var ours = CpuSeconds(Environment.ProcessId);
        var delivered = emulator.Stats.UpdatesDelivered;
        var clock = Stopwatch.StartNew();
        await BurstAsync(emulator, 2_000_000, readers);
        var seconds = clock.Elapsed.TotalSeconds;
        // Beside the bot on the same cores: the emulator and the readers (this process), and how often getUpdates returned an
        // update again while it ran.
        Console.WriteLine($"[intake] beside it: emulator and readers {(CpuSeconds(Environment.ProcessId) - ours) * 1000 / readers:0.000} ms CPU per update; "
            + $"getUpdates returned each update {(double)(emulator.Stats.UpdatesDelivered - delivered) / readers:0.00} times");
        return (readers / seconds, (CpuSeconds(pid) - cpu) * 1000 / readers);
    }

    /// <summary>Each of <paramref name="count"/> new readers sends /start at once; returns when every one has its answer.</summary>
    private static async Task BurstAsync(BotApiEmulator emulator, long firstId, int count)
    {
        var before = emulator.Stats.Sends;
        for (var i = 0; i < count; i++)
        {
            emulator.User(firstId + i, "Reader", languageCode: "ru").SendText("/start");
        }

        await emulator.WaitUntilAsync(() => emulator.Stats.Sends >= before + count, TimeSpan.FromMinutes(10), "every /start answered");
    }

    private static async Task BurstLatencyAsync(int burst, Func<string, string[]> database)
    {
        await using var emulator = await BotApiEmulator.StartAsync();
        var dir = Directory.CreateTempSubdirectory("resistancebot-intake");
        using var bot = BotProcess.Start(BenchSettings.BotEnvironment(), BenchSettings.For(emulator, database(dir.FullName), messagesPerSecond: 30, parallelism: 16));
        var admin = emulator.User(AdminId, "Admin");
        await admin.AskAsync("/start", TimeSpan.FromMinutes(1));
        await admin.AskAsync("/help", TimeSpan.FromMinutes(1));
        emulator.Faults.GlobalSendsPerSecond = 30;
        var before = emulator.Stats.Sends;
        for (var i = 0; i < burst; i++)
        {
            emulator.User(3_000_000 + i, "Reader").SendText("/start");
        }

        // The burst takes about 33 s at 30/s; the admin asks every 2.5 s from a second after it began.
        await Task.Delay(1_000);
        var latencies = await SampleAsync(admin, () => emulator.Stats.Sends - before < burst - 30);
        Report($"behind a burst of {burst:N0} readers' /start at 30/s", latencies, emulator);
        bot.Kill();
        dir.Delete(recursive: true);
    }

    private static async Task FanOutLatencyAsync(int subscribers, int limit, Func<string, string[]> database)
    {
        await using var emulator = await BotApiEmulator.StartAsync();
        var dir = Directory.CreateTempSubdirectory("resistancebot-intake");
        var settings = BenchSettings.For(emulator, database(dir.FullName), messagesPerSecond: (int)(limit * 0.97), parallelism: 32);
        var ids = Enumerable.Range(1, subscribers).Select(i => 100_000_000L + i).ToList();
        await using (var seed = await Seed.OpenAsync(settings))
        {
            await seed.SubscribersAsync(ids);
            await seed.PickedArticlesAsync(4, 300, fullText: true);
        }

        emulator.AddUsers(ids);
        emulator.Faults.GlobalSendsPerSecond = limit;
        using var bot = BotProcess.Start(BenchSettings.BotEnvironment(), settings);
        var admin = emulator.User(AdminId, "Admin");
        await admin.AskAsync("/start", TimeSpan.FromMinutes(1));
        await admin.AskAsync("/help", TimeSpan.FromMinutes(1));
        var question = await admin.AskAsync("/publish", TimeSpan.FromMinutes(1));
        var yes = question.Buttons.SelectMany(r => r).Select(b => b.CallbackData).First(d => d?.StartsWith("k:y:", StringComparison.Ordinal) == true)!;
        var before = emulator.Stats.Sends;
        var adminMessages = admin.BotMessageCount;
        admin.PressButton(question.MessageId, yes);
        // The press's own handler ends with the progress message; the admin's next update waits for it (one chat, in order).
        await emulator.WaitUntilAsync(() => admin.BotMessageCount > adminMessages, TimeSpan.FromMinutes(5), "the progress message");
        await emulator.WaitUntilAsync(() => emulator.Stats.Sends > before + 1_000, TimeSpan.FromMinutes(5), "the fan-out to be under way");
        // The admin's chat has just had five messages (/start, /help, the question, its edit, the progress message): Telegram's
        // allowance of about one a second into one chat refills first, or the first sample measures that rule, not the fan-out.
        await Task.Delay(3_000);
        var latencies = await SampleAsync(admin, () => emulator.Stats.Sends - before < subscribers * 0.9);
        Report($"during a fan-out to {subscribers:N0} subscribers at {limit:N0}/s", latencies, emulator);
        bot.Kill();
        dir.Delete(recursive: true);
    }

    /// <summary>/help every 2.5 s while <paramref name="busy"/> holds; the time from each to its first answer.</summary>
    private static async Task<List<double>> SampleAsync(TelegramUser admin, Func<bool> busy)
    {
        var latencies = new List<double>();
        while (busy() && latencies.Count < 120)
        {
            var clock = Stopwatch.StartNew();
            await admin.AskAsync("/help", TimeSpan.FromMinutes(2));
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            // Telegram allows about one message a second into one chat, and during a fan-out the admin's chat also gets the
            // progress message's edit every 3 s: asking faster would measure the admin's own chat limit.
            await Task.Delay(Math.Max(0, 2_500 - (int)clock.ElapsedMilliseconds));
        }

        return latencies;
    }

    private static void Report(string what, List<double> latencies, BotApiEmulator emulator)
    {
        Console.WriteLine($"[latency] in the order asked (ms): {string.Join(' ', latencies.Select(l => l.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}");
        latencies.Sort();
        double At(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        Console.WriteLine($"[latency] an admin's /help {what}: p50 {At(0.5):N0} ms, p90 {At(0.9):N0} ms, p99 {At(0.99):N0} ms, worst {latencies[^1]:N0} ms ({latencies.Count} samples); 429s: {emulator.Stats.TooManyRequests}");
    }

    internal static double CpuSeconds(int pid)
    {
        // utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second on Linux).
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }

    internal static long PeakWorkingSet(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
