using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ResistanceBot.Storage;

internal enum ResidueMode
{
    /// <summary>PostgreSQL: VACUUM (large tables whose erased values are sealed under erasable keys, or hold no secret).</summary>
    Vacuum,

    /// <summary>PostgreSQL: VACUUM FULL, a rewrite into a new file (the tip line's tables, readers).</summary>
    Rewrite,
}

/// <summary>A table whose erased rows must also leave the database's files, and how (on SQLite the mode does not matter).</summary>
internal sealed record ResidueTable(string Name, ResidueMode Mode);

/// <summary>
/// Deleting a row is not erasing it. SQLite runs with <c>secure_delete</c>, which zeroes erased content in the main file, but the
/// page images written before the delete stay in the <c>-wal</c> file until it is checkpointed and truncated. PostgreSQL keeps dead
/// row versions until VACUUM, leaves their bytes in the freed space of each page even after it (only a rewrite, VACUUM FULL,
/// drops the old file), and keeps every change in its WAL until the segment is removed. This runs after each purge.
/// </summary>
internal sealed partial class Residue(ILogger<Residue> logger)
{
    /// <summary>How long the purge waits for transactions older than its erasure to end before it rewrites anyway.</summary>
    internal static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, long> _changesSeen = [];
    private readonly HashSet<string> _again = [];
    private int _warned;

    /// <summary>
    /// Clears the database's files of what was erased from these tables; <paramref name="erasedFrom"/> names those the purge itself
    /// just erased rows from, cleared whatever PostgreSQL's statistics say yet.
    /// </summary>
    public async Task EraseAsync(BotDbContext db, IEnumerable<ResidueTable> tables, IReadOnlySet<string> erasedFrom, CancellationToken ct)
    {
        // One connection for every statement here, so that a session setting (lock_timeout) applies to all of them.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (db.IsPostgres())
            {
                await ErasePostgresAsync(db, tables.DistinctBy(t => t.Name).ToList(), erasedFrom, ct);
            }
            else
            {
                await TruncateWalAsync(db, ct);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task TruncateWalAsync(BotDbContext db, CancellationToken ct)
    {
        // TRUNCATE waits for readers of older snapshots; pooled connections hold none between updates, so a few tries suffice.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await using var checkpoint = db.Database.GetDbConnection().CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)"; // one row: busy, WAL frames, frames checkpointed
            await using var result = await checkpoint.ExecuteReaderAsync(ct);
            if (await result.ReadAsync(ct) && result.GetInt32(0) == 0)
            {
                return;
            }

            await Task.Delay(100, ct);
        }

        LogBusy(logger);
    }

    /// <summary>
    /// Only tables that lost or changed rows since the last purge are vacuumed or rewritten, and the WAL is switched past only
    /// then: a switch makes a new 16 MB segment, a checkpoint flushes the whole server.
    /// </summary>
    private async Task ErasePostgresAsync(BotDbContext db, IReadOnlyList<ResidueTable> tables, IReadOnlySet<string> erasedFrom, CancellationToken ct)
    {
        var changes = await db.Database.SqlQueryRaw<TableChanges>(
            "SELECT relname AS \"Name\", n_tup_upd + n_tup_del AS \"Changes\" FROM pg_stat_user_tables").ToListAsync(ct);
        var due = tables
            .Select(t => (Table: t, Now: changes.FirstOrDefault(c => c.Name == t.Name)?.Changes ?? 0))
            .Where(d => erasedFrom.Contains(d.Table.Name) || _again.Contains(d.Table.Name) || d.Now != _changesSeen.GetValueOrDefault(d.Table.Name))
            .ToList();
        if (due.Count == 0)
        {
            return;
        }

        // A rewrite copies every row version that a transaction still open anywhere in this database might see: an erased value
        // survives it into the new file while a snapshot older than the erasure lives. So it waits for those to end, and a table
        // rewritten too early is rewritten again at the next purge whatever the statistics say.
        var settled = await SnapshotsSettledAsync(db, ct);
        var cleared = false;
        // VACUUM runs outside any transaction; a lock held elsewhere makes it wait a few seconds at most, then try again next hour.
        await db.Database.ExecuteSqlRawAsync("SET lock_timeout = '5s'", ct);
        try
        {
            foreach (var (table, now) in due)
            {
                try
                {
#pragma warning disable EF1002 // table names are the bot's own constants, never input
                    await db.Database.ExecuteSqlRawAsync(table.Mode == ResidueMode.Rewrite ? $"VACUUM (FULL) \"{table.Name}\"" : $"VACUUM \"{table.Name}\"", ct);
#pragma warning restore EF1002
                    _changesSeen[table.Name] = now;
                    cleared = true;
                    if (settled)
                    {
                        _again.Remove(table.Name);
                    }
                    else
                    {
                        _again.Add(table.Name);
                    }
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.LockNotAvailable)
                {
                    LogLocked(logger, table.Name);
                }
            }

            if (cleared)
            {
                await SwitchWalAsync(db, ct);
            }
        }
        finally
        {
            await db.Database.ExecuteSqlRawAsync("RESET lock_timeout", ct);
        }
    }

    /// <summary>
    /// Waits, <see cref="SettleTime"/> at most, until no other session of this database holds a transaction that began before
    /// now (so no snapshot can still see what was just erased); whether it came to that.
    /// </summary>
    private async Task<bool> SnapshotsSettledAsync(BotDbContext db, CancellationToken ct)
    {
        var since = (await db.Database.SqlQueryRaw<DateTime>("SELECT clock_timestamp() AS \"Value\"").ToListAsync(ct))[0];
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var older = (await db.Database.SqlQuery<int>(
                $"""
                SELECT count(*)::int AS "Value" FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                  AND backend_xmin IS NOT NULL AND xact_start < {since}
                """).ToListAsync(ct))[0];
            if (older == 0)
            {
                return true;
            }

            if (waited.Elapsed >= SettleTime)
            {
                LogOldSnapshot(logger, older);
                return false;
            }

            await Task.Delay(50, ct);
        }
    }

