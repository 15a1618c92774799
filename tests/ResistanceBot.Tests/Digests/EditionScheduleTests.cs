using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Digests;

/// <summary>The daily release at Digest:EditionTime, and what happens when the bot was not running at that moment.</summary>
public sealed class EditionScheduleTests
{
    private const long EditorId = 7_300_000;
    private const long ReaderId = 7_300_001;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(30, true)]   // restarted (or taken over) half an hour after the release time: today's edition goes out now
    [InlineData(90, false)]  // an hour and a half later: too late to count as today's, so it waits for tomorrow's time
    public async Task A_bot_starting_within_an_hour_after_the_release_time_releases_the_edition_it_missed(int minutesLate, bool releasedAtStart)
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        var settings = BotHost.DefaultSettings(emulator, db, "--Digest:EditionTime=07:00", "--Digest:TimeZone=UTC", $"--Staff:AdminIds:0={EditorId}");
        await using (var seed = await Seed.OpenAsync(settings))
        {
            await seed.SubscribersAsync([ReaderId]);
            await seed.PickedArticlesAsync(2, 100);
        }

        emulator.AddUsers([ReaderId]);
        emulator.User(EditorId, "Editor");
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero).AddMinutes(minutesLate));
        var bot = await BotHost.StartAsync(emulator, settings, s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)), db);
        try
        {
            if (!releasedAtStart)
            {
                await Task.Delay(TimeSpan.FromSeconds(3));
                Assert.Equal(0, await bot.WithDbAsync(d => d.Editions.CountAsync()));
                clock.Advance(TimeSpan.FromDays(1) - TimeSpan.FromMinutes(minutesLate)); // tomorrow, 07:00
            }

            await Eventually.HoldsAsync(async () => await bot.WithDbAsync(d => d.Editions.CountAsync()) == 1, Wait, "the edition to be released");
            await emulator.WaitUntilAsync(() => emulator.Messages(ReaderId).Any(m => m.FromBot && m.Text.StartsWith("📰 Resistance digest №1", StringComparison.Ordinal)), Wait, "the subscriber to get it");
            await emulator.WaitUntilAsync(() => emulator.Messages(EditorId).Any(m => m.FromBot && m.Text.Contains("Edition №1", StringComparison.Ordinal)), Wait, "the editor to see its progress");
            Assert.Equal(1, await bot.WithDbAsync(d => d.Editions.CountAsync()));
        }
        finally
        {
            await bot.StopAsync();
        }
    }
}
