using System.Text;
using ResistanceBot.Articles;
using ResistanceBot.Digests;
using ResistanceBot.Localization;
using Telegram.Bot;
using Telegram.Bot.Types.Enums;

namespace ResistanceBot.Tests.Digests;

/// <summary>
/// Property-style: editions built from generated hostile articles must always render into parts the Bot API accepts
/// (checked by sending every part through the emulator with the real client), each within 4096 UTF-16 units.
/// </summary>
public sealed class EditionRenderingTests
{
    private static readonly string[] Hostile =
    [
        "<", ">", "&", "&amp;", "&lt;b&gt;", "</b>", "<b>", "<i>unclosed", "<a href=\"javascript:alert(1)\">x</a>", "\"", "'",
        "😀", "👩‍👩‍👧", "\u202E", "\u200F", "\u202B", "Ω", "Ж", "\n", "\t", "  ", "#hashtag", "@mention", "/command", "https://x.example",
        "<br>", "<span>", "&#0;", "&#x10FFFF;", "\u0000", "\uFEFF",
    ];

    private static string Junk(Random random, int length)
    {
        var sb = new StringBuilder();
        while (sb.Length < length)
        {
            sb.Append(random.Next(3) == 0 ? Hostile[random.Next(Hostile.Length)] : "word ");
        }

        return sb.ToString();
    }

    private static EditionItem Item(Random random, int i)
    {
        var report = random.Next(6) == 0;
        return new EditionItem
        {
            Position = i,
            Kind = report ? CandidateKind.ReaderReport : CandidateKind.Article,
            Title = Junk(random, random.Next(8) == 0 ? 10_000 : random.Next(1, 200)),
            Url = random.Next(5) switch
            {
                0 => null,
                1 => "javascript:alert(\"x\")",
                2 => "https://a.example/path?q=\"<&>\"&x=1",
                _ => "https://a.example/" + i,
            },
            Source = random.Next(4) == 0 ? null : Junk(random, random.Next(1, 150)),
            PublishedAt = random.Next(3) == 0 ? null : new DateTime(2026, 11, 16, 10, 0, 0, DateTimeKind.Utc).AddMinutes(random.Next(10_000)),
            Summary = Junk(random, report ? random.Next(1, 6000) : random.Next(0, 2000)),
        };
    }

    [Fact]
    public async Task Editions_of_hostile_text_always_render_into_parts_Telegram_accepts()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var bot = new TelegramBotClient(new TelegramBotClientOptions(emulator.Token, emulator.BaseUrl.ToString()) { RetryThreshold = 0 });
        var reader = emulator.User(1, "Reader");
        var renderer = new EditionRenderer(new Localizer());
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Kyiv");
        var random = new Random(20261116);
        var sent = 0;

        for (var edition = 1; edition <= 60; edition++)
        {
            var items = Enumerable.Range(1, random.Next(1, 40)).Select(i => Item(random, i)).ToList();
            foreach (var (language, _) in Localizer.Languages)
            {
                var parts = renderer.Render(edition, new DateOnly(2026, 11, 16), items, language, zone);
                foreach (var part in parts)
                {
                    var message = await bot.SendMessage(reader.Id, part, ParseMode.Html);
                    Assert.InRange(message.Text!.Length, 1, EditionRenderer.MaxPartLength);
                    sent++;
                }

                // Every item is in exactly one part, in order.
                var numbers = string.Join("", parts).Split('\n').Where(l => l.Length > 2 && char.IsAsciiDigit(l[0]) && l.Contains(". ", StringComparison.Ordinal))
                    .Select(l => int.Parse(l[..l.IndexOf('.', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture)).ToList();
                Assert.Equal(Enumerable.Range(1, items.Count), numbers);
            }
        }

        Assert.Equal(0, emulator.Stats.BadRequests);
        Assert.True(sent > 180, $"{sent} parts sent");
    }

    [Fact]
    public void Links_are_real_links_only_for_http_and_reader_reports_are_marked()
    {
        var renderer = new EditionRenderer(new Localizer());
        var items = new List<EditionItem>
        {
            new() { Position = 0, Kind = CandidateKind.Article, Title = "Strike <at> plant & co", Url = "https://a.example/?a=1&b=\"2\"", Source = "Strike Watch", Summary = "Workers walked out." },
            new() { Position = 1, Kind = CandidateKind.Article, Title = "Bad link", Url = "javascript:alert(1)", Summary = "" },
            new() { Position = 2, Kind = CandidateKind.ReaderReport, Title = "", Summary = "I saw the raid <b>myself</b>." },
        };

        var html = Assert.Single(renderer.Render(3, new DateOnly(2026, 11, 16), items, "ru", TimeZoneInfo.Utc));

        Assert.Contains("<b>📰 Дайджест сопротивления №3 — 16 ноября 2026</b>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://a.example/?a=1&amp;b=%222%22\"><b>Strike &lt;at&gt; plant &amp; co</b></a>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript", html, StringComparison.Ordinal);
        Assert.Contains("3. 🗣 <b>Письмо читателя</b>\nI saw the raid &lt;b&gt;myself&lt;/b&gt;.", html, StringComparison.Ordinal);
    }
}
