using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using ResistanceBot.Storage;

namespace ResistanceBot.Hosting;

/// <summary>The verbs of the one executable: serve (default), migrate, keys, sandbox.</summary>
internal static class Cli
{
    public const int ConfigurationError = 2;
    public const int DatabaseError = 3;

    public static async Task<int> RunAsync(string[] args)
    {
        var verb = args.Length > 0 && !args[0].StartsWith('-') && !args[0].Contains('=', StringComparison.Ordinal) ? args[0] : "serve";
        var rest = verb == "serve" && (args.Length == 0 || args[0] != "serve") ? args : args[1..];
        try
        {
            switch (verb)
            {
                case "serve":
                    await using (var app = BotApp.Build(rest))
                    {
                        await app.RunAsync();
                    }

                    return 0;
                case "migrate":
                    return await MigrateAsync(rest);
                case "keys":
                    PrintKeys();
                    return 0;
                case "purge":
                    return await PurgeAsync(rest);
                case "sandbox":
                    return await Sandbox.RunAsync(rest);
                default:
                    await Console.Error.WriteLineAsync($"Unknown verb '{verb}'. Verbs: serve (default), migrate, keys, purge, sandbox.");
                    return ConfigurationError;
            }
        }
        catch (Exception e) when (ValidationFailures(e) is { Count: > 0 } failures)
        {
            // One sentence per bad key, and nothing else: a stack trace would only hide the sentences.
            foreach (var failure in failures)
            {
                await Console.Error.WriteLineAsync(failure);
            }

            return ConfigurationError;
        }
        catch (System.Data.Common.DbException e)
        {
            // A database error names the database problem, never a reader: it is safe to print.
            await Console.Error.WriteLineAsync($"The database could not be opened or migrated (check Database:Provider and Database:ConnectionString): {e.Message}");
            return DatabaseError;
        }
    }

    internal static List<string> ValidationFailures(Exception e) => e switch
    {
        OptionsValidationException v => [.. v.Failures.Distinct()],
        AggregateException a when a.InnerExceptions.All(i => i is OptionsValidationException) =>
            [.. a.InnerExceptions.SelectMany(i => ((OptionsValidationException)i).Failures).Distinct()],
        _ => [],
    };

    private static async Task<int> MigrateAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Logging.ClearProviders().AddJsonConsole();
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Services.AddStorage(builder.Configuration);
        using var host = builder.Build();
        await StorageServices.MigrateAsync(host.Services, CancellationToken.None);
        await Console.Out.WriteLineAsync("Database is up to date.");
        return 0;
    }

    /// <summary>Applies tip retention now (the bot also does it daily).</summary>
    private static async Task<int> PurgeAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Logging.ClearProviders().AddJsonConsole();
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Services.AddStorage(builder.Configuration);
        builder.Services.AddOptions<Tips.TipsOptions>().Bind(builder.Configuration.GetSection(Tips.TipsOptions.Section));
        using var host = builder.Build();
        await StorageServices.MigrateAsync(host.Services, CancellationToken.None);
        await using var scope = host.Services.CreateAsyncScope();
        var (drafts, routes, tips) = await Tips.TipService.PurgeAsync(
            scope.ServiceProvider.GetRequiredService<BotDbContext>(),
            host.Services.GetRequiredService<IOptions<Tips.TipsOptions>>().Value,
            TimeProvider.System,
            host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ResistanceBot.Purge"),
            CancellationToken.None);
        await Console.Out.WriteLineAsync($"Erased {drafts} expired drafts, {routes} reply routes and {tips} decided tips.");
        return 0;
    }

    private static void PrintKeys()
    {
        Console.WriteLine("# Keep these outside the database and its backups. Losing DataKey makes stored tips unreadable.");
        Console.WriteLine($"Security__DataKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}");
        Console.WriteLine($"Security__PseudonymKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}");
    }
}
