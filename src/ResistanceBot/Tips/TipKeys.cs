using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ResistanceBot.Privacy;

namespace ResistanceBot.Tips;

/// <summary>
/// The keyed hashes of the tip line, each its own purpose so that none can be joined with another, nor with a subscription,
/// without the pseudonym key.
/// </summary>
internal sealed class TipKeys(Pseudonyms pseudonyms, TimeProvider time)
{
    public const int EpochDays = 30;

    /// <summary>Which 30-day period it is: the sender tag changes with it (promise 2).</summary>
    public int Epoch => (int)(time.GetUtcNow().ToUnixTimeSeconds() / 86_400 / EpochDays);

    public byte[] SenderTag(long userId) => pseudonyms.Of("tip sender " + Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), userId);

    public byte[] DraftKey(long userId) => pseudonyms.Of("tip draft", userId);

    public byte[] RouteOwner(long userId) => pseudonyms.Of("tip reply route", userId);

    public byte[] ReceiptHash(string normalizedReceipt) => pseudonyms.OfText("tip receipt", normalizedReceipt);
}

/// <summary>Receipt codes: 20 characters of Crockford base32 (100 bits), grouped for copying, forgiving of case and look-alikes.</summary>
internal static class Receipt
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    public const int Length = 20;

    public static string New()
    {
        var chars = RandomNumberGenerator.GetItems<char>(Alphabet, Length);
        return string.Join('-', new string(chars).Chunk(5).Select(c => new string(c)));
    }

    /// <summary>The canonical form, or null when the text cannot be a receipt.</summary>
    public static string? Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var sb = new StringBuilder(Length);
        foreach (var c in text.ToUpperInvariant())
        {
            var mapped = c switch
            {
                'O' => '0',
                'I' or 'L' => '1',
                '-' or ' ' or '_' or '\u2010' or '\u2013' => '\0',
                _ => c,
            };
            if (mapped == '\0')
            {
                continue;
            }

            if (!Alphabet.Contains(mapped, StringComparison.Ordinal))
            {
                return null;
            }

            sb.Append(mapped);
        }

        return sb.Length == Length ? sb.ToString() : null;
    }
}

/// <summary>One piece of a draft: text, or a file Telegram holds (by file id) until /send fetches it.</summary>
internal sealed record DraftPart(string? Text, string? FileId, bool IsPhoto, string? FileName, long? Size);

/// <summary>A draft's contents, sealed as JSON: its parts, and the messages to delete from the chat afterwards.</summary>
internal sealed class DraftContent
{
    public List<DraftPart> Parts { get; set; } = [];

    public List<int> MessageIds { get; set; } = [];

    /// <summary>The album whose first photo was acknowledged, so an album gets one answer, not ten.</summary>
    public string? LastMediaGroup { get; set; }

    public int TextLength => Parts.Sum(p => p.Text?.Length ?? 0);

    public int FileCount => Parts.Count(p => p.FileId is not null);

    public byte[] Seal(DataSealer sealer) => sealer.Seal(JsonSerializer.SerializeToUtf8Bytes(this), Purpose);

    public static DraftContent Open(DataSealer sealer, byte[] sealedParts) =>
        JsonSerializer.Deserialize<DraftContent>(sealer.Open(sealedParts, Purpose)) ?? new DraftContent();

    public const string Purpose = "tip draft";
}
