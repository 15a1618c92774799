using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;

namespace ResistanceBot.Tests.Integration;

/// <summary>
/// What the purge erases leaves PostgreSQL's files even while the bot is busy: a rewrite (VACUUM FULL) copies every row
/// version that a transaction still open anywhere in the database could see, so an erasure is only final once those have ended.
/// </summary>
public sealed class ResidueTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private const long TipsterId = 7_123_400_222;

    /// <summary>A Wednesday morning; epochs of 7 days begin on Thursdays.</summary>
    private static readonly DateTimeOffset Start = new(2031, 7, 23, 10, 0, 0, TimeSpan.Zero);

    [PostgresFact]
    public async Task A_sender_tag_erased_while_another_transaction_is_open_still_leaves_the_database_files()
    {
        var clock = new FakeTimeProvider(Start);
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var database = TestDatabase.New();
        var settings = BotHost.DefaultSettings(emulator, database, "--Tips:EpochDays=7");
        var bot = await BotHost.StartAsync(emulator, settings, s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)), database);
        var tipster = emulator.User(TipsterId, "Tipster");
        await tipster.AskAsync("/tip", Wait);
        await tipster.AskAsync("What the tag must not outlive", Wait);
        Assert.StartsWith("✅", (await tipster.AskAsync("/send", Wait)).Text, StringComparison.Ordinal);
        var epoch = await bot.Services.GetRequiredService<TipKeys>().CurrentEpochAsync(default);
        var tag = epoch.Tag(TipKeys.SenderPurpose, TipsterId);
        Assert.Equal(tag, await bot.WithDbAsync(d => d.Tips.Select(t => t.SenderTag).SingleAsync()));
        await bot.SettledAsync(Wait);

        // Someone else's snapshot, taken before the erasure, holding no lock on any table the purge rewrites (a long report elsewhere, a slow reader).
        await using var other = new NpgsqlConnection(database.ConnectionString);
        await other.OpenAsync();
        await using var snapshot = await other.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using (var read = new NpgsqlCommand("SELECT 1", other, snapshot))
        {
            await read.ExecuteScalarAsync();
        }

        // The next epoch: the hourly purge erases the tag. The snapshot ends a few seconds into it.
        var purges = bot.Logs.Lines.Count(l => l.EventId == 1902);
        clock.Advance(epoch.EndsOn.AddHours(2) - clock.GetUtcNow().UtcDateTime);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await snapshot.CommitAsync();
        await Eventually.HoldsAsync(() => Task.FromResult(bot.Logs.Lines.Count(l => l.EventId == 1902) > purges), Wait, "the purge");
        Assert.Null(await bot.WithDbAsync(d => d.Tips.Select(t => t.SenderTag).SingleAsync()));
        Assert.DoesNotContain(bot.Logs.Lines, l => l.EventId == 1704);
        await bot.StopAsync();
        await emulator.DisposeAsync();

        var files = await database.RawFilesAsync();
        Assert.NotNull(files);
        Assert.Empty(files.Where(f => f.Bytes.AsSpan().IndexOf(tag) >= 0).Select(f => f.Name));
    }
}
