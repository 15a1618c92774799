using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ResistanceBot.Hosting;
using ResistanceBot.Storage;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>
/// The real bot host, built by the same code as `dotnet run`, against a real SQLite file and the Bot API emulator over HTTP.
/// </summary>
internal sealed class BotHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BotHost(WebApplication app, BotApiEmulator.BotApiEmulator emulator, CapturedLogs logs, TestDatabase database, string[] settings)
    {
        _app = app;
        Emulator = emulator;
        Logs = logs;
        Database = database;
        Settings = settings;
    }

    public BotApiEmulator.BotApiEmulator Emulator { get; }

    public CapturedLogs Logs { get; }

    public TestDatabase Database { get; }

    public string[] Settings { get; }

    public IServiceProvider Services => _app.Services;

    public Uri HttpAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Fresh keys and a fresh database for each test; the same emulator can be shared to restart a bot.</summary>
    public static string[] DefaultSettings(BotApiEmulator.BotApiEmulator emulator, TestDatabase database, params string[] extra) =>
    [
        $"--Telegram:BotToken={emulator.Token}",
        $"--Telegram:ApiBaseUrl={emulator.BaseUrl}",
        "--Telegram:PollTimeoutSeconds=1",
        .. database.Settings,
        $"--Security:DataKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
        $"--Security:PseudonymKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
        .. TestVault.Settings,
        "--Http:Urls=http://127.0.0.1:0",
        // Test web servers stand in for public sites under a name; the bot allows that only in the Testing environment.
        "--environment=Testing",
        $"--Articles:TestHosts:{TestWebServer.PublicName}=127.0.0.1",
        // Notices of new tips at once, not at a random moment within half an hour (NoticeBatcherTests checks the delay).
        "--Tips:NoticeDelayMinutes=0",
        // Twelve hours away, so that the daily release (or its catch-up after a start) never runs inside a test.
        "--Digest:TimeZone=UTC",
        $"--Digest:EditionTime={TimeProvider.System.GetUtcNow().AddHours(12):HH:mm}",
        .. extra,
    ];

    public static async Task<BotHost> StartAsync(
        BotApiEmulator.BotApiEmulator? emulator = null,
        string[]? settings = null,
        Action<IServiceCollection>? services = null,
        TestDatabase? database = null)
    {
        emulator ??= await BotApiEmulator.BotApiEmulator.StartAsync();
        database ??= TestDatabase.New();
        settings ??= DefaultSettings(emulator, database);
        var logs = new CapturedLogs();
        var app = BotApp.Build(settings, b =>
        {
            b.Logging.ClearProviders();
            b.Logging.AddProvider(logs);
            b.Logging.SetMinimumLevel(LogLevel.Trace);
            services?.Invoke(b.Services);
        });
        await app.StartAsync();
        return new BotHost(app, emulator, logs, database, settings);
    }

    /// <summary>Unlocks the bot's vault as /unlock does, without the chat (for tests about moderation, not about unlocking).</summary>
    public void UnlockVault() => _app.Services.GetRequiredService<ResistanceBot.Vault.VaultKey>().Unlock(TestVault.PrivateKey());

    internal async Task<T> WithDbAsync<T>(Func<BotDbContext, Task<T>> query)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<BotDbContext>());
    }

    /// <summary>
    /// Waits until Telegram holds no update for the bot and every handler has returned, a reader's answer still waiting for the
    /// rate limit included (its update is confirmed to Telegram before that).
    /// </summary>
    internal Task SettledAsync(TimeSpan wait) => Eventually.HoldsAsync(
        () => Task.FromResult(Emulator.PendingUpdateCount == 0 && _app.Services.GetRequiredService<ResistanceBot.Telegram.ChatOrderedRunner>().Running == 0),
        wait, "every update to be handled");

    /// <summary>Stops the bot gracefully; the emulator keeps running for a restart.</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
        }
        catch (ObjectDisposedException)
        {
            // already stopped
        }

        await _app.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}
