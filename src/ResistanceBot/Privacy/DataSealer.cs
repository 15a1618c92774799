using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ResistanceBot.Privacy;

/// <summary>
/// The one place that encrypts data at rest: AES-256-GCM under <c>Security:DataKey</c>. Each ciphertext carries the id of its key,
/// so rows sealed before a rotation open with <c>Security:PreviousDataKeys</c>. The purpose is bound as associated data,
/// so a ciphertext moved to another column does not open.
/// </summary>
internal sealed class DataSealer
{
    private const byte Version = 1;

    private readonly (uint Id, byte[] Key) _current;
    private readonly Dictionary<uint, byte[]> _keys = [];

    public DataSealer(IOptions<SecurityOptions> options)
    {
        var o = options.Value;
        var current = SecurityOptions.Decode(o.DataKey) ?? throw new InvalidOperationException("Security:DataKey is not valid.");
        _current = (KeyId(current), current);
        _keys[_current.Id] = current;
        foreach (var previous in o.PreviousDataKeys.Select(SecurityOptions.Decode).OfType<byte[]>())
        {
            _keys.TryAdd(KeyId(previous), previous);
        }
    }

    /// <summary>A key's id: a keyed hash, so it tells nothing about the key.</summary>
    internal static uint KeyId(byte[] key) =>
        BinaryPrimitives.ReadUInt32BigEndian(HMACSHA256.HashData(key, "resistancebot key id"u8));

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string purpose) => Aead.Seal(Version, _current.Id, _current.Key, plaintext, purpose);

    /// <exception cref="CryptographicException">The data was altered, sealed for another purpose, or under an unknown key.</exception>
    public byte[] Open(ReadOnlySpan<byte> sealedData, string purpose)
    {
        if (Aead.Header(sealedData) is not (Version, var keyId))
        {
            throw new CryptographicException("Sealed data has an unknown format.");
        }

        if (!_keys.TryGetValue(keyId, out var key))
        {
            throw new CryptographicException("Sealed data uses a key that is not configured (Security:PreviousDataKeys).");
        }

        return Aead.Open(key, sealedData, purpose);
    }

    public byte[] SealInt64(long value, string purpose)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(buffer, value);
        return Seal(buffer, purpose);
    }

    public long OpenInt64(ReadOnlySpan<byte> sealedData, string purpose) =>
        BinaryPrimitives.ReadInt64BigEndian(Open(sealedData, purpose));
}

/// <summary>
/// The one AES-256-GCM layout both sealers use: version (1 byte), key id (4), nonce (12), tag (16), ciphertext. The purpose is
/// bound as associated data, so a ciphertext moved to another column does not open.
/// </summary>
internal static class Aead
{
    private const int KeyIdSize = 4;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    public const int Overhead = 1 + KeyIdSize + NonceSize + TagSize;

    public static byte[] Seal(byte version, uint keyId, byte[] key, ReadOnlySpan<byte> plaintext, string purpose)
    {
        var output = new byte[Overhead + plaintext.Length];
        output[0] = version;
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(1, KeyIdSize), keyId);
        var nonce = output.AsSpan(1 + KeyIdSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(Overhead), output.AsSpan(1 + KeyIdSize + NonceSize, TagSize), Encoding.UTF8.GetBytes(purpose));
        return output;
    }

    /// <summary>The version and key id of sealed data, or null when it is too short to be sealed at all.</summary>
    public static (byte Version, uint KeyId)? Header(ReadOnlySpan<byte> sealedData) =>
        sealedData.Length < Overhead ? null : (sealedData[0], BinaryPrimitives.ReadUInt32BigEndian(sealedData.Slice(1, KeyIdSize)));

    /// <exception cref="CryptographicException">The data was altered or sealed for another purpose.</exception>
    public static byte[] Open(byte[] key, ReadOnlySpan<byte> sealedData, string purpose)
    {
        var plaintext = new byte[sealedData.Length - Overhead];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(
            sealedData.Slice(1 + KeyIdSize, NonceSize),
            sealedData[Overhead..],
            sealedData.Slice(1 + KeyIdSize + NonceSize, TagSize),
            plaintext,
            Encoding.UTF8.GetBytes(purpose));
        return plaintext;
    }
}

/// <summary>
/// Keyed pseudonyms (HMAC-SHA256 under <c>Security:PseudonymKey</c>): readers are found by these, never by their Telegram id.
/// Each purpose gives unrelated values, so a reader's subscription and their tips do not share a pseudonym.
/// </summary>
internal sealed class Pseudonyms(IOptions<SecurityOptions> options)
{
    private readonly byte[] _key = SecurityOptions.Decode(options.Value.PseudonymKey)
        ?? throw new InvalidOperationException("Security:PseudonymKey is not valid.");

    public byte[] Of(string purpose, long telegramId)
    {
        Span<byte> input = stackalloc byte[64];
        var n = Encoding.UTF8.GetBytes(purpose, input);
        input[n++] = 0;
        BinaryPrimitives.WriteInt64BigEndian(input[n..], telegramId);
        return HMACSHA256.HashData(_key, input[..(n + 8)]);
    }

    /// <summary>A keyed hash of a text (a receipt code): checkable with the key, useless without it.</summary>
    public byte[] OfText(string purpose, string text) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(purpose + "\0" + text));

}

internal static class Purposes
{
    public const string Reader = "reader";
    public const string SubscriberChat = "subscriber chat id";
}
