using System.Diagnostics;
using System.Globalization;
using ResistanceBot.Tests.Infrastructure;

// The fan-out benchmark: N subscribers in SQLite (or PostgreSQL with --postgres), the real bot as its own process, the emulator on 127.0.0.1.
// Phase 1: the emulator enforces a global limit and the bot is set to the same limit: how close does it get, with how many 429s?
// Phase 2: no limits anywhere: the pipeline's own ceiling. Peak working set is the bot process's VmHWM.
var subscribers = Arg("--subscribers", 100_000);
var limit = Arg("--limit", 1_000);
var parallelism = Arg("--parallelism", 32);
var only = args.Contains("--unlimited-only") ? "unlimited" : args.Contains("--limited-only") ? "limited" : null;
// --topics: each phase runs twice, without topics and then with readers spread over five choices of topics and the items
// tagged, so that each edition is rendered in several selections; the ratios of the two runs are printed.
var withTopics = args.Contains("--topics");
// --release-only: stop once the first edition message is out, after printing the release time (a 1,000,000 run's fan-out
// takes 17 minutes at 1,000/s).
var releaseOnly = args.Contains("--release-only");
// --postgres "Host=127.0.0.1;Port=55432;Username=postgres": each run gets a fresh database on that server instead of a SQLite file.
var postgres = Array.IndexOf(args, "--postgres") is var p and >= 0 && p + 1 < args.Length ? args[p + 1] : null;

if (args is ["--clean-peak", var cleanPath, var warmUpPath])
{
    return CleanBenchmark.Peak(cleanPath, warmUpPath);
}

if (args.Contains("--clean"))
{
    return CleanBenchmark.Run();
}

if (args.Contains("--intake"))
{
    var phase = Array.IndexOf(args, "--phase") is var ph and >= 0 && ph + 1 < args.Length ? args[ph + 1] : null;
    await IntakeBenchmark.RunAsync(Arg("--readers", 10_000), subscribers, limit, Database, phase);
    return 0;
}

if (args.Contains("--vault"))
{
    VaultBenchmark.Run();
    return 0;
}

Console.WriteLine($"ResistanceBot fan-out benchmark: {subscribers:N0} subscribers, {(postgres is null ? "SQLite" : "PostgreSQL")}, {Environment.ProcessorCount} cores, .NET {Environment.Version}; " +
    $"bot environment {string.Join(' ', BenchSettings.BotEnvironment().Select(e => e.Key + "=" + e.Value))}");
if (only != "unlimited")
{
    // The bot is set a little under the limit, as the README advises for Telegram's ~30/s.
    await CompareAsync("limited", limit, (int)(limit * 0.97));
}

if (only != "limited")
{
    await CompareAsync("unlimited", null, 100_000);
}

return 0;

async Task CompareAsync(string name, int? emulatorLimit, int botLimit)
{
    var without = await RunAsync(name, emulatorLimit, botLimit, topics: false);
    if (withTopics)
    {
        var with = await RunAsync(name + ", topics", emulatorLimit, botLimit, topics: true);
        Console.WriteLine($"[{name}] with topics against without: rate {with.Rate / without.Rate:P1}, peak working set {(double)with.Peak / without.Peak:P1}, CPU per send {with.CpuPerSend / without.CpuPerSend:P1}");
    }
}

