using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace ResistanceBot.Vault;

/// <summary>
/// The vault's private key at rest: sealed under a key derived from a passphrase with Argon2id (libsodium, through NSec), and
/// bound to the vault's public key, so that a wrap cannot be moved to another vault nor a forged one unlock anything. The
/// passphrase itself is never stored. Layout: version (1), memory in KiB (4), passes (4), salt (16), nonce (24), the sealed
/// private key (32 + 16).
/// </summary>
internal static class PassphraseWrap
{
    /// <summary>The least memory a wrap may ask of Argon2id: 64 MiB.</summary>
    public const int MinimumMemoryKiB = 64 * 1024;
    public const int MinimumPassphraseLength = 12;
    private const byte Version = 1;
    private const int SaltSize = 16;
    private static readonly AeadAlgorithm Aead = AeadAlgorithm.XChaCha20Poly1305;
    private static readonly int Size = 1 + 4 + 4 + SaltSize + Aead.NonceSize + SealedBox.KeySize + Aead.TagSize;

    /// <summary>Argon2id's cost: memory fixed at 64 MiB (an unlock must not double the bot's working set), passes to taste.</summary>
    internal readonly record struct Cost(int MemoryKiB, int Passes);

    /// <summary>The passes at 64 MiB that take about <paramref name="target"/> on this machine (at least 3).</summary>
    public static Cost Calibrate(TimeSpan target)
    {
        var probe = new Cost(MinimumMemoryKiB, 3);
        var clock = Stopwatch.StartNew();
        Derive("calibration"u8, new byte[SaltSize], probe);
        var perPass = clock.Elapsed / probe.Passes;
        return probe with { Passes = Math.Max(3, (int)Math.Round(target / perPass)) };
    }

    public static byte[] Wrap(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, string passphrase, Cost cost)
    {
        var wrap = new byte[Size];
        wrap[0] = Version;
        BinaryPrimitives.WriteInt32BigEndian(wrap.AsSpan(1), cost.MemoryKiB);
        BinaryPrimitives.WriteInt32BigEndian(wrap.AsSpan(5), cost.Passes);
        var salt = wrap.AsSpan(9, SaltSize);
        var nonce = wrap.AsSpan(9 + SaltSize, Aead.NonceSize);
        RandomNumberGenerator.Fill(salt);
        RandomNumberGenerator.Fill(nonce);
        using var key = Derive(Encoding.UTF8.GetBytes(passphrase), salt, cost);
        Aead.Encrypt(key, nonce, Bound(publicKey), privateKey, wrap.AsSpan(9 + SaltSize + Aead.NonceSize));
        return wrap;
    }

    /// <summary>The vault's private key, or null when the passphrase is wrong or the wrap is not of this vault.</summary>
    public static Key? Unwrap(ReadOnlySpan<byte> wrap, ReadOnlySpan<byte> publicKey, string passphrase)
    {
        if (CostOf(wrap) is not { } cost)
        {
            return null;
        }

        using var key = Derive(Encoding.UTF8.GetBytes(passphrase), wrap.Slice(9, SaltSize), cost);
        var privateKey = new byte[SealedBox.KeySize];
        try
        {
            if (!Aead.Decrypt(key, wrap.Slice(9 + SaltSize, Aead.NonceSize), Bound(publicKey), wrap[(9 + SaltSize + Aead.NonceSize)..], privateKey))
            {
                return null;
            }

            var vaultKey = Key.Import(KeyAgreementAlgorithm.X25519, privateKey, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
            if (!SealedBox.PublicKeyOf(vaultKey).AsSpan().SequenceEqual(publicKey))
            {
                vaultKey.Dispose();
                return null;
            }

            return vaultKey;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>The cost a wrap asks for, or null when it is not a wrap (or asks for less memory than allowed, or absurd amounts).</summary>
    public static Cost? CostOf(ReadOnlySpan<byte> wrap)
    {
        if (wrap.Length != Size || wrap[0] != Version)
        {
            return null;
        }

        var cost = new Cost(BinaryPrimitives.ReadInt32BigEndian(wrap[1..]), BinaryPrimitives.ReadInt32BigEndian(wrap[5..]));
        return cost is { MemoryKiB: >= MinimumMemoryKiB and <= 4 * 1024 * 1024, Passes: >= 1 and <= 1000 } ? cost : null;
    }

    private static Key Derive(ReadOnlySpan<byte> passphrase, ReadOnlySpan<byte> salt, Cost cost)
    {
        var parameters = new Argon2Parameters { DegreeOfParallelism = 1, MemorySize = cost.MemoryKiB, NumberOfPasses = cost.Passes };
        return PasswordBasedKeyDerivationAlgorithm.Argon2id(in parameters).DeriveKey(passphrase, salt, Aead);
    }

    private static byte[] Bound(ReadOnlySpan<byte> publicKey) => [.. "resistancebot vault private key v1\0"u8, .. publicKey];
}
