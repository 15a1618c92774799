using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using NSec.Cryptography;

namespace ResistanceBot.Vault;

/// <summary>
/// Seals to a public key, so that only the holder of the private key opens: the vault's (tips, files, file names) or a tip's
/// reply key (replies, which only the receipt opens). Composed from libsodium's primitives through NSec, nothing invented:
/// an ephemeral X25519 key agreement, HKDF-SHA256 over it (salt: both public keys; info: the purpose) for a fresh
/// XChaCha20-Poly1305 key, and the plaintext in chunks of 64 KiB with the chunk's number and a last-chunk flag in its nonce
/// (the STREAM construction), so a large file is sealed and opened in bounded memory, and no chunk can be dropped, reordered
/// or cut off. The plaintext is prefixed with its length and padded (Padmé: at most 12 % more, a few bits of the size left), so
/// that a sealed file's size does not give away the size of what a phone uploaded.
/// </summary>
/// <remarks>Layout: version (3), ephemeral public key (32), then each chunk's ciphertext with its 16-byte tag.</remarks>
internal static class SealedBox
{
    public const byte Version = 3;
    public const int KeySize = 32;
    private const int ChunkSize = 64 * 1024;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + KeySize;
    private const int LengthPrefix = 8;
    private const int MinimumPadded = 256;
    private static readonly KeyAgreementAlgorithm X25519 = KeyAgreementAlgorithm.X25519;
    private static readonly AeadAlgorithm Aead = AeadAlgorithm.XChaCha20Poly1305;

    /// <summary>Whether these bytes are (the start of) a sealed box.</summary>
    public static bool IsSealedBox(ReadOnlySpan<byte> data) => data.Length > HeaderSize + TagSize && data[0] == Version;

    /// <summary>The size a plaintext of <paramref name="length"/> bytes is sealed to.</summary>
    public static long SealedLength(long length)
    {
        var padded = Padded(LengthPrefix + length);
        var chunks = (padded + ChunkSize - 1) / ChunkSize;
        return HeaderSize + padded + (chunks * TagSize);
    }

    /// <summary>Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication with PURBs", 2019).</summary>
    internal static long Padded(long length)
    {
        if (length <= MinimumPadded)
        {
            return MinimumPadded;
        }

        var e = 63 - BitOperations.LeadingZeroCount((ulong)length);
        var s = 64 - BitOperations.LeadingZeroCount((ulong)e);
        var mask = (1L << (e - s)) - 1;
        return (length + mask) & ~mask;
    }

    public static byte[] Seal(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> plaintext, string purpose)
    {
        var recipient = PublicKey.Import(X25519, recipientPublicKey, KeyBlobFormat.RawPublicKey);
        using var ephemeral = Key.Create(X25519);
        var output = new byte[SealedLength(plaintext.Length)];
        output[0] = Version;
        ephemeral.PublicKey.Export(KeyBlobFormat.RawPublicKey).CopyTo(output.AsSpan(1, KeySize));
        using var key = DeriveKey(ephemeral, recipient, output.AsSpan(1, KeySize), recipientPublicKey, purpose)
            ?? throw new InvalidOperationException("The recipient's public key is not a valid X25519 key.");

        var padded = output.Length - HeaderSize - (ChunkCount(output.Length) * TagSize);
        Span<byte> nonce = stackalloc byte[Aead.NonceSize];
        var chunk = new byte[Math.Min(ChunkSize, padded)];
        var written = HeaderSize;
        for (long start = 0, index = 0; start < padded; start += ChunkSize, index++)
        {
            var length = (int)Math.Min(ChunkSize, padded - start);
            Fill(chunk.AsSpan(0, length), start, plaintext);
            Nonce(nonce, index, last: start + length == padded);
            Aead.Encrypt(key, nonce, default, chunk.AsSpan(0, length), output.AsSpan(written, length + TagSize));
            written += length + TagSize;
        }

        Array.Clear(chunk);
        return output;
    }

