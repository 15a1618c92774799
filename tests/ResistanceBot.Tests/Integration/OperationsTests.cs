using ResistanceBot.Hosting;
using ResistanceBot.Storage;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

/// <summary>The operator's verbs on the database: backup of a live SQLite file, and the move from SQLite to PostgreSQL.</summary>
public sealed class OperationsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const long EditorId = 7_200_000;

    [Fact]
    public async Task Backup_copies_the_live_SQLite_database_into_one_file_the_bot_runs_on_and_never_overwrites()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New(DatabaseProvider.Sqlite);
        var settings = BotHost.DefaultSettings(emulator, db);
        var live = await BotHost.StartAsync(emulator, settings, database: db);
        var tipster = emulator.User(65001, "Tipster");
        var receipt = Tips.TipLineTests.ReceiptOf(await Tips.TipLineTests.SendTipAsync(live, tipster));
        await tipster.AskAsync("/subscribe", Wait);
        var path = Path.Combine(Path.GetDirectoryName(TestDatabase.New(DatabaseProvider.Sqlite).FilePath)!, "backup.db");

        // While the bot runs, with its WAL in use.
        using var backup = BotProcess.Start(["backup", path, .. db.Settings]);
        Assert.Equal(0, await backup.WaitForExitAsync(Wait));
        Assert.Contains("Backed up the database to", backup.StandardOutput, StringComparison.Ordinal);
        await live.StopAsync();

        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!)); // one file, no WAL beside it
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        using var again = BotProcess.Start(["backup", path, .. db.Settings]);
        Assert.Equal(Cli.ConfigurationError, await again.WaitForExitAsync(Wait));
        Assert.Contains("already exists", again.StandardError, StringComparison.Ordinal);

        // The copy is a working database (in rollback-journal mode, which the bot turns to WAL as it opens it): the bot
        // started on it knows the tip and the subscriber.
        var restored = TestDatabase.SqliteAt(path);
        await using var bot = await BotHost.StartAsync(emulator, restored.In(settings), database: restored);
        var check = await tipster.AskAsync($"/check {receipt}", Wait);
        Assert.Contains("Your letter is waiting for the editors.", check.Text, StringComparison.Ordinal);
        Assert.Equal(1, await bot.WithDbAsync(d => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(d.Readers)));
    }

    [Fact]
    public async Task Backup_of_a_PostgreSQL_database_is_refused_with_a_pointer_to_pg_dump()
    {
        using var backup = BotProcess.Start("backup", Path.Combine(Path.GetTempPath(), "never.db"), "--Database:Provider=Postgres", "--Database:ConnectionString=Host=127.0.0.1;Database=none");
        Assert.Equal(Cli.ConfigurationError, await backup.WaitForExitAsync(Wait));
        Assert.Equal("backup copies a SQLite database; back up PostgreSQL with pg_dump (see deploy/README.md).", backup.StandardError.Trim());
    }

    [PostgresFact]
    public async Task Copy_to_moves_a_SQLite_bot_to_PostgreSQL_with_its_subscribers_editions_and_tips_and_it_carries_on_there()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var sqlite = TestDatabase.New(DatabaseProvider.Sqlite);
        var settings = BotHost.DefaultSettings(emulator, sqlite, $"--Staff:AdminIds:0={EditorId}");
        await using (var seed = await Seed.OpenAsync(settings))
        {
            await seed.PickedArticlesAsync(3, 200);
        }

        var editor = emulator.User(EditorId, "Editor");
        var reader = emulator.User(65101, "Reader", languageCode: "uk");
        var tipster = emulator.User(65102, "Tipster");
        // Disposing a BotHost disposes its emulator too; this one only stops, as the emulator serves the next bot.
        var before = await BotHost.StartAsync(emulator, settings, database: sqlite);
        await reader.AskAsync("/subscribe", Wait);
        var released = await Confirm.CommandAsync(emulator, editor, "/publish");
        Assert.StartsWith("Edition №1 released with 3 items", released.Text, StringComparison.Ordinal);
        var receipt = Tips.TipLineTests.ReceiptOf(await Tips.TipLineTests.SendTipAsync(before, tipster));
        await Eventually.HoldsAsync(async () => await before.WithDbAsync(d => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(d.Outbox, o => o.State == Delivery.OutboxState.Pending)) == 0, Wait, "the edition to go out");
        await before.StopAsync();

        var postgres = TestDatabase.New(DatabaseProvider.Postgres);
        using (var copy = BotProcess.Start(["copy-to", postgres.ConnectionString, .. sqlite.Settings]))
        {
            Assert.Equal(0, await copy.WaitForExitAsync(Wait));
            Assert.Contains("Copied", copy.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("readers: 1", copy.StandardOutput, StringComparison.Ordinal);
        }

        using (var twice = BotProcess.Start(["copy-to", postgres.ConnectionString, .. sqlite.Settings]))
        {
            Assert.Equal(Cli.ConfigurationError, await twice.WaitForExitAsync(Wait));
            Assert.Contains("already holds data", twice.StandardError, StringComparison.Ordinal);
        }

        await using var after = await BotHost.StartAsync(emulator, postgres.In(settings), database: postgres);
        var digest = await reader.AskAsync("/digest", Wait);
        Assert.Contains("№1", digest.Text, StringComparison.Ordinal);
        Assert.Contains("Your letter is waiting for the editors.", (await tipster.AskAsync($"/check {receipt}", Wait)).Text, StringComparison.Ordinal);
        Assert.Contains("Subscribers: 1 (uk 1)", (await editor.AskAsync("/stats", Wait)).Text, StringComparison.Ordinal);
        await emulator.WaitUntilAsync(() => editor.BotMessages.Any(m => m.Photo is not null), Wait, "the /stats chart"); // before the next question

        // New rows get new keys: the identity sequences were moved past the copied ones.
        await using (var seed = await Seed.OpenAsync(postgres.In(settings)))
        {
            await seed.PickedArticlesAsync(2, 200, first: 10);
        }

        Assert.StartsWith("Edition №2 released with 2 items", (await Confirm.CommandAsync(emulator, editor, "/publish")).Text, StringComparison.Ordinal);
        var second = Tips.TipLineTests.ReceiptOf(await Tips.TipLineTests.SendTipAsync(after, emulator.User(65103, "Another")));
        Assert.NotEqual(receipt, second);
        Assert.Equal(2, await after.WithDbAsync(d => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(d.Tips)));
    }
}
