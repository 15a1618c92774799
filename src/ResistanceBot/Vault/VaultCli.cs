using System.Text;
using NSec.Cryptography;

namespace ResistanceBot.Vault;

/// <summary><c>vault init</c>: a new vault key pair, its private key wrapped under a passphrase that is stored nowhere.</summary>
internal static class VaultInit
{
    /// <returns>The settings to set, as lines, or null when the passphrases given did not do.</returns>
    public static async Task<int> RunAsync(TextReader input, TextWriter output, TextWriter prompts, bool interactive)
    {
        await prompts.WriteLineAsync("A new vault. Tips will be sealed to its public key; only its passphrase opens them, and the passphrase is stored nowhere.");
        await prompts.WriteLineAsync("Write it down, on paper, and keep it away from the server. Lose it (and every staff member's own), and no tip can ever be read.");
        var passphrase = await ReadAsync(input, prompts, interactive, $"Passphrase (at least {PassphraseWrap.MinimumPassphraseLength} characters): ");
        if (passphrase is null || passphrase.Length < PassphraseWrap.MinimumPassphraseLength)
        {
            await prompts.WriteLineAsync($"The passphrase must have at least {PassphraseWrap.MinimumPassphraseLength} characters; nothing was made.");
            return Hosting.Cli.ConfigurationError;
        }

        if (await ReadAsync(input, prompts, interactive, "The same again: ") != passphrase)
        {
            await prompts.WriteLineAsync("The two passphrases differ; nothing was made.");
            return Hosting.Cli.ConfigurationError;
        }

        await prompts.WriteLineAsync("Measuring Argon2id on this machine (about a second)...");
        var cost = PassphraseWrap.Calibrate(TimeSpan.FromSeconds(1));
        using var key = Key.Create(KeyAgreementAlgorithm.X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var privateKey = key.Export(KeyBlobFormat.RawPrivateKey);
        var publicKey = SealedBox.PublicKeyOf(key);
        var wrap = PassphraseWrap.Wrap(privateKey, publicKey, passphrase, cost);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(privateKey);
        await output.WriteLineAsync($"# The vault (Argon2id: {cost.MemoryKiB / 1024} MiB, {cost.Passes} passes). Set both; neither opens a tip without the passphrase.");
        await output.WriteLineAsync($"Vault__PublicKey={Convert.ToBase64String(publicKey)}");
        await output.WriteLineAsync($"Vault__SealedPrivateKey={Convert.ToBase64String(wrap)}");
        return 0;
    }

    /// <summary>A passphrase from the terminal, not echoed; from standard input as it is when that is not a terminal.</summary>
    private static async Task<string?> ReadAsync(TextReader input, TextWriter prompts, bool interactive, string prompt)
    {
        await prompts.WriteAsync(prompt);
        if (!interactive)
        {
            return await input.ReadLineAsync();
        }

        var typed = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                await prompts.WriteLineAsync();
                return typed.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                typed.Length = Math.Max(0, typed.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }
    }
}
