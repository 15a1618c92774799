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
public sealed class BotHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BotHost(WebApplication app, BotApiEmulator.BotApiEmulator emulator, CapturedLogs logs, string databasePath, string[] settings)
    {
        _app = app;
        Emulator = emulator;
        Logs = logs;
        DatabasePath = databasePath;
        Settings = settings;
    }

    public BotApiEmulator.BotApiEmulator Emulator { get; }

    public CapturedLogs Logs { get; }

    public string DatabasePath { get; }

    public string[] Settings { get; }

    public IServiceProvider Services => _app.Services;

    public Uri HttpAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Fresh keys and a fresh database file for each test; the same emulator can be shared to restart a bot.</summary>
    public static string[] DefaultSettings(BotApiEmulator.BotApiEmulator emulator, string databasePath, params string[] extra) =>
    [
        $"--Telegram:BotToken={emulator.Token}",
        $"--Telegram:ApiBaseUrl={emulator.BaseUrl}",
        "--Telegram:PollTimeoutSeconds=1",
        "--Database:Provider=Sqlite",
        $"--Database:ConnectionString=Data Source={databasePath}",
        $"--Security:DataKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
        $"--Security:PseudonymKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
        "--Http:Urls=http://127.0.0.1:0",
        .. extra,
    ];

    public static async Task<BotHost> StartAsync(
        BotApiEmulator.BotApiEmulator? emulator = null,
        string[]? settings = null,
        Action<IServiceCollection>? services = null,
        string? databasePath = null)
    {
        emulator ??= await BotApiEmulator.BotApiEmulator.StartAsync();
        databasePath ??= NewDatabasePath();
        settings ??= DefaultSettings(emulator, databasePath);
        var logs = new CapturedLogs();
        var app = BotApp.Build(settings, b =>
        {
            b.Logging.ClearProviders();
            b.Logging.AddProvider(logs);
            b.Logging.SetMinimumLevel(LogLevel.Trace);
            services?.Invoke(b.Services);
        });
        await app.StartAsync();
        return new BotHost(app, emulator, logs, databasePath, settings);
    }

    public static string NewDatabasePath()
    {
        var dir = Path.Combine(Path.GetTempPath(), "resistancebot-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, "bot.db");
    }

    internal async Task<T> WithDbAsync<T>(Func<BotDbContext, Task<T>> query)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<BotDbContext>());
    }

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
