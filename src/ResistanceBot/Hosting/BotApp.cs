using Prometheus;
using Microsoft.Extensions.Options;
using ResistanceBot.Articles;
using ResistanceBot.Delivery;
using ResistanceBot.Digests;
using ResistanceBot.Localization;
using ResistanceBot.Moderation;
using ResistanceBot.Privacy;
using ResistanceBot.Staff;
using ResistanceBot.Storage;
using ResistanceBot.Subscriptions;
using ResistanceBot.Telegram;
using ResistanceBot.Tips;

namespace ResistanceBot.Hosting;

/// <summary>Composition of the bot: one registration per feature, and the HTTP endpoints (health, webhook).</summary>
internal static class BotApp
{
    /// <summary>Builds the host that serves the bot. Tests pass <paramref name="configure"/> to add or replace services.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine(args);
        builder.AddBotLogging();
        builder.WebHost.UseUrls(builder.Configuration["Http:Urls"] ?? "http://127.0.0.1:8080");
        builder.Services.AddBot(builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        // Every option is checked here, before anything starts or logs: all bad keys are reported at once.
        app.Services.GetRequiredService<IStartupValidator>().Validate();
        app.MapHealthChecks("/healthz");
        app.MapMetrics("/metrics", app.Services.GetRequiredService<BotMetrics>().Registry);
        var telegram = app.Services.GetRequiredService<IOptions<TelegramOptions>>().Value;
        if (telegram.Mode == IntakeMode.Webhook && Uri.TryCreate(telegram.WebhookUrl, UriKind.Absolute, out _) && !string.IsNullOrEmpty(telegram.WebhookSecret))
        {
            app.MapWebhook(telegram);
        }

        return app;
    }

    public static IServiceCollection AddBot(this IServiceCollection services, IConfiguration configuration)
    {
        // The first hosted service: hosted services start in registration order, and every later one may need the schema.
        services.AddHostedService<DatabaseMigrator>();
        services.AddSingleton<BotMetrics>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Localizer>();
        // Telegram first: its token is the first thing a newcomer is told to set.
        services.AddTelegram(configuration);
        services.AddDelivery(configuration);
        services.AddPrivacy(configuration);
        services.AddStorage(configuration);
        services.AddStaff(configuration);
        services.AddSubscriptions();
        services.AddArticles(configuration);
        services.AddDigests(configuration);
        services.AddTips(configuration);
        services.AddModeration();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database")
            .AddCheck<BotApiHealthCheck>("bot-api");
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return services;
    }

    public static IServiceCollection AddPrivacy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SecurityOptions>().Bind(configuration.GetSection(SecurityOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SecurityOptions>, SecurityOptionsValidator>();
        services.AddSingleton<DataSealer>();
        services.AddSingleton<Pseudonyms>();
        return services;
    }

    /// <summary>Structured lines on stdout. The framework's HTTP client logging is off for the Bot API client (its URLs hold the token).</summary>
    public static void AddBotLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = false;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    }
}
