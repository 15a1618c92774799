using ResistanceBot.BotApiEmulator;
using ResistanceBot.Tests.Infrastructure;

/// <summary>The settings every benchmark run gives the bot: the emulator, a database, fresh keys, admin 1, quiet logs.</summary>
internal static class BenchSettings
{
    /// <summary>
    /// The runtime's environment as deploy/resistancebot.service gives it (the DOTNET_ and MALLOC_ variables: GC and malloc
    /// settings), so that the bot is measured as it runs in production; BOT_ENV="NAME=VALUE;…" adds to it or overrides it.
    /// </summary>
    public static Dictionary<string, string> BotEnvironment()
    {
        var deployed = File.ReadLines(ResistanceBot.Tests.Infrastructure.Repository.PathOf("deploy/resistancebot.service"))
            .Where(l => l.StartsWith("Environment=", StringComparison.Ordinal))
            .SelectMany(l => l["Environment=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(v => v.StartsWith("DOTNET_", StringComparison.Ordinal) || v.StartsWith("MALLOC_", StringComparison.Ordinal));
        var extra = (Environment.GetEnvironmentVariable("BOT_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
        var environment = new Dictionary<string, string>();
        foreach (var pair in deployed.Concat(extra).Select(p => p.Split('=', 2)))
        {
            environment[pair[0]] = pair[1];
        }

        return environment;
    }

    public static string[] For(BotApiEmulator emulator, string[] database, int messagesPerSecond, int parallelism) =>
    [
        $"--Telegram:BotToken={emulator.Token}",
        $"--Telegram:ApiBaseUrl={emulator.BaseUrl}",
        "--Telegram:PollTimeoutSeconds=1",
        .. database,
        $"--Security:DataKey={Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}",
        $"--Security:PseudonymKey={Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}",
        .. TestVault.Settings,
        "--Staff:AdminIds:0=1",
        $"--Delivery:MessagesPerSecond={messagesPerSecond}",
        $"--Delivery:Parallelism={parallelism}",
        "--Http:Urls=http://127.0.0.1:0",
        "--Digest:TimeZone=UTC",
        $"--Digest:EditionTime={TimeProvider.System.GetUtcNow().AddHours(12):HH:mm}",
        "--Logging:LogLevel:Default=Warning",
        .. (Environment.GetEnvironmentVariable("BENCH_EXTRA") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
    ];
}
