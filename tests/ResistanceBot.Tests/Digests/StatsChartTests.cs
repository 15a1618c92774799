using System.Buffers.Binary;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using ResistanceBot.Delivery;
using ResistanceBot.Subscriptions;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;
using SkiaSharp;

namespace ResistanceBot.Tests.Digests;

/// <summary>/stats draws its last 30 days as a picture: subscribers by language, editions' outcomes, and letters by week only.</summary>
public sealed class StatsChartTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const long AdminId = 9_500_000;

    /// <summary>A Thursday: the chart's weeks start on Mondays, so letters on Monday and Wednesday share one bar.</summary>
    private static readonly DateTimeOffset Now = new(2031, 7, 24, 15, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Stats_sends_a_png_of_the_chart_drawn_from_the_stored_figures_with_letters_counted_by_week()
    {
        var clock = new FakeTimeProvider(Now);
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync(new BotApiEmulator.EmulatorOptions { TimeProvider = clock });
        var db = TestDatabase.New();
        await using var bot = await BotHost.StartAsync(
            emulator, BotHost.DefaultSettings(emulator, db, $"--Staff:AdminIds:0={AdminId}"), s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)), db);
        foreach (var (id, language) in new[] { (9_500_101L, "en"), (9_500_102L, "ru"), (9_500_103L, "ru"), (9_500_104L, "uk") })
        {
            await emulator.User(id, "Reader", languageCode: language).AskAsync("/subscribe", Wait);
        }

        foreach (var i in Enumerable.Range(0, 3))
        {
            await Tips.TipLineTests.SendTipAsync(bot, emulator.User(9_500_200 + i, "Tipster"), $"Letter {i}");
        }

        // History: the job's records of earlier days; letters moved to a Monday and a Wednesday of this week and one of the last.
        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        await bot.WithDbAsync(async d =>
        {
            d.SubscriberCounts.AddRange(Enumerable.Range(1, 20).SelectMany(n => new[]
            {
                new SubscriberCount { Day = today.AddDays(-n), Language = "en", Count = 1 + (n % 3) },
                new SubscriberCount { Day = today.AddDays(-n), Language = "ru", Count = 2 + (n % 4) },
                new SubscriberCount { Day = today.AddDays(-n), Language = "uk", Count = 1 + (n % 2) },
            }));
            await d.SaveChangesAsync();
            var ids = await d.Tips.OrderBy(t => t.Id).Select(t => t.Id).ToListAsync();
            DateTime[] days = [new(2031, 7, 21, 0, 0, 0, DateTimeKind.Utc), new(2031, 7, 23, 0, 0, 0, DateTimeKind.Utc), new(2031, 7, 16, 0, 0, 0, DateTimeKind.Utc)];
            for (var i = 0; i < ids.Count; i++)
            {
                var id = ids[i];
                var day = days[i];
                await d.Tips.Where(t => t.Id == id).ExecuteUpdateAsync(s => s.SetProperty(t => t.SubmittedOn, day));
            }

            return 0;
        });

        var weeks = await bot.WithDbAsync(d => TipFigures.ByWeekAsync(d, today.AddDays(-(StatsChart.Days - 1)), default));
        Assert.Equal([new LettersInWeek(new DateOnly(2031, 7, 14), 1), new LettersInWeek(new DateOnly(2031, 7, 21), 2)], weeks);
        Assert.All(weeks, w => Assert.Equal(DayOfWeek.Monday, w.Monday.DayOfWeek));

        var admin = emulator.User(AdminId, "Admin");
        var before = admin.BotMessageCount;
        Assert.StartsWith("Stats", (await admin.AskAsync("/stats", Wait)).Text, StringComparison.Ordinal);
        await emulator.WaitUntilAsync(() => admin.BotMessages.Skip(before).Any(m => m.Photo is not null), Wait, "the chart");
        var picture = admin.BotMessages.Skip(before).Single(m => m.Photo is not null);
        Assert.Equal("The last 30 days (UTC). Letters are counted by week, never finer.", picture.Text);

        // A valid PNG of the chart's size, as its header says and as a decoder reads it.
        var png = picture.Photo!.Content;
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(StatsChart.Width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(StatsChart.Height, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((StatsChart.Width, StatsChart.Height), (bitmap.Width, bitmap.Height));

        // Drawn from the figures: the languages' lines in the top panel, the letters' bars in the bottom one.
        Assert.True(Pixels(bitmap, 0, StatsChart.Height / 3, "#4a7aa8") > 200, "the first language's line");
        Assert.True(Pixels(bitmap, 0, StatsChart.Height / 3, "#c0504d") > 200, "the second language's line");
        Assert.True(Pixels(bitmap, 2 * StatsChart.Height / 3, StatsChart.Height, "#9bbb59") > 2000, "the letters' bars");
        Assert.Equal(0, Pixels(bitmap, 2 * StatsChart.Height / 3, StatsChart.Height, "#4a7aa8"));
    }

    [Fact]
    public void The_chart_refuses_letters_counted_finer_than_a_week_and_draws_a_month_of_figures()
    {
        var today = new DateOnly(2031, 7, 24);
        var daily = new StatsFigures(today, [], [], [new LettersInWeek(today, 1)]);
        Assert.Throws<ArgumentException>(() => StatsChart.Render(daily, k => k));

        // A month of a small collective's figures (the picture in README.md).
        var days = Enumerable.Range(0, StatsChart.Days).Select(n => today.AddDays(-n)).ToList();
        var month = new StatsFigures(
            today,
            [.. days.SelectMany(d => new[]
            {
                new SubscribersOn(d, "en", 300 + (d.DayNumber % 7) - (today.DayNumber - d.DayNumber)),
                new SubscribersOn(d, "ru", 2_400 - (40 * (today.DayNumber - d.DayNumber))),
                new SubscribersOn(d, "uk", 900 - (12 * (today.DayNumber - d.DayNumber))),
            })],
            [.. days.Where(d => d.DayOfWeek != DayOfWeek.Sunday).Select((d, i) => new EditionOutcome(i + 1, d, 3_300 - (45 * (today.DayNumber - d.DayNumber)), 4 + (i % 5), 10 + (i % 7)))],
            [.. Enumerable.Range(0, 5).Select(w => new LettersInWeek(LettersInWeek.MondayOf(today).AddDays(-7 * w), 6 + (w * 3 % 7)))]);
        var png = StatsChart.Render(month, k => k switch
        {
            "stats.chart.subscribers" => "Subscribers by language",
            "stats.chart.editions" => "Editions: delivered, failed, blocked",
            "stats.chart.letters" => "Letters received, by week",
            _ => k[(k.LastIndexOf('.') + 1)..],
        });
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((StatsChart.Width, StatsChart.Height), (bitmap.Width, bitmap.Height));
        Assert.True(Pixels(bitmap, StatsChart.Height / 3, 2 * StatsChart.Height / 3, "#4a7aa8") > 5000, "the editions' delivered bars");
        SaveForReadme(png);
    }

    [Fact]
    public void A_delivery_curve_over_the_readers_hours_is_drawn_in_hours_and_a_quick_one_in_minutes()
    {
        var quick = new List<(double, int)> { (0, 0), (1.5, 900), (3, 2_000) };
        Assert.Equal((quick, "progress.chart.minutes"), DeliveryProgress.InUnits(quick));
        var (day, unit) = DeliveryProgress.InUnits([(0, 0), (600, 1_000), (1_380, 3_000)]);
        Assert.Equal("progress.chart.hours", unit);
        Assert.Equal([(0.0, 0), (10.0, 1_000), (23.0, 3_000)], day);
        using var picture = SKBitmap.Decode(StatsChart.RenderCurve(day, "Edition №1: messages delivered", "hours since the first send"));
        Assert.Equal((StatsChart.CurveWidth, StatsChart.CurveHeight), (picture.Width, picture.Height));
    }

    private static int Pixels(SKBitmap bitmap, int fromY, int toY, string hex)
    {
        var color = SKColor.Parse(hex);
        var count = 0;
        for (var y = fromY; y < toY; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                if (bitmap.GetPixel(x, y) == color)
                {
                    count++;
                }
            }
        }

        return count;
    }

    private static void SaveForReadme(byte[] png) => File.WriteAllBytes(Path.Combine(Repository.Artifacts("charts"), "stats.png"), png);
}
