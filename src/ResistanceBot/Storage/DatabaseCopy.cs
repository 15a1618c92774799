using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace ResistanceBot.Storage;

/// <summary>
/// The operator's tools for the database itself: a consistent copy of a live SQLite file (<c>backup</c>), and moving every row
/// of a SQLite database into an empty PostgreSQL one (<c>copy-to</c>) when one machine is no longer enough.
/// </summary>
internal static class DatabaseCopy
{
    private const int Chunk = 1000;

    /// <summary>
    /// SQLite's online backup: a consistent snapshot while the bot keeps running, written beside the target and renamed into
    /// place, as one self-contained file (no WAL beside it), readable by its owner only.
    /// </summary>
    /// <returns>The size of the backup in bytes.</returns>
    public static async Task<long> BackupSqliteAsync(string connectionString, string path, CancellationToken ct)
    {
        var temporary = path + ".partial";
        File.Delete(temporary);
        await using (var source = new SqliteConnection(connectionString))
        await using (var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temporary, Pooling = false }.ToString()))
        {
            await source.OpenAsync(ct);
            await target.OpenAsync(ct);
            source.BackupDatabase(target);
            await using var journal = target.CreateCommand();
            journal.CommandText = "PRAGMA journal_mode=DELETE;";
            await journal.ExecuteNonQueryAsync(ct);
            await using var integrity = target.CreateCommand();
            integrity.CommandText = "PRAGMA integrity_check;";
            if ((string?)await integrity.ExecuteScalarAsync(ct) != "ok")
            {
                throw new InvalidDataException("The backup failed SQLite's integrity check; the database may be damaged.");
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path);
        return new FileInfo(path).Length;
    }

    /// <summary>
    /// Copies every row, keys included, from <paramref name="source"/> into <paramref name="target"/> (migrated here, and
    /// required to be empty), in one transaction on the target, principals before dependents; then moves PostgreSQL's identity
    /// sequences past the copied keys. Run it with the bot stopped.
    /// </summary>
    /// <returns>Rows copied per table.</returns>
    public static async Task<IReadOnlyList<(string Table, int Rows)>> CopyAsync(BotDbContext source, BotDbContext target, CancellationToken ct)
    {
        await source.Database.MigrateAsync(ct);
        await target.Database.MigrateAsync(ct);
        var types = InDependencyOrder(target.Model);
        foreach (var type in types)
        {
            if (await (Task<bool>)Generic(nameof(AnyAsync), type).Invoke(null, [target, ct])!)
            {
                throw new TargetNotEmptyException(type.GetTableName()!);
            }
        }

        var copied = new List<(string, int)>();
        await using var transaction = await target.Database.BeginTransactionAsync(ct);
        foreach (var type in types)
        {
            var rows = await (Task<int>)Generic(nameof(CopyTableAsync), type).Invoke(null, [source, target, ct])!;
            copied.Add((type.GetTableName()!, rows));
        }

        if (target.IsPostgres())
        {
            foreach (var type in types)
            {
                if (type.FindPrimaryKey() is { Properties: [{ ValueGenerated: ValueGenerated.OnAdd } key] } && (key.ClrType == typeof(int) || key.ClrType == typeof(long)))
                {
                    var table = type.GetTableName()!;
                    var column = key.GetColumnName();
                    // Table and column names come from the model, never from input.
#pragma warning disable EF1002
                    await target.Database.ExecuteSqlRawAsync(
                        $"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), COALESCE(MAX(\"{column}\"), 1), MAX(\"{column}\") IS NOT NULL) FROM \"{table}\"", ct);
#pragma warning restore EF1002
                }
            }
        }

        await transaction.CommitAsync(ct);
        return copied;
    }

    private static MethodInfo Generic(string name, IEntityType type) =>
        typeof(DatabaseCopy).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type.ClrType);

    private static Task<bool> AnyAsync<T>(BotDbContext db, CancellationToken ct)
        where T : class => db.Set<T>().AnyAsync(ct);

    private static async Task<int> CopyTableAsync<T>(BotDbContext source, BotDbContext target, CancellationToken ct)
        where T : class
    {
        var rows = 0;
        var pending = 0;
        await foreach (var row in source.Set<T>().AsNoTracking().AsAsyncEnumerable().WithCancellation(ct))
        {
            target.Set<T>().Add(row);
            rows++;
            if (++pending == Chunk)
            {
                await target.SaveChangesAsync(ct);
                target.ChangeTracker.Clear();
                pending = 0;
            }
        }

        await target.SaveChangesAsync(ct);
        target.ChangeTracker.Clear();
        var copied = await target.Set<T>().CountAsync(ct);
        return copied == rows ? rows : throw new InvalidOperationException($"{typeof(T).Name}: {rows} rows read but {copied} written.");
    }

    /// <summary>Entity types with every principal before its dependents, so foreign keys hold at each insert.</summary>
    private static List<IEntityType> InDependencyOrder(IModel model)
    {
        var ordered = new List<IEntityType>();
        var visiting = new HashSet<IEntityType>();
        void Visit(IEntityType type)
        {
            if (ordered.Contains(type) || !visiting.Add(type))
            {
                return;
            }

            foreach (var principal in type.GetForeignKeys().Select(f => f.PrincipalEntityType).Where(p => p != type))
            {
                Visit(principal);
            }

            ordered.Add(type);
        }

        foreach (var type in model.GetEntityTypes().Where(t => !t.IsOwned() && t.GetTableName() is not null).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            Visit(type);
        }

        return ordered;
    }
}

/// <summary><c>copy-to</c> met a database that already holds data: it only ever fills an empty one.</summary>
internal sealed class TargetNotEmptyException(string table)
    : InvalidOperationException($"The target database already holds data (table {table}); copy-to only fills an empty one.");
