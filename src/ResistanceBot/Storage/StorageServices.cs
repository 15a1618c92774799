using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace ResistanceBot.Storage;

internal static class StorageServices
{
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>().Bind(configuration.GetSection(DatabaseOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        // Pooled: an update makes one context, and building its options and services anew for each was a fifth of the CPU an
        // update cost. A pooled context is reset (its tracked entities dropped) when its scope ends.
        switch (options.Provider)
        {
            case DatabaseProvider.Postgres:
                services.AddDbContextPool<BotDbContext, PostgresBotDbContext>(o => ConfigurePostgres(o, options.ConnectionString));
                break;
            default:
                services.AddDbContextPool<BotDbContext, SqliteBotDbContext>(o => ConfigureSqlite(o, options.ConnectionString));
                break;
        }

        services.AddHostedService<SqliteCheckpointer>();
        services.AddSingleton<Leadership>();
        services.AddHostedService(sp => sp.GetRequiredService<Leadership>());
        return services;
    }

    internal static void ConfigureSqlite(DbContextOptionsBuilder builder, string connectionString)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (!string.IsNullOrEmpty(csb.DataSource) && csb.DataSource != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(csb.DataSource)) is { } dir)
        {
            Directory.CreateDirectory(dir);
        }

        builder.UseSqlite(csb.ToString()).AddInterceptors(SqlitePragmas.Instance)
            // The SQL the migrations run before SQLite's table rebuilds was read for that order (Unlinkable, UnlinkableTags).
            .ConfigureWarnings(w => w.Ignore(SqliteEventId.TableRebuildPendingWarning));
    }

    internal static void ConfigurePostgres(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseNpgsql(connectionString);

    /// <summary>A context outside dependency injection, for the verbs that work on two databases and for tests.</summary>
    internal static BotDbContext CreateContext(DatabaseProvider provider, string connectionString)
    {
        if (provider == DatabaseProvider.Postgres)
        {
            var postgres = new DbContextOptionsBuilder<PostgresBotDbContext>();
            ConfigurePostgres(postgres, connectionString);
            return new PostgresBotDbContext(postgres.Options);
        }

        var sqlite = new DbContextOptionsBuilder<SqliteBotDbContext>();
        ConfigureSqlite(sqlite, connectionString);
        return new SqliteBotDbContext(sqlite.Options);
    }

    /// <summary>Applies migrations; used at start and by the <c>migrate</c> verb.</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        await db.Database.MigrateAsync(ct);
    }
}

/// <summary>
/// SQLite settings every connection needs: WAL for concurrent readers, secure_delete so that erased rows are overwritten
/// in the file (privacy promise 8), a busy timeout instead of instant "database is locked". They hold for the life of the
/// native connection, which the pool hands out again and again: they are set once for each.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    /// <summary>Native connections already set up (weakly held: a connection the pool closes is forgotten with it).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Prepared = [];

    // wal_autocheckpoint=0: a commit never copies the WAL back itself (after an edition's million rows that took seconds,
    // inside the release); SqliteCheckpointer does it in the background.
    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON; PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;";

    // EF checks that the file exists through a read-only connection, where switching a rollback-journal database (a restored
    // backup) to WAL fails; the read-write connection that follows sets everything.
    private static bool ReadOnly(DbConnection connection) =>
        new SqliteConnectionStringBuilder(connection.ConnectionString).Mode == SqliteOpenMode.ReadOnly;

    /// <summary>True the first time this native connection is seen (then it needs the pragmas).</summary>
    private static bool IsNew(DbConnection connection) =>
        connection is not SqliteConnection { Handle: { } handle } || Prepared.TryAdd(handle, Prepared);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (!IsNew(connection) || ReadOnly(connection))
        {
            return;
        }

        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
        }
        catch
        {
            Forget(connection);
            throw;
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (!IsNew(connection) || ReadOnly(connection))
        {
            return;
        }

        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            Forget(connection);
            throw;
        }
    }

    /// <summary>The pragmas did not all run: the next open of this native connection tries again.</summary>
    private static void Forget(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
        {
            Prepared.Remove(handle);
        }
    }
}

/// <summary>
/// SQLite only: copies the WAL back into the database file every two seconds (a passive checkpoint, which waits for no
/// reader or writer), in place of the automatic checkpoint that ran inside whichever commit crossed 1,000 pages.
/// </summary>
internal sealed partial class SqliteCheckpointer(IServiceScopeFactory scopes, TimeProvider time, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (await Hosting.Backoff.WaitAsync(Every, time, stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
                if (db.IsPostgres())
                {
                    return;
                }

                await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(PASSIVE)", stoppingToken);
            }
            catch (Exception e) when (e is DbException && !stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e.GetType().Name);
            }
        }
    }

    [LoggerMessage(EventId = 1710, Level = LogLevel.Warning, Message = "A WAL checkpoint failed ({ExceptionType}); the next comes in 2 s")]
    private static partial void LogFailed(ILogger logger, string exceptionType);
}

internal sealed class DatabaseMigrator(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => StorageServices.MigrateAsync(services, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

// Used by `dotnet ef migrations add`; no database is touched.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteBotDbContext>
{
    public SqliteBotDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<SqliteBotDbContext>();
        builder.UseSqlite("Data Source=design-time.db");
        return new SqliteBotDbContext(builder.Options);
    }
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresBotDbContext>
{
    public PostgresBotDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<PostgresBotDbContext>();
        builder.UseNpgsql("Host=127.0.0.1;Database=resistancebot_design");
        return new PostgresBotDbContext(builder.Options);
    }
}
