using ResistanceBot.Staff;
using ResistanceBot.Telegram;

namespace ResistanceBot.Delivery;

internal static class DeliveryFeature
{
    public static IServiceCollection AddDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DeliveryOptions>().Bind(configuration.GetSection(DeliveryOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SendLimiter>();
        services.AddSingleton<FloodGate>();
        services.AddSingleton<BotSender>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<MessageJanitor>();
        services.AddHostedService(sp => sp.GetRequiredService<MessageJanitor>());
        services.AddSingleton<Privacy.IRetentionStep, OutboxRetention>();
        services.AddScoped<Subscriptions.IReaderEraser, DeliveryEraser>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<DeliveryProgress>();
        services.AddHostedService<FanOutWorker>();
        services.AddHostedService<DeliveryProgressReporter>();
        services.AddCommand<StatsCommand>("stats", StaffRole.Admin);
        return services;
    }
}
