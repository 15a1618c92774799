using System.Security.Cryptography;
using System.Text;
using ResistanceBot.BotApiEmulator;

namespace ResistanceBot.Hosting;

/// <summary>
/// `sandbox`: the real bot against the built-in Bot API emulator, with a chat in this terminal. No token, no network:
/// the emulator listens on 127.0.0.1 only, keys are fresh and the database is a throwaway file.
/// </summary>
internal static class Sandbox
{
    private const long SandboxUserId = 1_000_001;

    /// <summary>The throw-away vault's passphrase, shown to trainees so that they can practise /lock and /unlock.</summary>
    internal const string VaultPassphrase = "sandbox vault passphrase";

    /// <summary>A throw-away vault: a fresh key pair, its private key wrapped at the least cost allowed (it guards nothing real).</summary>
    internal static (string PublicKey, string SealedPrivateKey) ThrowAwayVault()
    {
        using var key = NSec.Cryptography.Key.Create(NSec.Cryptography.KeyAgreementAlgorithm.X25519, new NSec.Cryptography.KeyCreationParameters { ExportPolicy = NSec.Cryptography.KeyExportPolicies.AllowPlaintextExport });
        var publicKey = Vault.SealedBox.PublicKeyOf(key);
        var wrap = Vault.PassphraseWrap.Wrap(key.Export(NSec.Cryptography.KeyBlobFormat.RawPrivateKey), publicKey, VaultPassphrase, new(Vault.PassphraseWrap.MinimumMemoryKiB, 1));
        return (Convert.ToBase64String(publicKey), Convert.ToBase64String(wrap));
    }

    public static async Task<int> RunAsync(string[] args)
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var dataDir = Path.Combine(Path.GetTempPath(), "resistancebot-sandbox-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Directory.CreateDirectory(dataDir);
        var (vaultPublicKey, vaultPrivateKey) = ThrowAwayVault();
        string[] settings =
        [
            $"--Telegram:BotToken={emulator.Token}",
            $"--Telegram:ApiBaseUrl={emulator.BaseUrl}",
            "--Telegram:Mode=Polling",
            "--Telegram:PollTimeoutSeconds=10",
            "--Database:Provider=Sqlite",
            $"--Database:ConnectionString=Data Source={Path.Combine(dataDir, "sandbox.db")}",
            $"--Security:DataKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
            $"--Security:PseudonymKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
            $"--Staff:AdminIds:0={SandboxUserId}",
            $"--Vault:PublicKey={vaultPublicKey}",
            $"--Vault:SealedPrivateKey={vaultPrivateKey}",
            // Training: a notice of a new tip at once, not at a random moment within half an hour.
            "--Tips:NoticeDelayMinutes=0",
            "--Http:Urls=http://127.0.0.1:0",
        ];
        await using var app = BotApp.Build([.. settings, .. args], b => b.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        var vault = app.Services.GetRequiredService<Vault.VaultKey>();
        vault.Unlock(Vault.PassphraseWrap.Unwrap(Convert.FromBase64String(vaultPrivateKey), vault.PublicKey, VaultPassphrase)!);

        var user = emulator.User(SandboxUserId, "Sandbox", languageCode: "en");
        Console.OutputEncoding = Encoding.UTF8;
        Console.WriteLine("ResistanceBot sandbox: the real bot, talking to a local Bot API emulator (no Telegram, no network).");
        Console.WriteLine("You are an admin here. Type a message or a command (/start, /help, /settings ...).");
        Console.WriteLine("Press a button with !N (N as listed under the message). Quit with /quit or Ctrl+D.");
        Console.WriteLine($"The vault is open; /lock closes it, and /unlock with the passphrase \"{VaultPassphrase}\" opens it again.");
        Console.WriteLine($"Data: {dataDir}");

        using var stop = new CancellationTokenSource();
        var printer = PrintAsync(emulator, user, stop.Token);
        while (await Console.In.ReadLineAsync() is { } line)
        {
            line = line.Trim();
            if (line is "/quit" or "/exit")
            {
                break;
            }

            if (line.StartsWith('!') && int.TryParse(line[1..], out var n))
            {
                var buttons = user.BotMessages.LastOrDefault(m => !m.IsDeleted && m.Buttons.Count > 0)?.Buttons.SelectMany(r => r).ToList();
                if (buttons is null || n < 1 || n > buttons.Count || buttons[n - 1].CallbackData is not { } data)
                {
                    Console.WriteLine("(no such button)");
                    continue;
                }

                user.PressButton(user.BotMessages.Last(m => !m.IsDeleted && m.Buttons.Count > 0).MessageId, data);
                continue;
            }

            if (line.Length > 0)
            {
                user.SendText(line);
            }
        }

        await stop.CancelAsync();
        await printer;
        await app.StopAsync();
        return 0;
    }

    private static async Task PrintAsync(BotApiEmulator.BotApiEmulator emulator, TelegramUser user, CancellationToken ct)
    {
        var seen = new Dictionary<int, int>();
        while (!ct.IsCancellationRequested)
        {
            foreach (var message in user.BotMessages.Where(m => !seen.TryGetValue(m.MessageId, out var edits) || edits != m.EditCount || m.IsDeleted))
            {
                if (message.IsDeleted)
                {
                    if (seen.Remove(message.MessageId))
                    {
                        Console.WriteLine($"[bot deleted message {message.MessageId}]");
                    }

                    continue;
                }

                var edited = seen.ContainsKey(message.MessageId);
                seen[message.MessageId] = message.EditCount;
                Console.WriteLine();
                Console.WriteLine(edited ? $"bot (edited {message.MessageId}):" : "bot:");
                Console.WriteLine(message.Text);
                var n = 0;
                foreach (var row in message.Buttons)
                {
                    Console.WriteLine(string.Join("  ", row.Select(b => $"[{++n}] {b.Text}")));
                }
            }

            try
            {
                var count = user.BotMessages.Sum(m => m.EditCount + 1 + (m.IsDeleted ? 1 : 0));
                await emulator.WaitUntilAsync(() => user.BotMessages.Sum(m => m.EditCount + 1 + (m.IsDeleted ? 1 : 0)) != count || ct.IsCancellationRequested, TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
                // nothing new; look again
            }
        }
    }
}
