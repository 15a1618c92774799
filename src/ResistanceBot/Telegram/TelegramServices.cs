using Microsoft.Extensions.Options;
using Telegram.Bot;

namespace ResistanceBot.Telegram;

internal static class TelegramServices
{
    public const string HttpClientName = "telegram";

    public static IServiceCollection AddTelegram(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TelegramOptions>().Bind(configuration.GetSection(TelegramOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelegramOptions>, TelegramOptionsValidator>();

        // The token is part of every Bot API URL: this client logs no requests, so the token never reaches a log.
        services.AddHttpClient(HttpClientName).RemoveAllLoggers();
        services.AddSingleton<ITelegramBotClient>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TelegramOptions>>().Value;
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            http.Timeout = TimeSpan.FromSeconds(o.PollTimeoutSeconds + 30);
            // RetryThreshold 0: Telegram.Bot's own 429 retry is off; BotSender's policy is the only one.
            return new TelegramBotClient(new TelegramBotClientOptions(o.BotToken!, o.ApiBaseUrl) { RetryThreshold = 0, RetryCount = 0 }, http);
        });

        services.AddSingleton<BotIdentity>();
        services.AddSingleton<UpdateLog>();
        services.AddSingleton<UpdateDispatcher>();
        services.AddSingleton<ChatOrderedRunner>();
        services.AddSingleton<CommandMenus>();
        services.AddScoped<BotContext>();

        var mode = configuration.GetSection(TelegramOptions.Section).GetValue(nameof(TelegramOptions.Mode), IntakeMode.Polling);
        if (mode == IntakeMode.Webhook)
        {
            services.AddHostedService<WebhookRegistration>();
        }
        else
        {
            services.AddHostedService<PollingIntake>();
        }

        services.AddHostedService<MenuPublisher>();
        services.AddSingleton<Privacy.IRetentionStep, UpdateLogRetention>();
        services.AddSingleton<Privacy.IRetentionStep, ConversationRetention>();
        return services;
    }
}
