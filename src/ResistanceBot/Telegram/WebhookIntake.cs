using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace ResistanceBot.Telegram;

/// <summary>
/// Webhook mode: Telegram posts each update to <c>Telegram:WebhookUrl</c>. A request without the right
/// X-Telegram-Bot-Api-Secret-Token gets 401 and nothing is processed. The 200 goes back once the update is done with
/// (<see cref="UpdateRun.DoneWith"/>), so Telegram redelivers it if the process dies mid-way; requests for different chats run concurrently, one chat's in order
/// (<see cref="ChatOrderedRunner"/>), as in polling.
/// </summary>
internal static partial class WebhookIntake
{
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    public static void MapWebhook(this IEndpointRouteBuilder endpoints, TelegramOptions options)
    {
        var path = new Uri(options.WebhookUrl!).AbsolutePath;
        var secret = Encoding.UTF8.GetBytes(options.WebhookSecret!);
        endpoints.MapPost(path, async (HttpContext http, ChatOrderedRunner runner, IHostApplicationLifetime lifetime, ILoggerFactory loggers) =>
        {
            var logger = loggers.CreateLogger(typeof(WebhookIntake).FullName!);
            var given = http.Request.Headers[SecretHeader].ToString();
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), secret))
            {
                LogRejected(logger);
                return Results.Unauthorized();
            }

            Update? update;
            try
            {
                update = await JsonSerializer.DeserializeAsync<Update>(http.Request.Body, global::Telegram.Bot.JsonBotAPI.Options, http.RequestAborted);
            }
            catch (JsonException)
            {
                return Results.BadRequest();
            }

            if (update is null)
            {
                return Results.BadRequest();
            }

            // Answered once done with, in its chat's order: Telegram redelivers it if the process dies first. A request Telegram
            // gave up on leaves the handler running: the update log keeps its redelivery from being handled twice.
            var run = runner.Start(update, lifetime.ApplicationStopping);
            await run.DoneWith.WaitAsync(http.RequestAborted);
            return Results.Ok();
        });
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Webhook request without the right secret token refused")]
    private static partial void LogRejected(ILogger logger);
}

/// <summary>
/// Registers the webhook with Telegram at start, retrying until the Bot API answers. At shutdown it waits for the handlers still
/// running (answers to readers that were done with and still wait for the rate limit), within their grace period.
/// </summary>
internal sealed partial class WebhookRegistration(
    ITelegramBotClient bot, ChatOrderedRunner runner, IOptions<TelegramOptions> options, TimeProvider time, ILogger<WebhookRegistration> logger)
    : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await runner.IdleAsync().WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's own shutdown limit came first; what still waits is lost with the process.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var backoff = new Hosting.Backoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                // Telegram opens up to max_connections requests at once; each waits its turn in ChatOrderedRunner.
                await bot.SetWebhook(
                    o.WebhookUrl!, allowedUpdates: PollingIntake.AllowedUpdates, secretToken: o.WebhookSecret,
                    maxConnections: Math.Clamp(o.MaxConcurrentUpdates, 1, 100), cancellationToken: stoppingToken);
                LogRegistered(logger);
                return;
            }
            catch (Exception e) when (e is RequestException or HttpRequestException)
            {
                LogFailed(logger, (e as ApiRequestException)?.ErrorCode ?? 0, attempt);
                if (!await Hosting.Backoff.WaitAsync(backoff.Next(), time, stoppingToken))
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Webhook registered with the Bot API")]
    private static partial void LogRegistered(ILogger logger);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "setWebhook failed (code {ErrorCode}), attempt {Attempt}")]
    private static partial void LogFailed(ILogger logger, int errorCode, int attempt);
}
