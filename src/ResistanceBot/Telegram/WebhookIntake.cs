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
/// so Telegram redelivers it if the process dies mid-way.
/// </summary>
internal static partial class WebhookIntake
{
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    public static void MapWebhook(this IEndpointRouteBuilder endpoints, TelegramOptions options)
    {
        var path = new Uri(options.WebhookUrl!).AbsolutePath;
        var secret = Encoding.UTF8.GetBytes(options.WebhookSecret!);
        endpoints.MapPost(path, async (HttpContext http, UpdateDispatcher dispatcher, ILoggerFactory loggers) =>
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

            await dispatcher.DispatchAsync(update, http.RequestAborted);
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
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await bot.SetWebhook(o.WebhookUrl!, allowedUpdates: PollingIntake.AllowedUpdates, secretToken: o.WebhookSecret, cancellationToken: stoppingToken);
                LogRegistered(logger);
                return;
            }
            catch (Exception e) when (e is RequestException or HttpRequestException)
            {
                LogFailed(logger, (e as ApiRequestException)?.ErrorCode ?? 0, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt * 2)), time, stoppingToken);
            }
        }
    }

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Webhook registered with the Bot API")]
    private static partial void LogRegistered(ILogger logger);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "setWebhook failed (code {ErrorCode}), attempt {Attempt}")]
    private static partial void LogFailed(ILogger logger, int errorCode, int attempt);
}