    /// <summary>The plaintext, or null when the box was not sealed to this key for this purpose, or was altered or cut.</summary>
    public static byte[]? Open(Key privateKey, ReadOnlySpan<byte> sealedBox, string purpose)
    {
        if (!IsSealedBox(sealedBox) || ChunkCount(sealedBox.Length) is not (> 0 and var chunks))
        {
            return null;
        }

        var ephemeral = PublicKey.Import(X25519, sealedBox.Slice(1, KeySize), KeyBlobFormat.RawPublicKey);
        using var key = DeriveKey(privateKey, ephemeral, sealedBox.Slice(1, KeySize), privateKey.PublicKey.Export(KeyBlobFormat.RawPublicKey), purpose);
        if (key is null)
        {
            return null;
        }

        var padded = sealedBox.Length - HeaderSize - (chunks * TagSize);
        Span<byte> nonce = stackalloc byte[Aead.NonceSize];
        var chunk = new byte[Math.Min(ChunkSize, padded)];
        byte[]? plaintext = null;
        try
        {
            var read = HeaderSize;
            for (long start = 0, index = 0; start < padded; start += ChunkSize, index++)
            {
                var length = (int)Math.Min(ChunkSize, padded - start);
                Nonce(nonce, index, last: start + length == padded);
                if (!Aead.Decrypt(key, nonce, default, sealedBox.Slice(read, length + TagSize), chunk.AsSpan(0, length)))
                {
                    return null;
                }

                read += length + TagSize;
                if (plaintext is null)
                {
                    var total = BinaryPrimitives.ReadInt64BigEndian(chunk);
                    if (total < 0 || total > padded - LengthPrefix)
                    {
                        return null;
                    }

                    plaintext = new byte[total];
                }

                // Where this chunk's bytes fall in the plaintext (the first chunk starts with the length).
                var from = Math.Max(start, LengthPrefix);
                var to = Math.Min(start + length, LengthPrefix + plaintext.LongLength);
                if (to > from)
                {
                    chunk.AsSpan((int)(from - start), (int)(to - from)).CopyTo(plaintext.AsSpan((int)(from - LengthPrefix)));
                }
            }

            return plaintext;
        }
        finally
        {
            Array.Clear(chunk);
        }
    }

    /// <summary>The key only the private key of a receipt opens with: replies to a tip, read with /check and nothing else.</summary>
    public static Key ReceiptKey(string normalizedReceipt)
    {
        Span<byte> seed = stackalloc byte[KeySize];
        System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(normalizedReceipt), seed, "resistancebot"u8, "tip reply key v1"u8);
        var key = Key.Import(X25519, seed, KeyBlobFormat.RawPrivateKey);
        seed.Clear();
        return key;
    }

    public static byte[] PublicKeyOf(Key key) => key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

    private static int ChunkCount(long sealedLength)
    {
        var body = sealedLength - HeaderSize;
        return body <= TagSize ? 0 : (int)((body + ChunkSize + TagSize - 1) / (ChunkSize + TagSize));
    }

    private static Key? DeriveKey(Key own, PublicKey other, ReadOnlySpan<byte> ephemeralPublic, ReadOnlySpan<byte> recipientPublic, string purpose)
    {
        using var shared = X25519.Agree(own, other);
        if (shared is null)
        {
            return null; // a low-order point: no secret is shared
        }

        Span<byte> salt = stackalloc byte[2 * KeySize];
        ephemeralPublic.CopyTo(salt);
        recipientPublic.CopyTo(salt[KeySize..]);
        return KeyDerivationAlgorithm.HkdfSha256.DeriveKey(shared, salt, Encoding.UTF8.GetBytes("resistancebot sealed box v1\0" + purpose), Aead);
    }

    private static void Nonce(Span<byte> nonce, long index, bool last)
    {
        nonce.Clear();
        BinaryPrimitives.WriteInt64BigEndian(nonce, index);
        nonce[8] = last ? (byte)1 : (byte)0;
    }

    /// <summary>The padded plaintext stream (length, bytes, zeros) from <paramref name="offset"/>, into <paramref name="chunk"/>.</summary>
    private static void Fill(Span<byte> chunk, long offset, ReadOnlySpan<byte> plaintext)
    {
        chunk.Clear();
        Span<byte> prefix = stackalloc byte[LengthPrefix];
        BinaryPrimitives.WriteInt64BigEndian(prefix, plaintext.Length);
        for (var i = 0; i < chunk.Length && offset + i < LengthPrefix; i++)
        {
            chunk[i] = prefix[(int)(offset + i)];
        }

        var from = Math.Max(offset, LengthPrefix);
        var to = Math.Min(offset + chunk.Length, LengthPrefix + (long)plaintext.Length);
        if (to > from)
        {
            plaintext.Slice((int)(from - LengthPrefix), (int)(to - from)).CopyTo(chunk[(int)(from - offset)..]);
        }
    }
}