    private async Task SwitchWalAsync(BotDbContext db, CancellationToken ct)
    {
        try
        {
            // Twice: the segment that held the erased rows is closed, and the checkpoint after the next one lets it go
            // (removed outright where wal_recycle is off; see deploy/README).
            for (var i = 0; i < 2; i++)
            {
                await db.Database.ExecuteSqlRawAsync("SELECT pg_switch_wal()", ct);
                await db.Database.ExecuteSqlRawAsync("CHECKPOINT", ct);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0)
            {
                LogNoWalRights(logger);
            }
        }
    }

    private sealed record TableChanges(string Name, long Changes);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "The SQLite WAL could not be truncated (readers kept it busy); it is tried again at the next purge")]
    private static partial void LogBusy(ILogger logger);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Warning, Message = "VACUUM of {Table} waited too long for a lock; it is tried again at the next purge")]
    private static partial void LogLocked(ILogger logger, string table);

    [LoggerMessage(EventId = 1704, Level = LogLevel.Warning, Message = "{Count} transactions older than the purge's erasure were still open; what they could see is rewritten out again at the next purge")]
    private static partial void LogOldSnapshot(ILogger logger, int count);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Warning, Message = "The database user may not run CHECKPOINT and pg_switch_wal(): erased values stay in PostgreSQL's WAL until its segments are recycled (deploy/README.md, 'What PostgreSQL keeps')")]
    private static partial void LogNoWalRights(ILogger logger);
}

/// <summary>What the database under a context can do, asked by other slices instead of testing which provider it is.</summary>
internal static class StorageCapabilities
{
    /// <summary>Whether this context runs on PostgreSQL (several instances, SKIP LOCKED, VACUUM) rather than SQLite.</summary>
    public static bool IsPostgres(this BotDbContext db) => db is PostgresBotDbContext;

    /// <summary>
    /// Whether a claim can skip rows another transaction holds (<c>FOR UPDATE SKIP LOCKED</c>), so that several instances
    /// can share one queue; without it (SQLite) one writer at a time claims.
    /// </summary>
    public static bool SkipsLockedRows(this BotDbContext db) => db.IsPostgres();

    /// <summary>
    /// Within the caller's transaction, waits until no other instance's transaction holds the lock named <paramref name="key"/>,
    /// and holds it until this one ends (PostgreSQL's transaction-scoped advisory lock). SQLite serves one instance, whose
    /// write transactions already run one at a time: nothing to wait for.
    /// </summary>
    public static async Task LockAcrossInstancesAsync(this BotDbContext db, long key, CancellationToken ct)
    {
        if (db.IsPostgres())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({key})", ct);
        }
    }
}
