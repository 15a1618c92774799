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
        switch (options.Provider)
        {
            case DatabaseProvider.Postgres:
                services.AddDbContext<BotDbContext, PostgresBotDbContext>(o => ConfigurePostgres(o, options.ConnectionString));
                break;
            default:
                services.AddDbContext<BotDbContext, SqliteBotDbContext>(o => ConfigureSqlite(o, options.ConnectionString));
                break;
        }

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
/// in the file (privacy promise 8), a busy timeout instead of instant "database is locked".
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON; PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL;";

    // EF checks that the file exists through a read-only connection, where switching a rollback-journal database (a restored
    // backup) to WAL fails; the read-write connection that follows sets everything.
    private static bool ReadOnly(DbConnection connection) =>
        new SqliteConnectionStringBuilder(connection.ConnectionString).Mode == SqliteOpenMode.ReadOnly;

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (ReadOnly(connection))
        {
            return;
        }

        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (ReadOnly(connection))
        {
            return;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
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
