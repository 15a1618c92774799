using Microsoft.Extensions.Options;
using Prometheus;
using ResistanceBot.Archive;
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
using ResistanceBot.Vault;

namespace ResistanceBot.Hosting;

/// <summary>Composition of the bot: one registration per feature, and the HTTP endpoints (health, webhook).</summary>
internal static class BotApp
{
    /// <summary>
    /// Where settings come from, the later winning: <c>appsettings.json</c> in the working directory, environment variables,
    /// one file per key in <c>$CREDENTIALS_DIRECTORY</c> (systemd's <c>LoadCredential</c>, or Docker secrets mounted there:
    /// a file named <c>Security__DataKey</c> holds that key), then the command line.
    /// </summary>
    public static void AddSources(IConfigurationBuilder configuration, string[] args)
    {
        configuration.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true);
        configuration.AddEnvironmentVariables();
        if (Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY") is { Length: > 0 } credentials && Directory.Exists(credentials))
        {
            configuration.AddKeyPerFile(credentials, optional: true);
        }

        configuration.AddCommandLine(args);
    }

    /// <summary>Builds the host that serves the bot. Tests pass <paramref name="configure"/> to add or replace services.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AddSources(builder.Configuration, args);
        builder.AddBotLogging();
        builder.WebHost.UseUrls(builder.Configuration["Http:Urls"] ?? "http://127.0.0.1:8080");
        builder.Services.AddBot(builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        // Every option is checked here, before anything starts or logs: all bad keys are reported at once.
        app.Services.GetRequiredService<IStartupValidator>().Validate();
        app.MapHealthChecks("/healthz");
        app.MapMetrics("/metrics", app.Services.GetRequiredService<BotMetrics>().Registry);
        if (app.Services.GetRequiredService<IOptions<Archive.ArchiveOptions>>().Value.Enabled)
        {
            app.MapArchive();
        }

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
        services.AddArchive(configuration);
        services.AddTips(configuration);
        services.AddVault(configuration);
        services.AddModeration(configuration);
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
        services.AddSingleton(KeyScopes.Daily);
        services.AddSingleton<ErasableKeys>();
        services.AddSingleton<Residue>();
        services.AddSingleton<Retention>();
        services.AddHostedService<RetentionJob>();
        services.AddCommand<PrivacyCommand>("privacy");
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
