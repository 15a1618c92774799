using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ResistanceBot.Storage;

namespace ResistanceBot.Subscriptions;

/// <summary>How many readers of one language were subscribed at the end of one day (UTC): a number, nothing about anyone.</summary>
internal sealed class SubscriberCount
{
    public DateOnly Day { get; set; }

    public required string Language { get; set; }

    public int Count { get; set; }
}

internal sealed class SubscriberCountConfiguration : IEntityTypeConfiguration<SubscriberCount>
{
    public void Configure(EntityTypeBuilder<SubscriberCount> builder)
    {
        builder.ToTable("subscriber_counts");
        builder.HasKey(c => new { c.Day, c.Language });
        builder.Property(c => c.Language).HasMaxLength(8);
    }
}

/// <summary>
/// Subscribers by language, now and day by day, for /stats and its chart. A job records the day's figures
/// every hour (the last one of a day stands) and keeps <see cref="KeptDays"/> days of them.
/// </summary>
internal static class SubscriberCounts
{
    public const int KeptDays = 400;

    /// <summary>Subscribed readers by language, now.</summary>
    public static async Task<IReadOnlyList<(string Language, int Count)>> NowAsync(BotDbContext db, CancellationToken ct) =>
        (await db.Readers.Where(r => r.SealedChatId != null).GroupBy(r => r.Language)
            .Select(g => new { Language = g.Key, Count = g.Count() }).ToListAsync(ct))
        .Select(g => (g.Language, g.Count)).OrderBy(g => g.Language, StringComparer.Ordinal).ToList();

    /// <summary>The figures from <paramref name="first"/> on, with today's as counted <paramref name="now"/> (by <see cref="NowAsync"/>) rather than as last recorded.</summary>
    public static async Task<IReadOnlyList<(DateOnly Day, string Language, int Count)>> SinceAsync(
        BotDbContext db, DateOnly first, DateOnly today, IReadOnlyList<(string Language, int Count)> now, CancellationToken ct)
    {
        var stored = await db.SubscriberCounts.AsNoTracking().Where(c => c.Day >= first && c.Day < today).ToListAsync(ct);
        return [.. stored.Select(c => (c.Day, c.Language, c.Count)), .. now.Select(n => (today, n.Language, n.Count))];
    }

    public static async Task RecordAsync(BotDbContext db, DateOnly today, CancellationToken ct)
    {
        var now = await NowAsync(db, ct);
        await db.SubscriberCounts.Where(c => c.Day == today || c.Day < today.AddDays(-KeptDays)).ExecuteDeleteAsync(ct);
        db.SubscriberCounts.AddRange(now.Select(n => new SubscriberCount { Day = today, Language = n.Language, Count = n.Count }));
        await db.SaveChangesAsync(ct);
    }
}

/// <summary>Records today's subscribers by language, hourly on the leading instance.</summary>
internal sealed class SubscriberCountJob(IServiceScopeFactory scopes, Leadership leadership, TimeProvider time, ILogger<SubscriberCountJob> logger)
    : Hosting.PeriodicJob(scopes, leadership, time, logger)
{
    protected override TimeSpan Period => TimeSpan.FromHours(1);

    protected override TimeSpan FirstDelay => TimeSpan.FromMinutes(1);

    protected override Task RunAsync(BotDbContext db, CancellationToken ct) =>
        SubscriberCounts.RecordAsync(db, DateOnly.FromDateTime(Time.GetUtcNow().UtcDateTime), ct);
}
