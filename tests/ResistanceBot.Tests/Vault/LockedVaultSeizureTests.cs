using System.Text;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;

namespace ResistanceBot.Tests.Vault;

/// <summary>
/// Promise 2, played as a seizure: the server is taken with every configuration value while the vault is locked. Nothing it
/// holds opens the tip's text, its files, their names or the editors' reply. The passphrase opens them all again.
/// </summary>
public sealed class LockedVaultSeizureTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const long AdminId = 9_600_000;
    private const string TextMarker = "Convoy of eleven trucks QXWV at the rail yard";
    private const string FileName = "zq_secret_rail_yard.jpg";
    private const string ReplyMarker = "Thank you: which gate was it? RPLYQ";

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Media", name));

    [Fact]
    public async Task Promise_2_a_server_seized_with_every_key_while_the_vault_is_locked_reads_no_tip_file_name_or_reply()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var database = TestDatabase.New();
        var settings = BotHost.DefaultSettings(emulator, database, $"--Staff:AdminIds:0={AdminId}");
        var bot = await BotHost.StartAsync(emulator, settings, database: database);
        var admin = emulator.User(AdminId, "Admin");
        await admin.AskAsync("/start", Wait);
        var tipster = emulator.User(7_222_333_444, "Tipster", languageCode: "en");

        // The tipster's journey: text, a photo and a document; a reply from the editors, and the approval.
        await tipster.AskAsync("/tip", Wait);
        await tipster.AskAsync(TextMarker, Wait);
        await tipster.AskAsync("", Wait, () => tipster.SendPhoto(Fixture("gps.jpg")));
        var added = await tipster.AskAsync("", Wait, () => tipster.SendDocument(Fixture("gps.jpg"), FileName, "image/jpeg"));
        await Tips.TipLineTests.PressAsync(emulator, tipster, added, added.ButtonData("Keep its own name")!); // the name sealed too
        var receipt = Tips.TipLineTests.ReceiptOf(await tipster.AskAsync("/send", Wait));
        await UnlockAsync(admin);
        await OpenAsync(bot, admin);
        Assert.StartsWith("Reply to letter #1 saved", (await admin.AskAsync("/reply 1 " + ReplyMarker, Wait)).Text, StringComparison.Ordinal);
        Assert.Equal("Letter #1 approved.", (await admin.AskAsync("/approve 1", Wait)).Text);
        Assert.Contains(ReplyMarker, (await tipster.AskAsync($"/check {receipt}", Wait)).Text, StringComparison.Ordinal);
        await admin.AskAsync("/lock", Wait);

        string metrics;
        using (var http = new HttpClient { BaseAddress = bot.HttpAddress })
        {
            metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        }

        await bot.StopAsync();

        // The seizure, with the vault locked: files and WAL (or a dump and the data directory), logs, metrics, configuration.
        var adversary = Adversary.WithConfiguration(settings);
        await adversary.SeizeDatabaseAsync(database);
        adversary.Take("logs", bot.Logs.AllText);
        adversary.Take("metrics", metrics);
        adversary.Take("configuration", string.Join("\n", settings));
        var opened = adversary.OpenEverything();
        Assert.True(adversary.SealedValuesOpened > 0, "a control: the adversary opens what the DataKey seals (the erasable keys)");

        var cleaned = MediaCleaner.Clean(Fixture("gps.jpg")).Content!;
        var secrets = new (string What, byte[] Needle)[]
        {
            ("the tip's text", Encoding.UTF8.GetBytes("QXWV")),
            ("the reply's text", Encoding.UTF8.GetBytes("RPLYQ")),
            ("the file's name", Encoding.UTF8.GetBytes("zq_secret")),
            ("the cleaned photo's bytes", cleaned.AsSpan(cleaned.Length / 2, 48).ToArray()),
            ("the photo as sent", Fixture("gps.jpg").AsSpan(Fixture("gps.jpg").Length / 2, 48).ToArray()),
        };
        foreach (var (what, needle) in secrets)
        {
            Assert.False(adversary.Holds(needle), $"{what} is stored in a form that needs no key");
            Assert.DoesNotContain(opened, o => o.Plaintext.AsSpan().IndexOf(needle) >= 0);
        }

        // The same server, unlocked with the passphrase: every part opens again, and the tipster still reads the reply.
        await using var again = await BotHost.StartAsync(emulator, settings, database: database);
        await UnlockAsync(admin);
        var shown = await OpenAsync(again, admin);
        Assert.Contains(shown, m => m.Text == TextMarker);
        Assert.Contains(shown, m => m.Photo is { } photo && photo.Content.AsSpan().SequenceEqual(cleaned));
        Assert.Contains(shown, m => m.Document is { FileName: FileName } document && document.Content.AsSpan().SequenceEqual(cleaned));
        Assert.Contains(ReplyMarker, (await tipster.AskAsync($"/check {receipt}", Wait)).Text, StringComparison.Ordinal);
    }

    private static async Task UnlockAsync(TelegramUser admin)
    {
        await admin.AskAsync("/unlock", Wait);
        Assert.StartsWith("The vault is open until", (await admin.AskAsync(TestVault.Passphrase, Wait)).Text, StringComparison.Ordinal);
    }

    private static async Task<List<ChatMessage>> OpenAsync(BotHost bot, TelegramUser admin)
    {
        var before = admin.BotMessageCount;
        admin.SendText("/open 1");
        await bot.Emulator.WaitUntilAsync(() => admin.BotMessages.Skip(before).Count(m => m.Photo is not null || m.Document is not null) == 2, Wait, "the tip's files");
        return [.. admin.BotMessages.Skip(before)];
    }
}
