using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;
using ResistanceBot.Vault;

namespace ResistanceBot.Tests.Vault;

/// <summary>`vault migrate`: tips stored before the vault, sealed under the DataKey the server holds, are sealed to the vault.</summary>
public sealed class VaultMigrateTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Vault_migrate_reseals_an_old_tip_to_the_vault_erases_the_old_copies_and_a_second_run_finds_nothing()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var database = TestDatabase.New();
        var settings = BotHost.DefaultSettings(emulator, database);
        string Setting(string key) => settings.Single(s => s.StartsWith($"--{key}=", StringComparison.Ordinal))[(key.Length + 3)..];
        var security = Options.Create(new SecurityOptions { DataKey = Setting("Security:DataKey"), PseudonymKey = Setting("Security:PseudonymKey") });
        var sealer = new DataSealer(security);
        var receipt = Receipt.New();
        var photo = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Media", "gps.jpg"));

        // A database as the version before the vault left it: one approved tip with text, a file, a redaction and a reply.
        await using (var db = StorageServices.CreateContext(database.Provider, database.ConnectionString))
        {
            await db.GetService<IMigrator>().MigrateAsync(database.Provider == DatabaseProvider.Sqlite ? "UnlinkableTags" : "Unlinkable");
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync();
            await ExecuteAsync(connection, """
                INSERT INTO "tips" ("State", "SubmittedOn", "ReceiptHash", "SealedText", "SealedRedacted", "DecidedOn") VALUES ('Approved', @day, @receipt, @text, @redacted, @day)
                """, ("day", TimeProvider.System.GetUtcNow().UtcDateTime.Date), ("receipt", new Pseudonyms(security).OfText(TipKeys.ReceiptPurpose, Receipt.Normalize(receipt)!)),
                ("text", sealer.Seal("OLDTEXTQ from before the vault"u8, TipService.TextPurpose)), ("redacted", sealer.Seal("OLDREDQ for publication"u8, TipService.TextPurpose)));
            await ExecuteAsync(connection, """
                INSERT INTO "tip_files" ("TipId", "Position", "Kind", "Cleaned", "IsPhoto", "SealedName", "SealedContent") VALUES (1, 0, 'Jpeg', @yes, @no, @name, @content)
                """, ("yes", true), ("no", false), ("name", sealer.Seal("OLDNAMEQ.jpg"u8, TipService.NamePurpose)), ("content", sealer.Seal(photo, TipService.FilePurpose)));
            await ExecuteAsync(connection, """
                INSERT INTO "tip_replies" ("TipId", "On", "SealedText") VALUES (1, @day, @text)
                """, ("day", TimeProvider.System.GetUtcNow().UtcDateTime.Date), ("text", sealer.Seal("OLDREPLYQ thank you"u8, TipService.ReplyPurpose)));
        }

        using (var migrate = BotProcess.Start(["vault", "migrate", .. settings]))
        {
            Assert.Equal(0, await migrate.WaitForExitAsync(Wait));
            Assert.Contains("Resealed to the vault: 1 texts, 1 files, 0 file names, 1 texts for publication and 1 replies, of 1 tips.", migrate.StandardOutput, StringComparison.Ordinal);
        }

        using (var again = BotProcess.Start(["vault", "migrate", .. settings]))
        {
            Assert.Equal(0, await again.WaitForExitAsync(Wait));
            Assert.Contains("Nothing to reseal: every tip is sealed to the vault.", again.StandardOutput, StringComparison.Ordinal);
        }

        // Every value is sealed to the vault now, and opens with its key to what it was.
        await using (var db = StorageServices.CreateContext(database.Provider, database.ConnectionString))
        {
            var tip = await db.Tips.Include(t => t.Parts).Include(t => t.Replies).SingleAsync();
            var text = tip.Parts.Single(p => p.Kind == TipPartKind.Text);
            var file = tip.Parts.Single(p => p.Kind == TipPartKind.Document);
            Assert.Equal("OLDTEXTQ from before the vault", Encoding.UTF8.GetString(TestVault.Open(text.SealedContent, TipService.TextPurpose)!));
            Assert.Equal(photo, TestVault.Open(file.SealedContent, TipService.FilePurpose));
            Assert.Null(file.SealedName); // no tipster chose to keep a file's own name: the migration to cleaned files erased them
            Assert.Equal("OLDREDQ for publication", Encoding.UTF8.GetString(TestVault.Open(tip.SealedRedacted!, TipService.RedactedPurpose)!));
            Assert.True(tip.Replies.Single().ToVault);
        }

        // Whoever takes the server now, DataKey and all, finds none of the old ciphertexts.
        var adversary = Adversary.WithConfiguration(settings);
        await adversary.SeizeDatabaseAsync(database);
        foreach (var marker in new[] { "OLDTEXTQ", "OLDREDQ", "OLDNAMEQ", "OLDREPLYQ" })
        {
            Assert.DoesNotContain(adversary.OpenEverything(), o => o.Plaintext.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) >= 0);
        }

        // The tipster reads the old reply while the vault is open; it is sealed to their receipt then, for good.
        await using var bot = await BotHost.StartAsync(emulator, settings, database: database);
        var tipster = emulator.User(7_300_000_001, "Tipster");
        Assert.Contains("can be shown only while an editor has the vault open", (await tipster.AskAsync($"/check {receipt}", Wait)).Text, StringComparison.Ordinal);
        bot.UnlockVault();
        Assert.Contains("OLDREPLYQ thank you", (await tipster.AskAsync($"/check {receipt}", Wait)).Text, StringComparison.Ordinal);
        bot.Services.GetRequiredService<VaultKey>().Lock("the test");
        Assert.Contains("OLDREPLYQ thank you", (await tipster.AskAsync($"/check {receipt}", Wait)).Text, StringComparison.Ordinal);
        Assert.False(await bot.WithDbAsync(d => d.TipReplies.Select(r => r.ToVault).SingleAsync()));
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await command.ExecuteNonQueryAsync();
    }
}
