using Microsoft.Data.Sqlite;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

/// <summary>The executable as an operator meets it: verbs, exit codes, and what it prints when something is missing.</summary>
public sealed class CliTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Without_a_token_the_bot_says_in_one_sentence_what_to_set_and_how_to_try_it_locally()
    {
        using var bot = BotProcess.Start(
            [
                "--Security:DataKey=" + Convert.ToBase64String(new byte[32]),
                "--Security:PseudonymKey=" + Convert.ToBase64String(Enumerable.Repeat((byte)1, 32).ToArray()),
                .. TestVault.Settings,
            ]);

        var exit = await bot.WaitForExitAsync(Wait);

        Assert.Equal(2, exit);
        var lines = bot.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("Telegram:BotToken is not set", line, StringComparison.Ordinal);
        Assert.Contains("Telegram__BotToken", line, StringComparison.Ordinal);
        Assert.Contains("-- sandbox", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_keys_are_named_one_sentence_each_pointing_at_the_keys_verb()
    {
        using var bot = BotProcess.Start(["--Telegram:BotToken=123456:ABCdef", "--Security:DataKey=not-base64!", .. TestVault.Settings]);

        Assert.Equal(2, await bot.WaitForExitAsync(Wait));
        var lines = bot.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("Security:DataKey must be base64 of 32 random bytes", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Security:PseudonymKey is not set", StringComparison.Ordinal) && l.Contains("-- keys", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_nothing_configured_every_missing_key_gets_its_own_sentence_and_nothing_else_is_printed()
    {
        using var bot = BotProcess.Start();

        Assert.Equal(2, await bot.WaitForExitAsync(Wait));
        var lines = bot.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("Telegram:BotToken is not set", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("Security:DataKey is not set", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Security:PseudonymKey is not set", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Vault:PublicKey is not set", StringComparison.Ordinal) && l.Contains("-- vault init", StringComparison.Ordinal));
        Assert.Equal("", bot.StandardOutput.Trim());
    }

    [Fact]
    public async Task Keys_prints_two_fresh_32_byte_keys_as_environment_variables()
    {
        using var first = BotProcess.Start("keys");
        using var second = BotProcess.Start("keys");
        Assert.Equal(0, await first.WaitForExitAsync(Wait));
        Assert.Equal(0, await second.WaitForExitAsync(Wait));

        var keys = first.StandardOutput.Split('\n').Where(l => l.StartsWith("Security__", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, keys.Count);
        Assert.All(keys, k => Assert.Equal(32, Convert.FromBase64String(k[(k.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim()).Length));
        Assert.DoesNotContain(keys[0].Trim(), second.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_creates_the_schema_without_a_token_or_keys()
    {
        var db = TestDatabase.New();
        using var migrate = BotProcess.Start(["migrate", .. db.Settings]);

        Assert.Equal(0, await migrate.WaitForExitAsync(Wait));

        if (db.Provider == ResistanceBot.Storage.DatabaseProvider.Postgres)
        {
            await using var pg = new Npgsql.NpgsqlConnection(db.ConnectionString);
            await pg.OpenAsync();
            await using var tables = new Npgsql.NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('readers','staff','audit_log','processed_updates','conversations')", pg);
            Assert.Equal(5L, await tables.ExecuteScalarAsync());
            return;
        }

        await using var connection = new SqliteConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(name) FROM sqlite_master WHERE type='table' AND name IN ('readers','staff','audit_log','processed_updates','conversations'); PRAGMA journal_mode;";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(5, reader.GetString(0).Split(',').Length);
        Assert.True(await reader.NextResultAsync() && await reader.ReadAsync());
        Assert.Equal("wal", reader.GetString(0));
    }

    [Fact]
    public async Task Purge_erases_decided_tips_past_retention_and_keeps_the_rest()
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var path = TestDatabase.New();
        var settings = BotHost.DefaultSettings(emulator, path);
        await using (var seed = await Seed.OpenAsync(settings))
        {
            await seed.TipsAsync(
                (ResistanceBot.Tips.TipState.Approved, 40),
                (ResistanceBot.Tips.TipState.Rejected, 31),
                (ResistanceBot.Tips.TipState.Approved, 5),
                (ResistanceBot.Tips.TipState.Waiting, null));
        }

        await emulator.DisposeAsync();
        using var purge = BotProcess.Start(["purge", .. settings, "--Tips:RetentionDays=30"]);

        Assert.Equal(0, await purge.WaitForExitAsync(Wait));
        Assert.Contains("decided tips: 2\n", purge.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("expired drafts: 0\n", purge.StandardOutput, StringComparison.Ordinal);
        await using var after = await Seed.OpenAsync(settings);
        Assert.Equal(2, await after.CountTipsAsync());
    }

    [Fact]
    public async Task The_token_and_keys_can_come_as_files_in_CREDENTIALS_DIRECTORY_as_systemd_and_Docker_hand_them_over()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var settings = BotHost.DefaultSettings(emulator, TestDatabase.New());
        var credentials = Directory.CreateTempSubdirectory("credentials");
        string[] secret = ["Telegram:BotToken", "Security:DataKey", "Security:PseudonymKey"];
        foreach (var key in secret)
        {
            var value = settings.Single(s => s.StartsWith($"--{key}=", StringComparison.Ordinal))[(key.Length + 3)..];
            await File.WriteAllTextAsync(Path.Combine(credentials.FullName, key.Replace(":", "__", StringComparison.Ordinal)), value + "\n");
        }

        using var bot = BotProcess.Start(
            new Dictionary<string, string> { ["CREDENTIALS_DIRECTORY"] = credentials.FullName },
            [.. settings.Where(s => !secret.Any(k => s.StartsWith($"--{k}=", StringComparison.Ordinal)))]);
        var reply = await emulator.User(66001, "Reader").AskAsync("/start", Wait);

        Assert.Contains("Every day the collective", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_verb_is_refused_with_the_list_of_verbs()
    {
        using var bot = BotProcess.Start("frobnicate");
        Assert.Equal(2, await bot.WaitForExitAsync(Wait));
        Assert.Contains("Verbs: serve (default), migrate, keys, vault init, vault migrate, purge, backup PATH, copy-to CONNECTION_STRING, archive export DIR, sandbox.", bot.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sandbox_on_a_taken_port_says_so_in_one_sentence_and_exits()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        using var sandbox = BotProcess.Start("sandbox", $"--Sandbox:Port={port}");

        Assert.Equal(2, await sandbox.WaitForExitAsync(Wait));
        Assert.Equal($"Port {port} on 127.0.0.1 is taken: run the sandbox with --Sandbox:Port=N (0 picks a free port).", sandbox.StandardError.Trim());
    }

    [Fact]
    public async Task Sandbox_runs_the_bot_against_the_emulator_and_answers_in_the_terminal()
    {
        using var sandbox = BotProcess.Start("sandbox", "--Sandbox:Port=0");
        await sandbox.WriteLineAsync("/start");
        await Eventually.HoldsAsync(() => Task.FromResult(sandbox.StandardOutput.Contains("Every day the collective", StringComparison.Ordinal)), Wait, "the welcome");
        await sandbox.WriteLineAsync("!2");
        await Eventually.HoldsAsync(() => Task.FromResult(sandbox.StandardOutput.Contains("Каждый день коллектив", StringComparison.Ordinal)), Wait, "the welcome in Russian");
        await sandbox.WriteLineAsync("/quit");

        Assert.Equal(0, await sandbox.WaitForExitAsync(Wait));
    }
}