async Task<(double Rate, long Peak, double CpuPerSend)> RunAsync(string name, int? emulatorLimit, int botLimit, bool topics)
{
    await using var emulator = await ResistanceBot.BotApiEmulator.BotApiEmulator.StartAsync();
    emulator.Faults.GlobalSendsPerSecond = emulatorLimit;
    var dir = Directory.CreateTempSubdirectory("resistancebot-bench");
    var settings = BenchSettings.For(emulator, Database(dir.FullName), botLimit, parallelism);
    var ids = Enumerable.Range(1, subscribers).Select(i => 100_000_000L + i).ToList();
    var seedClock = Stopwatch.StartNew();
    await using (var seed = await Seed.OpenAsync(settings))
    {
        if (topics)
        {
            // Five choices of topics among the readers (none, one, two, another two, all three), and items tagged so that
            // the choices select four different sets of items.
            string[] choices = ["", "strikes", "desertion sabotage", "desertion strikes", "desertion sabotage strikes"];
            string[] tags = ["strikes", "desertion", "sabotage", ""];
            await seed.SubscribersAsync(ids, topics: id => choices[(int)(id % choices.Length)]);
            await seed.PickedArticlesAsync(4, 300, topics: i => tags[(i - 1) % tags.Length], fullText: true);
        }
        else
        {
            await seed.SubscribersAsync(ids);
            await seed.PickedArticlesAsync(4, 300, fullText: true);
        }
    }

    emulator.AddUsers(ids);
    Console.WriteLine($"[{name}] seeded {subscribers:N0} subscribers in {seedClock.Elapsed.TotalSeconds:0.0} s");

    var botEnvironment = BenchSettings.BotEnvironment();
    using var bot = BotProcess.Start(botEnvironment, settings);
    var editor = emulator.User(1, "Editor");
    await editor.AskAsync("/start", TimeSpan.FromMinutes(1));
    var idle = PeakWorkingSet(bot.Pid);
    // /publish asks first; the clock starts when the editor presses Yes.
    var question = await editor.AskAsync("/publish", TimeSpan.FromMinutes(1));
    var yes = question.Buttons.SelectMany(r => r).Select(b => b.CallbackData).First(d => d?.StartsWith("k:y:", StringComparison.Ordinal) == true)!;
    var publish = Stopwatch.StartNew();
    editor.PressButton(question.MessageId, yes);

    // The editor's own replies count as sends too: measure the edition's sends only, from the first to the last.
    var baseline = emulator.Stats.Sends + 1; // the progress message (the question's edit is not a send)
    try
    {
        await emulator.WaitUntilAsync(() => emulator.Stats.Sends > baseline, TimeSpan.FromMinutes(5), "the first delivery");
    }
    catch (TimeoutException)
    {
        Console.WriteLine("The bot's last words: " + string.Join('\n', bot.StandardOutput.Split('\n').TakeLast(20)) + bot.StandardError);
        throw;
    }
    var releaseSeconds = publish.Elapsed.TotalSeconds;
    if (releaseOnly)
    {
        Console.WriteLine($"[{name}] release and outbox write: {releaseSeconds:0.0} s until the first delivery");
        // BENCH_BOT_LOG=file keeps the bot's console output (with BENCH_EXTRA raising a log level, e.g. EF's commands and
        // their times: --Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command=Information).
        if (Environment.GetEnvironmentVariable("BENCH_BOT_LOG") is { Length: > 0 } log)
        {
            await Task.Delay(500);
            File.WriteAllText(log, bot.StandardOutput);
        }

        bot.Kill();
        dir.Delete(recursive: true);
        return (0, 0, 0);
    }

    var afterRelease = PeakWorkingSet(bot.Pid);
    var clock = Stopwatch.StartNew();
    var startSends = emulator.Stats.Sends;
    var cpuStart = CpuSeconds(bot.Pid);
    var peak = 0L;
    while (emulator.Stats.Sends - baseline < subscribers)
    {
        await Task.Delay(200);
        peak = Math.Max(peak, PeakWorkingSet(bot.Pid));
        if (clock.Elapsed > TimeSpan.FromMinutes(30))
        {
            throw new TimeoutException("The fan-out did not finish in 30 minutes.");
        }
    }

    var seconds = clock.Elapsed.TotalSeconds;
    var sent = emulator.Stats.Sends - startSends;
    var cpu = CpuSeconds(bot.Pid) - cpuStart;
    peak = Math.Max(peak, PeakWorkingSet(bot.Pid));
    var rate = sent / seconds;
    Console.WriteLine($"[{name}] release and outbox write: {releaseSeconds:0.0} s until the first delivery");
    Console.WriteLine($"[{name}] sent {sent:N0} in {seconds:0.0} s = {rate:N0} messages/s" +
        (emulatorLimit is { } l ? $" = {rate / l:P1} of the {l:N0}/s limit" : " (no limit: the pipeline's own ceiling)"));
    Console.WriteLine($"[{name}] 429s received: {emulator.Stats.TooManyRequests:N0}; 5xx: {emulator.Stats.ServerErrors:N0}");
    Console.WriteLine($"[{name}] bot CPU: {cpu:0.0} s = {cpu * 1_000_000 / Math.Max(1, sent):0} µs per send");
    Console.WriteLine($"[{name}] bot peak working set (VmHWM): {peak / 1024.0 / 1024.0:0.0} MB; after start-up {idle / 1024.0 / 1024.0:0.0} MB, after the release {afterRelease / 1024.0 / 1024.0:0.0} MB");
    bot.Kill();
    dir.Delete(recursive: true);
    return (rate, peak, cpu / Math.Max(1, sent));
}

string[] Database(string dir)
{
    if (postgres is null)
    {
        return ["--Database:Provider=Sqlite", $"--Database:ConnectionString=Data Source={Path.Combine(dir, "bench.db")}"];
    }

    var name = "rbbench_" + Guid.NewGuid().ToString("N");
    using (var connection = new Npgsql.NpgsqlConnection(postgres))
    {
        connection.Open();
        using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        create.ExecuteNonQuery();
    }

    return ["--Database:Provider=Postgres", $"--Database:ConnectionString={new Npgsql.NpgsqlConnectionStringBuilder(postgres) { Database = name }}"];
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static long PeakWorkingSet(int pid) => IntakeBenchmark.PeakWorkingSet(pid);

static double CpuSeconds(int pid) => IntakeBenchmark.CpuSeconds(pid);
