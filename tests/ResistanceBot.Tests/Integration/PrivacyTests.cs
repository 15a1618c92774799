using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ResistanceBot.Privacy;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

/// <summary>Privacy promises 1 and 8: no reader identifier in the database file or the logs, and never the bot token in a log.</summary>
public sealed class PrivacyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private const long DistinctiveId = 6_987_654_321;
    private const string Username = "zq_leaky_handle_77";
    private const string FirstName = "Zebulonia";
    private const string LastName = "Quixotewicz";
    private const string Phone = "+79161234567";

    [Fact]
    public async Task Promise_1_and_8_no_reader_identifier_nor_tip_text_reaches_the_database_file_or_the_logs()
    {
        var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(DistinctiveId, FirstName, LastName, Username, "ru", Phone);

        // Everything a reader can do in this release, leaving as much stored as possible at the end.
        var start = await user.AskAsync("/start", Wait);
        await ReaderJourneyTests.PressAsync(bot, user, start, "lang:uk");
        await user.AskAsync("/subscribe", Wait);
        var settings = await user.AskAsync("/settings", Wait);
        await ReaderJourneyTests.PressAsync(bot, user, settings, "set:tz:Europe/Minsk");
        await ReaderJourneyTests.PressAsync(bot, user, settings, "set:hour:6");
        await user.AskAsync($"/addstaff {DistinctiveId} admin", Wait);
        await user.AskAsync("/help", Wait);
        await user.AskAsync("/privacy", Wait);
        var before = user.BotMessageCount;
        user.SendContact();
        await user.NextBotMessageAsync(before, Wait);
        await user.AskAsync($"I am {FirstName} {LastName}, @{Username}, {Phone}", Wait);
        user.BlockBot();
        user.UnblockBot();
        await user.AskAsync("/subscribe", Wait);

        // A tip that names its sender in its text and carries a photo and a document with GPS, a camera serial and a name.
        var receipt = await Tips.TipLineTests.SendTipAsync(bot, user, $"I am {FirstName} {LastName}, @{Username}, call {Phone}. Tip text marker QZX", english: false);
        var code = receipt.Entities.Single(e => e.Type == "code");
        await user.AskAsync($"/check {receipt.Text.AsSpan(code.Offset, code.Length)}", Wait);

        var pseudonym = bot.Services.GetRequiredService<Pseudonyms>().Of(Purposes.Reader, DistinctiveId);
        Assert.NotNull((await bot.WithDbAsync(db => db.Readers.AsNoTracking().SingleAsync())).SealedChatId);
        Assert.Equal(1, await bot.WithDbAsync(db => db.AuditEntries.CountAsync()));
        string metrics;
        using (var http = new HttpClient { BaseAddress = bot.HttpAddress })
        {
            metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        }

        await bot.StopAsync();
        await bot.Emulator.DisposeAsync();

        // SQLite: the file, WAL and shm; PostgreSQL: a pg_dump of the database, where binary columns appear as hex.
        var stored = await bot.Database.StoredBytesAsync();

        // A control: the scan does see what is stored (the pseudonym), so finding nothing else means something.
        Assert.True(Holds(stored, pseudonym), "the reader's pseudonym should be in the stored database");

        foreach (var (what, needle) in Needles())
        {
            Assert.False(Holds(stored, needle), $"the database contains the reader's {what}");
        }

        foreach (var plain in new[] { "Tip text marker QZX", "Petrovich", "0123456789", "IMG_0001" })
        {
            Assert.False(Holds(stored, Encoding.UTF8.GetBytes(plain)), $"the database contains '{plain}' from the tip in plain form");
        }

        // Logs and the metrics a monitoring system would store.
        var logs = bot.Logs.AllText + metrics;
        Assert.Contains("resistancebot_updates_handled_total", metrics, StringComparison.Ordinal);
        Assert.NotEmpty(bot.Logs.Lines);
        foreach (var text in new[] { DistinctiveId.ToString(CultureInfo.InvariantCulture), Username, FirstName, LastName, Phone, "79161234567", "QZX" })
        {
            Assert.DoesNotContain(text, logs, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(bot.Emulator.Token, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(bot.Emulator.Token.Split(':')[1], logs, StringComparison.Ordinal);
    }

    /// <summary>The bytes as they are, or as the lowercase hex a dump prints for a binary column.</summary>
    private static bool Holds(byte[] stored, byte[] needle) =>
        stored.AsSpan().IndexOf(needle) >= 0 || stored.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(needle))) >= 0;

    private static IEnumerable<(string What, byte[] Needle)> Needles()
    {
        foreach (var (what, text) in new[]
        {
            ("id as text", DistinctiveId.ToString(CultureInfo.InvariantCulture)),
            ("username", Username),
            ("first name", FirstName),
            ("last name", LastName),
            ("phone", "79161234567"),
        })
        {
            yield return (what + " (UTF-8)", Encoding.UTF8.GetBytes(text));
            yield return (what + " (UTF-16)", Encoding.Unicode.GetBytes(text));
        }

        var le = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(le, DistinctiveId);
        yield return ("id as a little-endian integer", le);
        var be = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(be, DistinctiveId);
        yield return ("id as a big-endian integer", be);
    }
}
