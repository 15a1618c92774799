using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;

namespace ResistanceBot.Tests.Tips;

/// <summary>
/// Promise 3 over time: a sender is recognised for an epoch (and a ban for one more while the sender keeps trying), never for ever;
/// and moderators hear of tips at random moments, so that a notice dates nothing.
/// </summary>
public sealed class TipEpochTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const long ModeratorId = 9_400_001;
    private const long Group = -4_400;

    /// <summary>A Wednesday morning; epochs of 7 days begin on Thursdays (day 0 of the Unix epoch was one).</summary>
    private static readonly DateTimeOffset Start = new(2031, 7, 23, 10, 0, 0, TimeSpan.Zero);

    private static async Task<(BotHost Bot, FakeTimeProvider Clock)> StartAsync(params string[] extra)
    {
        var clock = new FakeTimeProvider(Start);
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        emulator.CreateGroup(Group, "Moderators");
        var db = TestDatabase.New();
        string[] settings = [$"--Staff:AdminIds:0={ModeratorId}", $"--Staff:ModeratorChatId={Group}", "--Tips:EpochDays=7", .. extra];
        var bot = await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, db, settings), s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)), db);
        return (bot, clock);
    }

    private static async Task SendTipAsync(TelegramUser user, string text)
    {
        await user.AskAsync("/tip", Wait);
        await user.AskAsync(text, Wait);
        Assert.StartsWith("✅", (await user.AskAsync("/send", Wait)).Text, StringComparison.Ordinal);
    }

    /// <summary>Two hours into the next epoch, after the hourly purge that the step of the clock sets off.</summary>
    private static async Task NextEpochAsync(BotHost bot, FakeTimeProvider clock)
    {
        // Every update handled first: a handler still running when the clock jumps a week would pass its time limit.
        await bot.SettledAsync(Wait);
        var epoch = await bot.Services.GetRequiredService<TipKeys>().CurrentEpochAsync(default);
        var purges = bot.Logs.Lines.Count(l => l.EventId == 1902);
        clock.Advance(epoch.EndsOn.AddHours(2) - clock.GetUtcNow().UtcDateTime);
        await Eventually.HoldsAsync(() => Task.FromResult(bot.Logs.Lines.Count(l => l.EventId == 1902) > purges), Wait, "the purge");
    }

    [Fact]
    public async Task A_ban_is_carried_into_the_next_epoch_when_the_banned_sender_tries_again_and_the_tip_forgets_its_sender()
    {
        var (bot, clock) = await StartAsync();
        await using var _ = bot;
        var tipster = bot.Emulator.User(9_400_100, "Tipster");
        var moderator = bot.Emulator.User(ModeratorId, "Moderator");
        await SendTipAsync(tipster, "Spam");
        var firstKey = await bot.Services.GetRequiredService<TipKeys>().CurrentEpochAsync(default);
        Assert.Equal(
            $"The writer of letter #1 can send no letters until {firstKey.ErasedOn:dd.MM.yyyy} (UTC), and longer if they keep trying.",
            (await Confirm.CommandAsync(bot.Emulator, moderator, "/ban 1")).Text);
        Assert.Equal($"You cannot send letters to the editors until {firstKey.ErasedOn:dd.MM.yyyy} (UTC).", (await tipster.AskAsync("/tip", Wait)).Text);

        // The next epoch: the tip no longer carries its sender; the ban is recognised under the previous key and carried over.
        await NextEpochAsync(bot, clock);
        Assert.Null(await bot.WithDbAsync(d => d.Tips.Select(t => t.SenderTag).SingleAsync()));
        Assert.StartsWith("You cannot send letters to the editors until ", (await tipster.AskAsync("/tip", Wait)).Text, StringComparison.Ordinal);
        var carried = await bot.WithDbAsync(d => d.TipBans.SingleAsync());
        Assert.True(carried.Until > firstKey.ErasedOn, $"the ban should now last past {firstKey.ErasedOn:d}, not until {carried.Until:d}");
        Assert.Equal("The writer of letter #1 can no longer be recognised: the letter's tag was erased when its period ended, or its writer used /forget.", (await moderator.AskAsync("/ban 1", Wait)).Text);

        // Past the day the first ban would have lapsed, and with the first key erased: still banned.
        await NextEpochAsync(bot, clock);
        Assert.True(clock.GetUtcNow().UtcDateTime > firstKey.ErasedOn);
        Assert.DoesNotContain(await bot.WithDbAsync(d => d.ErasableKeys.Select(k => k.FirstDay).ToListAsync()), day => day == firstKey.FirstDay);
        Assert.StartsWith("You cannot send letters to the editors until ", (await tipster.AskAsync("/tip", Wait)).Text, StringComparison.Ordinal);
        Assert.StartsWith("You cannot send letters to the editors until ", (await tipster.AskAsync("/send", Wait)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ban_lapses_when_the_banned_sender_stays_silent_for_a_whole_epoch()
    {
        var (bot, clock) = await StartAsync();
        await using var _ = bot;
        var tipster = bot.Emulator.User(9_400_101, "Tipster");
        await SendTipAsync(tipster, "Spam");
        await Confirm.CommandAsync(bot.Emulator, bot.Emulator.User(ModeratorId, "Moderator"), "/ban 1");
        Assert.StartsWith("You cannot send letters to the editors until ", (await tipster.AskAsync("/tip", Wait)).Text, StringComparison.Ordinal);

        await NextEpochAsync(bot, clock);
        await NextEpochAsync(bot, clock);

        Assert.Equal(0, await bot.WithDbAsync(d => d.TipBans.CountAsync()));
        Assert.Contains("A letter to the editors", (await tipster.AskAsync("/tip", Wait)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Moderators_hear_of_a_tip_at_a_random_moment_within_the_notice_delay_never_at_once()
    {
        var (bot, clock) = await StartAsync("--Tips:NoticeDelayMinutes=30");
        await using var _ = bot;
        await SendTipAsync(bot.Emulator.User(9_400_102, "Tipster"), "Seen at the station");
        await bot.SettledAsync(Wait);

        await Assert.ThrowsAsync<TimeoutException>(() =>
            bot.Emulator.WaitUntilAsync(() => bot.Emulator.Messages(Group).Any(m => m.FromBot), TimeSpan.FromSeconds(1), "a notice"));

        // Within 30 minutes of the bot's clock (a step or two, whenever the batch began to wait), and not before.
        for (var step = 0; step < 3 && !bot.Emulator.Messages(Group).Any(m => m.FromBot); step++)
        {
            clock.Advance(TimeSpan.FromMinutes(30));
            try
            {
                await bot.Emulator.WaitUntilAsync(() => bot.Emulator.Messages(Group).Any(m => m.FromBot), TimeSpan.FromSeconds(3), "the notice");
            }
            catch (TimeoutException) when (step < 2)
            {
            }
        }

        Assert.StartsWith("📥 New letter #1", bot.Emulator.Messages(Group).Single(m => m.FromBot).Text, StringComparison.Ordinal);
    }
}
