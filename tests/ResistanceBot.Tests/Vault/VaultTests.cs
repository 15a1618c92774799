using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Vault;

namespace ResistanceBot.Tests.Vault;

/// <summary>Promise 2: tips sealed to a vault the server cannot open; moderators unlock it with a passphrase, for a while.</summary>
public sealed class VaultTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const long AdminId = 9_500_000;
    private const long ModeratorId = 9_500_001;
    private const long Group = -4_500;

    private static async Task<BotHost> StartAsync(TimeProvider? clock = null, params string[] extra)
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync(clock is null ? null : new EmulatorOptions { TimeProvider = clock });
        emulator.CreateGroup(Group, "Moderators");
        var db = TestDatabase.New();
        string[] settings = [$"--Staff:AdminIds:0={AdminId}", $"--Staff:ModeratorChatId={Group}", .. extra];
        return await BotHost.StartAsync(
            emulator, BotHost.DefaultSettings(emulator, db, settings), clock is null ? null : s => s.Replace(ServiceDescriptor.Singleton(clock)), db);
    }

    private static async Task SendTipAsync(TelegramUser tipster, string text)
    {
        await tipster.AskAsync("/tip", Wait);
        await tipster.AskAsync(text, Wait);
        Assert.StartsWith("✅", (await tipster.AskAsync("/send", Wait)).Text, StringComparison.Ordinal);
    }

    /// <summary>/unlock, then the passphrase as the next message; returns the answer and the passphrase message.</summary>
    private static async Task<(ChatMessage Answer, ChatMessage Passphrase)> UnlockAsync(TelegramUser staff, string passphrase)
    {
        Assert.StartsWith("Send the vault's passphrase as your next message", (await staff.AskAsync("/unlock", Wait)).Text, StringComparison.Ordinal);
        var answer = await staff.AskAsync(passphrase, Wait);
        return (answer, staff.Messages.Last(m => !m.FromBot && m.Text == passphrase));
    }

    [Fact]
    public async Task Vault_init_prints_a_key_pair_whose_private_key_opens_only_with_the_passphrase_it_never_prints()
    {
        const string Passphrase = "seven spruce trees by the river";
        using var init = BotProcess.Start("vault", "init");
        await init.WriteLineAsync(Passphrase);
        await init.WriteLineAsync(Passphrase);
        Assert.Equal(0, await init.WaitForExitAsync(Wait));

        string Setting(string name) => init.StandardOutput.Split('\n').Single(l => l.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
        var publicKey = Convert.FromBase64String(Setting("Vault__PublicKey"));
        var wrap = Convert.FromBase64String(Setting("Vault__SealedPrivateKey"));
        Assert.Equal(32, publicKey.Length);
        Assert.True(PassphraseWrap.CostOf(wrap)!.Value.MemoryKiB >= 64 * 1024, "Argon2id must use at least 64 MiB");
        Assert.DoesNotContain(Passphrase, init.StandardOutput + init.StandardError, StringComparison.Ordinal);

        // What the bot seals with the public key alone opens with the private key, and the private key only with the passphrase.
        var box = SealedBox.Seal(publicKey, "a tip"u8, "tip text");
        Assert.Null(PassphraseWrap.Unwrap(wrap, publicKey, Passphrase + "!"));
        using var key = PassphraseWrap.Unwrap(wrap, publicKey, Passphrase)!;
        Assert.Equal("a tip"u8.ToArray(), SealedBox.Open(key, box, "tip text"));
        Assert.Null(SealedBox.Open(key, box, "tip file")); // bound to its purpose

        using var mismatch = BotProcess.Start("vault", "init");
        await mismatch.WriteLineAsync(Passphrase);
        await mismatch.WriteLineAsync(Passphrase + " (typo)");
        Assert.Equal(2, await mismatch.WaitForExitAsync(Wait));
        Assert.DoesNotContain("Vault__", mismatch.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("The two passphrases differ; nothing was made.", mismatch.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unlock_deletes_the_passphrase_at_once_logs_nothing_of_it_and_the_vault_locks_itself_when_the_time_is_up()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 7, 23, 10, 0, 0, TimeSpan.Zero));
        await using var bot = await StartAsync(clock, "--Vault:UnlockMinutes=60");
        await SendTipAsync(bot.Emulator.User(9_500_100, "Tipster"), "Seen at the depot");
        var admin = bot.Emulator.User(AdminId, "Admin");

        Assert.StartsWith("The vault is locked: no letter can be opened", (await admin.AskAsync("/open 1", Wait)).Text, StringComparison.Ordinal);
        var (answer, passphrase) = await UnlockAsync(admin, TestVault.Passphrase);
        Assert.Equal("The vault is open until 11:00 UTC: /open shows letters. /lock closes it sooner.", answer.Text);
        Assert.True(passphrase.IsDeleted, "the passphrase must leave the chat at once");
        Assert.DoesNotContain(TestVault.Passphrase, bot.Logs.AllText, StringComparison.Ordinal);
        Assert.Contains("vault:unlock", await bot.WithDbAsync(d => d.AuditEntries.Select(a => a.Action).ToListAsync()));

        var before = admin.BotMessageCount;
        admin.SendText("/open 1");
        await bot.Emulator.WaitUntilAsync(() => admin.BotMessages.Skip(before).Any(m => m.Text == "Seen at the depot"), Wait, "the tip's text");

        clock.Advance(TimeSpan.FromMinutes(61));
        Assert.False(bot.Services.GetRequiredService<VaultKey>().IsOpen);
        Assert.StartsWith("The vault is locked", (await admin.AskAsync("/open 1", Wait)).Text, StringComparison.Ordinal);

        // In one message, "/unlock PASSPHRASE" works too, and the message is deleted all the same.
        Assert.StartsWith("The vault is open until", (await admin.AskAsync("/unlock " + TestVault.Passphrase, Wait)).Text, StringComparison.Ordinal);
        Assert.True(admin.Messages.Single(m => !m.FromBot && m.Text.StartsWith("/unlock ", StringComparison.Ordinal)).IsDeleted);
        Assert.Equal("The vault is locked. Letters can be opened again after /unlock.", (await admin.AskAsync("/lock", Wait)).Text);
        Assert.False(bot.Services.GetRequiredService<VaultKey>().IsOpen);
    }

    [Fact]
    public async Task Wrong_passphrases_are_audited_and_stop_after_five_an_hour_even_the_right_one()
    {
        await using var bot = await StartAsync();
        var admin = bot.Emulator.User(AdminId, "Admin");
        for (var left = 4; left >= 1; left--)
        {
            var (answer, message) = await UnlockAsync(admin, "not the passphrase " + left);
            Assert.Equal($"That passphrase does not open the vault. {left} {(left == 1 ? "try" : "tries")} left this hour.", answer.Text);
            Assert.True(message.IsDeleted);
        }

        Assert.Equal("Too many wrong passphrases. Try again in an hour.", (await UnlockAsync(admin, "not the passphrase 0")).Answer.Text);
        Assert.Equal("Too many wrong passphrases. Try again in an hour.", (await admin.AskAsync("/unlock", Wait)).Text);
        Assert.False(bot.Services.GetRequiredService<VaultKey>().IsOpen);
        Assert.Equal(5, await bot.WithDbAsync(d => d.AuditEntries.CountAsync(a => a.Action == "vault:wrong")));
        Assert.DoesNotContain("not the passphrase", bot.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_moderator_sets_a_passphrase_of_their_own_and_their_wrap_goes_with_their_role()
    {
        const string Own = "the moderator's very own passphrase";
        await using var bot = await StartAsync();
        var admin = bot.Emulator.User(AdminId, "Admin");
        var moderator = bot.Emulator.User(ModeratorId, "Moderator");
        await admin.AskAsync($"/addstaff {ModeratorId} moderator", Wait);
        Assert.StartsWith("The vault is locked", (await moderator.AskAsync("/passphrase", Wait)).Text, StringComparison.Ordinal);

        await UnlockAsync(admin, TestVault.Passphrase);
        Assert.StartsWith("An admin must first allow you", (await moderator.AskAsync("/passphrase", Wait)).Text, StringComparison.Ordinal);
        Assert.StartsWith($"User {ModeratorId} may now set a passphrase of their own", (await admin.AskAsync($"/vault add {ModeratorId}", Wait)).Text, StringComparison.Ordinal);
        Assert.StartsWith("Send your new passphrase", (await moderator.AskAsync("/passphrase", Wait)).Text, StringComparison.Ordinal);
        Assert.Equal("Your passphrase is set: /unlock opens the vault with it.", (await moderator.AskAsync(Own, Wait)).Text);
        Assert.True(moderator.Messages.Single(m => !m.FromBot && m.Text == Own).IsDeleted);
        var wrap = await bot.WithDbAsync(d => d.VaultWraps.SingleAsync());
        Assert.Equal(ModeratorId, wrap.UserId);
        Assert.Equal(-1, wrap.Wrap.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Own)));

        await moderator.AskAsync("/lock", Wait);
        Assert.StartsWith("The vault is open until", (await UnlockAsync(moderator, Own)).Answer.Text, StringComparison.Ordinal);
        await moderator.AskAsync("/lock", Wait);

        await Confirm.CommandAsync(bot.Emulator, admin, $"/removestaff {ModeratorId}");
        Assert.Equal(0, await bot.WithDbAsync(d => d.VaultWraps.CountAsync()));
        await admin.AskAsync($"/addstaff {ModeratorId} moderator", Wait);
        Assert.StartsWith("That passphrase does not open the vault", (await UnlockAsync(moderator, Own)).Answer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Own, bot.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Copies_reach_moderators_protected_an_uncleanable_file_under_a_neutral_name_and_all_are_deleted_after_CopyHours()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 7, 23, 10, 0, 0, TimeSpan.Zero));
        await using var bot = await StartAsync(clock, "--Moderation:CopyHours=24", "--Vault:UnlockMinutes=1440");
        var tipster = bot.Emulator.User(9_500_101, "Tipster");
        await tipster.AskAsync("/tip", Wait);
        await tipster.AskAsync("The list is attached", Wait);
        var warning = await tipster.AskAsync("", Wait, () => tipster.SendDocument(Encoding.ASCII.GetBytes("%PDF-1.4 /Author (Ivan Petrov)"), "list_by_petrov.pdf", "application/pdf"));
        Assert.StartsWith("⚠️ The bot cannot clean this file (or something inside it).", warning.Text, StringComparison.Ordinal);
        await Integration.ReaderJourneyTests.PressAsync(bot, tipster, warning, warning.ButtonData("Keep it as it is")!);
        await tipster.AskAsync("/send", Wait);
        bot.UnlockVault();
        var admin = bot.Emulator.User(AdminId, "Admin");
        var before = admin.BotMessageCount;
        admin.SendText("/open 1");
        await bot.Emulator.WaitUntilAsync(() => admin.BotMessages.Skip(before).Any(m => m.Document is not null), Wait, "the file");
        var copies = admin.BotMessages.Skip(before).ToList();
        await bot.SettledAsync(Wait);

        Assert.All(copies, m => Assert.True(m.Protected, $"copy {m.MessageId} should carry protect_content"));
        var file = copies.Single(m => m.Document is not null);
        Assert.Equal("tip-1-file-1.pdf", file.Document!.FileName);
        Assert.Equal("⚠️ Metadata not removed: open this file only on a computer that is offline.", file.Text);

        // A day later the copies are gone, decided or not; not before.
        clock.Advance(TimeSpan.FromHours(23.5));
        Assert.All(copies, c => Assert.False(admin.BotMessages.Single(m => m.MessageId == c.MessageId).IsDeleted));
        await Eventually.AdvanceUntilAsync(
            clock, TimeSpan.FromMinutes(10), () => copies.All(c => admin.BotMessages.Single(m => m.MessageId == c.MessageId).IsDeleted), Wait, "the copies to be deleted");
        Assert.True(clock.GetUtcNow() >= new DateTimeOffset(2031, 7, 24, 10, 0, 0, TimeSpan.Zero), "deleted too early");
        // The janitor deletes the messages first, then their rows: on a busy machine the rows may still be going.
        await Eventually.HoldsAsync(async () => await bot.WithDbAsync(d => d.TipViews.CountAsync()) == 0, Wait, "the copies' rows to go");
    }

    [Fact]
    public async Task A_copy_Telegram_will_no_longer_delete_is_pointed_out_to_its_moderator()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 7, 23, 10, 0, 0, TimeSpan.Zero));
        await using var bot = await StartAsync(clock, "--Moderation:CopyHours=47", "--Vault:UnlockMinutes=1440");
        await SendTipAsync(bot.Emulator.User(9_500_102, "Tipster"), "Seen at the station");
        bot.UnlockVault();
        var admin = bot.Emulator.User(AdminId, "Admin");
        var before = admin.BotMessageCount;
        admin.SendText("/open 1");
        await bot.Emulator.WaitUntilAsync(() => admin.BotMessages.Skip(before).Any(m => m.Text == "Seen at the station"), Wait, "the tip");
        var copies = admin.BotMessages.Skip(before).ToList();
        await bot.SettledAsync(Wait);

        // The bot was down for two days (its clock jumps past both its own 47 hours and Telegram's 48).
        clock.Advance(TimeSpan.FromHours(49));
        await Eventually.AdvanceUntilAsync(
            clock, TimeSpan.FromMinutes(10), () => admin.BotMessages.Count(m => m.Text.StartsWith("⚠️ I could not delete this copy of letter #1", StringComparison.Ordinal)) == copies.Count, Wait, "the notes");
        var notes = admin.BotMessages.Where(m => m.Text.StartsWith("⚠️ I could not delete", StringComparison.Ordinal)).ToList();
        Assert.Equal(copies.Select(c => (int?)c.MessageId).Order(), notes.Select(n => n.ReplyTo).Order());
        Assert.All(copies, c => Assert.False(admin.BotMessages.Single(m => m.MessageId == c.MessageId).IsDeleted));
    }
}
