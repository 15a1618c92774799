using ResistanceBot.Vault;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>
/// One vault for the whole test run, made as `vault init` makes one but at Argon2id's least allowed cost (64 MiB, one pass), so
/// that each unlock takes tens of milliseconds. Its passphrase is known to the tests, as a moderator knows theirs.
/// </summary>
internal static class TestVault
{
    public const string Passphrase = "correct horse battery staple";

    private static readonly Lazy<(string PublicKey, string SealedPrivateKey)> Keys = new(() =>
    {
        using var key = NSec.Cryptography.Key.Create(NSec.Cryptography.KeyAgreementAlgorithm.X25519, new NSec.Cryptography.KeyCreationParameters { ExportPolicy = NSec.Cryptography.KeyExportPolicies.AllowPlaintextExport });
        var publicKey = SealedBox.PublicKeyOf(key);
        var wrap = PassphraseWrap.Wrap(key.Export(NSec.Cryptography.KeyBlobFormat.RawPrivateKey), publicKey, Passphrase, new(PassphraseWrap.MinimumMemoryKiB, 1));
        return (Convert.ToBase64String(publicKey), Convert.ToBase64String(wrap));
    });

    public static string[] Settings => [$"--Vault:PublicKey={Keys.Value.PublicKey}", $"--Vault:SealedPrivateKey={Keys.Value.SealedPrivateKey}"];

    public static byte[] PublicKey => Convert.FromBase64String(Keys.Value.PublicKey);

    /// <summary>The vault's private key, as a moderator's passphrase opens it: for tests that read what the bot sealed.</summary>
    public static NSec.Cryptography.Key PrivateKey() => PassphraseWrap.Unwrap(Convert.FromBase64String(Keys.Value.SealedPrivateKey), PublicKey, Passphrase)!;

    /// <summary>A sealed value opened with the vault's private key, or null.</summary>
    public static byte[]? Open(byte[] sealedBox, string purpose)
    {
        using var key = PrivateKey();
        return SealedBox.Open(key, sealedBox, purpose);
    }
}
