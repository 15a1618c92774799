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
/// X-Telegram-Bot-Api-Secret-Token gets 401 and nothing is processed. The update is handled before the 200 goes back,
/// so Telegram redelivers it if the process dies mid-way; requests for different chats run concurrently, one chat's in order
/// (<see cref="ChatOrderedRunner"/>), as in polling.
/// </summary>
internal static partial class WebhookIntake
{
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    public static void MapWebhook(this IEndpointRouteBuilder endpoints, TelegramOptions options)
    {
        var path = new Uri(options.WebhookUrl!).AbsolutePath;
        var secret = Encoding.UTF8.GetBytes(options.WebhookSecret!);
        endpoints.MapPost(path, async (HttpContext http, ChatOrderedRunner runner, ILoggerFactory loggers) =>
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

            // Answered once handled, in its chat's order: Telegram redelivers it if the process dies first.
            await runner.RunAsync(update, http.RequestAborted);
            return Results.Ok();
        });
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Webhook request without the right secret token refused")]
    private static partial void LogRejected(ILogger logger);
}

/// <summary>Registers the webhook with Telegram at start, retrying until the Bot API answers.</summary>
internal sealed partial class WebhookRegistration(ITelegramBotClient bot, IOptions<TelegramOptions> options, TimeProvider time, ILogger<WebhookRegistration> logger)
    : BackgroundService
{
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
