using Microsoft.EntityFrameworkCore;
using ResistanceBot.Delivery;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

/// <summary>An edition reaching thousands of subscribers through 429 storms, 5xx, lost answers, blocked readers and crashes.</summary>
public sealed class FanOutTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const long EditorId = 7_000_000;
    private const int Parallelism = 16;

    private static string[] Settings(BotApiEmulator.BotApiEmulator emulator, TestDatabase db) => BotHost.DefaultSettings(
        emulator, db, $"--Staff:AdminIds:0={EditorId}", "--Delivery:MessagesPerSecond=2000", $"--Delivery:Parallelism={Parallelism}");

    /// <summary>Each bot message of the edition in a chat, as "part index" (0, 1, …) read from its first line.</summary>
    private static List<int> PartsReceived(BotApiEmulator.BotApiEmulator emulator, long chatId) =>
        emulator.Messages(chatId).Where(m => m.FromBot).Select(m => m.Text.StartsWith("📰 Resistance digest №1", StringComparison.Ordinal) ? 0 : 1).ToList();

    private static async Task<int> PendingAsync(string[] settings)
    {
        await using var seed = await Seed.OpenAsync(settings);
        return await seed.CountPendingAsync();
    }

    [Fact]
    public async Task Two_thousand_subscribers_get_every_part_once_in_order_despite_429s_5xx_lost_answers_and_blocked_readers()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        var settings = Settings(emulator, db);
        var ids = Enumerable.Range(1, 2000).Select(i => 10_000_000L + i).ToList();
        var blocked = ids.Where((_, i) => i % 33 == 0).ToHashSet(); // 3%
        await using (var seed = await Seed.OpenAsync(settings))
        {
            await seed.SubscribersAsync(ids);
            await seed.PickedArticlesAsync(10);
        }

        emulator.AddUsers(ids);
        emulator.BlockSilently(blocked);
        await using var bot = await BotHost.StartAsync(emulator, settings, database: db);
        var editor = emulator.User(EditorId, "Editor");
        emulator.Faults.RetryAfterSeconds = 1;
        emulator.Faults.FloodRate = 0.002;
        emulator.Faults.ServerErrorRate = 0.02;
        emulator.Faults.DropAfterSendRate = 0.005;

        var released = await Confirm.CommandAsync(emulator, editor, "/publish");
        Assert.Equal($"Edition №1 released with 10 items. Getting it now: 2000 subscribers; at the hour they chose: 0.", released.Text);
        await Eventually.HoldsAsync(async () => await bot.WithDbAsync(d => d.Outbox.CountAsync(o => o.State == OutboxState.Pending)) == 0, TimeSpan.FromSeconds(120), "the fan-out to finish");

        var duplicates = 0;
        foreach (var id in ids.Where(id => !blocked.Contains(id)))
        {
            var parts = PartsReceived(emulator, id);
            Assert.Equal([0, 1], parts.Distinct());          // every part, in order
            duplicates += parts.Count - 2;

            // About one message a second into each chat, as Telegram asks.
            var dates = emulator.Messages(id).Where(m => m.FromBot).Select(m => m.Date).ToList();
            Assert.True(dates[parts.IndexOf(1)] - dates[0] >= TimeSpan.FromSeconds(0.99), "the second part came less than a second after the first");
        }

        output.WriteLine($"duplicates {duplicates}, answers lost {emulator.Stats.DroppedAfterSend}, 500s {emulator.Stats.ServerErrors}, 429s {emulator.Stats.TooManyRequests}, flood windows {emulator.FloodWindows.Count}, most sends in one {emulator.FloodWindows.Max(w => w.SendsDuring)}");
        Assert.InRange(duplicates, 0, emulator.Stats.DroppedAfterSend);
        Assert.All(blocked, id => Assert.Empty(emulator.Messages(id)));
        var stillSubscribed = await bot.WithDbAsync(d => d.Readers.CountAsync(r => r.SealedChatId != null));
        Assert.Equal(ids.Count - blocked.Count, stillSubscribed);
        Assert.Equal(blocked.Count * 2, await bot.WithDbAsync(d => d.Outbox.CountAsync(o => o.State == OutboxState.Dropped)));
        Assert.Equal(0, await bot.WithDbAsync(d => d.Outbox.CountAsync(o => o.State == OutboxState.Failed)));

        // After a 429 the bot pauses everything: only sends already in flight arrive inside a flood window.
        Assert.NotEmpty(emulator.FloodWindows);
        Assert.All(emulator.FloodWindows, w => Assert.InRange(w.SendsDuring, 0, Parallelism));
        Assert.True(emulator.Stats.ServerErrors > 0 && emulator.Stats.DroppedAfterSend > 0);

        // The editor's progress message ends as "delivered".
        await Eventually.HoldsAsync(
            () => Task.FromResult(editor.BotMessages.Any(m => m.Text.StartsWith("✅ Edition №1 delivered: sent", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(20),
            "the progress message to say delivered");
        // Under it, the edition's delivery curve: a picture of the messages sent by each minute, up to every one of them.
        await emulator.WaitUntilAsync(() => editor.BotMessages.Any(m => m.Photo is not null), TimeSpan.FromSeconds(20), "the delivery curve");
        var curve = editor.BotMessages.Single(m => m.Photo is not null).Photo!.Content;
        await File.WriteAllBytesAsync(Path.Combine(Repository.Artifacts("charts"), "delivery-curve.png"), curve);
        using (var picture = SkiaSharp.SKBitmap.Decode(curve))
        {
            Assert.Equal((ResistanceBot.Delivery.StatsChart.CurveWidth, ResistanceBot.Delivery.StatsChart.CurveHeight), (picture.Width, picture.Height));
        }

        var points = await bot.WithDbAsync(d => ResistanceBot.Delivery.DeliveryProgress.CurveAsync(d, 1, 60, default));
        Assert.Equal(61, points.Count);
        Assert.Equal((ids.Count - blocked.Count) * 2, points[^1].Sent);
        Assert.True(points.Zip(points.Skip(1)).All(p => p.Second.Sent >= p.First.Sent && p.Second.Minutes > p.First.Minutes), "the curve rises with time");

        var stats = await editor.AskAsync("/stats", TimeSpan.FromSeconds(20));
        Assert.Contains($"Subscribers: {ids.Count - blocked.Count} (en {ids.Count - blocked.Count})", stats.Text, StringComparison.Ordinal);
        Assert.Contains($"blocked {blocked.Count * 2} · waiting 0", stats.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_the_bot_mid_fan_out_loses_nothing_and_repeats_at_most_what_was_in_flight()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        var settings = Settings(emulator, db);
        var ids = Enumerable.Range(1, 2000).Select(i => 20_000_000L + i).ToList();
        await using (var seed = await Seed.OpenAsync(settings))
        {
            await seed.SubscribersAsync(ids);
            await seed.PickedArticlesAsync(10);
        }

        emulator.AddUsers(ids);
        var editor = emulator.User(EditorId, "Editor");
        // Slow enough to be caught in the middle: about 400 sends a second.
        emulator.Faults.Latency = TimeSpan.FromMilliseconds(30);
        var bot = BotProcess.Start(settings);
        await Confirm.CommandAsync(emulator, editor, "/publish");
        var total = ids.Count * 2;
        var kills = 0;
        foreach (var share in new[] { 0.15, 0.4, 0.65 })
        {
            await emulator.WaitUntilAsync(() => emulator.Stats.Sends >= total * share, TimeSpan.FromSeconds(60), $"{share:P0} of the fan-out");
            bot.Kill();
            await bot.WaitForExitAsync(TimeSpan.FromSeconds(10));
            bot.Dispose();
            kills++;
            bot = BotProcess.Start(settings);
        }

        try
        {
            await Eventually.HoldsAsync(async () => await PendingAsync(settings) == 0, TimeSpan.FromSeconds(120), "the fan-out to finish after the restarts");
        }
        finally
        {
            bot.Dispose();
        }

        var duplicates = 0;
        foreach (var id in ids)
        {
            var parts = PartsReceived(emulator, id);
            Assert.Equal([0, 1], parts.Distinct());
            duplicates += parts.Count - 2;
        }

        output.WriteLine($"kills {kills}, duplicates {duplicates}");
        // A send's slot is held until its outcome is written: a kill leaves at most Parallelism sends unrecorded.
        Assert.InRange(duplicates, 0, kills * Parallelism);
    }

    [Fact]
    public async Task With_paid_broadcast_on_the_editions_parts_are_sent_as_paid_broadcasts_and_nothing_else_is()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        var settings = BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={EditorId}", "--Delivery:PaidBroadcast=true");
        var ids = Enumerable.Range(1, 40).Select(i => 30_000_000L + i).ToList();
        await using (var seed = await Seed.OpenAsync(settings))
        {
            await seed.SubscribersAsync(ids);
            await seed.PickedArticlesAsync(10);
        }

        emulator.AddUsers(ids);
        await using var bot = await BotHost.StartAsync(emulator, settings, database: db);
        var editor = emulator.User(EditorId, "Editor");
        await Confirm.CommandAsync(emulator, editor, "/publish");
        await Eventually.HoldsAsync(async () => await PendingAsync(settings) == 0, TimeSpan.FromSeconds(60), "the fan-out to finish");

        var editionMessages = ids.Sum(id => PartsReceived(emulator, id).Count);
        Assert.Equal(ids.Count * 2, editionMessages);
        // The editor's question, answer and progress message are not paid for.
        Assert.True(editor.BotMessageCount >= 2);
        Assert.Equal(editionMessages, emulator.Stats.PaidBroadcasts);
    }
}
