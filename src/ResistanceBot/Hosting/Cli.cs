using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using ResistanceBot.Storage;

namespace ResistanceBot.Hosting;

/// <summary>The verbs of the one executable: serve (default), migrate, keys, vault init, vault migrate, purge, backup, copy-to, archive export, sandbox.</summary>
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
                case "backup":
                    return await BackupAsync(rest);
                case "copy-to":
                    return await CopyToAsync(rest);
                case "sandbox":
                    return await Sandbox.RunAsync(rest);
                case "archive" when rest.Length > 1 && rest[0] == "export" && !rest[1].StartsWith('-'):
                    using (var host = await BotServicesAsync(rest[2..]))
                    {
                        return await Archive.ArchiveFeature.ExportAsync(host.Services, rest[1], Console.Out, CancellationToken.None);
                    }

                case "archive":
                    await Console.Error.WriteLineAsync("archive needs what to do: archive export DIR (every page of the web archive as files, for a mirror).");
                    return ConfigurationError;
                case "vault" when rest.Length > 0 && rest[0] == "init":
                    return await Vault.VaultInit.RunAsync(Console.In, Console.Out, Console.Error, interactive: !Console.IsInputRedirected);
                case "vault" when rest.Length > 0 && rest[0] == "migrate":
                    return await VaultMigrateAsync(rest[1..]);
                case "vault":
                    await Console.Error.WriteLineAsync("vault needs what to do: vault init (a new vault key pair), or vault migrate (reseal tips stored before the vault).");
                    return ConfigurationError;
                default:
                    await Console.Error.WriteLineAsync($"Unknown verb '{verb}'. Verbs: serve (default), migrate, keys, vault init, vault migrate, purge, backup PATH, copy-to CONNECTION_STRING, archive export DIR, sandbox.");
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

    /// <summary>A host for the verbs that work on the database: the bot's settings sources, JSON logs, storage; never started.</summary>
    private static IHost StorageHost(string[] args, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = Directory.GetCurrentDirectory() });
        BotApp.AddSources(builder.Configuration, args);
        builder.Logging.ClearProviders().AddJsonConsole();
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Services.AddStorage(builder.Configuration);
        configure?.Invoke(builder);
        return builder.Build();
    }

    private static async Task<int> MigrateAsync(string[] args)
    {
        using var host = StorageHost(args);
        await StorageServices.MigrateAsync(host.Services, CancellationToken.None);
        await Console.Out.WriteLineAsync("Database is up to date.");
        return 0;
    }

    /// <summary>
    /// The bot's own services, never started, for the verbs that work on its data with its keys (purge, vault migrate). The keys
    /// are checked first, so that a bad one is reported before anything is touched.
    /// </summary>
    private static async Task<IHost> BotServicesAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = Directory.GetCurrentDirectory() });
        BotApp.AddSources(builder.Configuration, args);
        builder.Logging.ClearProviders().AddJsonConsole();
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Services.AddBot(builder.Configuration);
        var host = builder.Build();
        _ = host.Services.GetRequiredService<IOptions<Privacy.SecurityOptions>>().Value;
        _ = host.Services.GetRequiredService<IOptions<Vault.VaultOptions>>().Value;
        await StorageServices.MigrateAsync(host.Services, CancellationToken.None);
        return host;
    }

    /// <summary>vault migrate: tips sealed under the DataKey by earlier versions, sealed to the vault instead.</summary>
    private static async Task<int> VaultMigrateAsync(string[] args)
    {
        using var host = await BotServicesAsync(args);
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        var done = await host.Services.GetRequiredService<Tips.TipResealer>().ResealAsync(db, CancellationToken.None);
        await host.Services.GetRequiredService<Residue>().EraseAsync(
            db, [new("tip_parts", ResidueMode.Rewrite), new("tips", ResidueMode.Rewrite), new("tip_replies", ResidueMode.Rewrite)], new HashSet<string> { "tip_parts", "tips", "tip_replies" }, CancellationToken.None);
        await Console.Out.WriteLineAsync(done.Total == 0
            ? "Nothing to reseal: every tip is sealed to the vault."
            : $"Resealed to the vault: {done.Texts} texts, {done.Files} files, {done.Names} file names, {done.Redacted} texts for publication and {done.Replies} replies, of {done.Tips} tips. The DataKey's copies are overwritten, and cleared from the database's files.");
        return 0;
    }

    /// <summary>Applies retention now (the bot also does it hourly), with the residue in the database's own files.</summary>
    private static async Task<int> PurgeAsync(string[] args)
    {
        using var host = await BotServicesAsync(args);
        await using var scope = host.Services.CreateAsyncScope();
        var erased = await host.Services.GetRequiredService<Privacy.Retention>().RunAsync(scope.ServiceProvider.GetRequiredService<BotDbContext>(), CancellationToken.None);
        foreach (var (what, count, _) in erased)
        {
            await Console.Out.WriteLineAsync($"{what}: {count}");
        }

        await Console.Out.WriteLineAsync("Erased, and the database's files cleared of the erased values (see deploy/README.md for PostgreSQL's WAL and backups).");
        return 0;
    }

    /// <summary>backup PATH: a consistent copy of the SQLite database, safe while the bot runs.</summary>
    private static async Task<int> BackupAsync(string[] args)
    {
        var (path, rest) = Operand(args);
        var database = DatabaseSettings(rest);
        if (path is null)
        {
            await Console.Error.WriteLineAsync("backup needs the file to write: ResistanceBot backup PATH.");
            return ConfigurationError;
        }

        if (database.Provider != DatabaseProvider.Sqlite)
        {
            await Console.Error.WriteLineAsync("backup copies a SQLite database; back up PostgreSQL with pg_dump (see deploy/README.md).");
            return ConfigurationError;
        }

        if (File.Exists(path))
        {
            await Console.Error.WriteLineAsync($"{path} already exists; backup never overwrites a file, so name a new one.");
            return ConfigurationError;
        }

        var bytes = await DatabaseCopy.BackupSqliteAsync(database.ConnectionString, Path.GetFullPath(path), CancellationToken.None);
        await Console.Out.WriteLineAsync($"Backed up the database to {path} ({bytes:N0} bytes, integrity ok). It holds sealed data: keep it as safe as the keys, and apart from them.");
        return 0;
    }

    /// <summary>copy-to CONNECTION_STRING: every row of the configured database into an empty PostgreSQL database.</summary>
    private static async Task<int> CopyToAsync(string[] args)
    {
        var (target, rest) = Operand(args);
        var database = DatabaseSettings(rest);
        if (target is null)
        {
            await Console.Error.WriteLineAsync("copy-to needs the PostgreSQL connection string: ResistanceBot copy-to \"Host=…;Database=…;Username=…;Password=…\".");
            return ConfigurationError;
        }

        await using var from = StorageServices.CreateContext(database.Provider, database.ConnectionString);
        await using var to = StorageServices.CreateContext(DatabaseProvider.Postgres, target);
        try
        {
            var copied = await DatabaseCopy.CopyAsync(from, to, CancellationToken.None);
            foreach (var (table, rows) in copied.Where(c => c.Rows > 0))
            {
                await Console.Out.WriteLineAsync($"{table}: {rows:N0}");
            }

            await Console.Out.WriteLineAsync($"Copied {copied.Sum(c => c.Rows):N0} rows in {copied.Count} tables. Now start the bot with Database__Provider=Postgres and that connection string, and the same keys.");
            return 0;
        }
        catch (TargetNotEmptyException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return ConfigurationError;
        }
    }

    /// <summary>The first argument that is not a setting (<c>--Key=value</c>), and the rest.</summary>
    private static (string? Operand, string[] Settings) Operand(string[] args)
    {
        var index = Array.FindIndex(args, a => !a.StartsWith("--", StringComparison.Ordinal));
        return index < 0 ? (null, args) : (args[index], [.. args[..index], .. args[(index + 1)..]]);
    }

    private static DatabaseOptions DatabaseSettings(string[] args)
    {
        var configuration = new ConfigurationManager();
        BotApp.AddSources(configuration, args);
        return configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
    }

    private static void PrintKeys()
    {
        Console.WriteLine("# Keep these outside the database and its backups. Losing DataKey makes stored tips unreadable.");
        Console.WriteLine($"Security__DataKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}");
        Console.WriteLine($"Security__PseudonymKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}");
    }
}
