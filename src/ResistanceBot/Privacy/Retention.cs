using ResistanceBot.Storage;

namespace ResistanceBot.Privacy;

/// <summary>What one step of the purge erased, and the table it was erased from.</summary>
internal sealed record Erased(string What, int Count, string Table);

/// <summary>One slice's part of the purge: it erases what that slice keeps past its time.</summary>
internal interface IRetentionStep
{
    /// <summary>Tables of this slice whose erased values must always leave the database's files (small ones are rewritten).</summary>
    IEnumerable<ResidueTable> Tables { get; }

    Task<IReadOnlyList<Erased>> RunAsync(BotDbContext db, CancellationToken ct);
}

/// <summary>
/// The purge, hourly on the leading instance and on demand (<c>purge</c>): erasable keys past their life first, then every slice's
/// step, then the residue of all of it in the database's own files.
/// </summary>
internal sealed partial class Retention(IEnumerable<IRetentionStep> steps, Residue residue, ErasableKeys keys, TimeProvider time, ILogger<Retention> logger)
{
    public async Task<IReadOnlyList<Erased>> RunAsync(BotDbContext db, CancellationToken ct)
    {
        var erased = new List<Erased> { new("erasable keys", await ErasableKeys.EraseExpiredAsync(db, time, ct), "erasable_keys") };
        if (erased[0].Count > 0)
        {
            keys.Invalidate();
        }

        foreach (var step in steps)
        {
            erased.AddRange(await step.RunAsync(db, ct));
        }

        await keys.EnsureCurrentAsync(ct);

        // Every declared table as declared (a large one is only vacuumed); another table that lost rows now is rewritten.
        var erasedFrom = erased.Where(e => e.Count > 0).Select(e => e.Table).ToHashSet();
        var tables = steps.SelectMany(s => s.Tables)
            .Append(new ResidueTable("erasable_keys", ResidueMode.Rewrite))
            .Concat(erasedFrom.Select(t => new ResidueTable(t, ResidueMode.Rewrite)));
        await residue.EraseAsync(db, tables.GroupBy(t => t.Name).Select(g => g.First()), erasedFrom, ct);
        var summary = string.Join(", ", erased.Where(e => e.Count > 0).Select(e => $"{e.Count} {e.What}"));
        LogPurged(logger, summary.Length == 0 ? "nothing" : summary);
        return erased;
    }

    // Counts only, at the hour the job runs: nothing here dates or names a tip.
    [LoggerMessage(EventId = 1902, Level = LogLevel.Information, Message = "Retention erased {Summary}")]
    private static partial void LogPurged(ILogger logger, string summary);
}

/// <summary>Runs <see cref="Retention"/> hourly on the leading instance.</summary>
internal sealed class RetentionJob(IServiceScopeFactory scopes, Leadership leadership, Retention retention, TimeProvider time, ILogger<RetentionJob> logger)
    : Hosting.PeriodicJob(scopes, leadership, time, logger)
{
    protected override TimeSpan Period => TimeSpan.FromHours(1);

    // A few minutes after a start rather than during it: nothing here is urgent, and a start is busy enough.
    protected override TimeSpan FirstDelay => TimeSpan.FromMinutes(5);

    protected override Task RunAsync(BotDbContext db, CancellationToken ct) => retention.RunAsync(db, ct);
}
