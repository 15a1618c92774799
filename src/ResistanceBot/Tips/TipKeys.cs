using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ResistanceBot.Privacy;

namespace ResistanceBot.Tips;

/// <summary>
/// The keyed values of the tip line. Everything derived from a tipster's Telegram id is keyed with an erasable key, never with the
/// configuration's pseudonym key: the sender tag (limits, bans) with the tip epoch's key (<c>Tips:EpochDays</c>), the draft key
/// with the day's key. Once those keys are erased, nobody can recompute them for an id, so nothing left can name a tipster.
/// </summary>
internal sealed class TipKeys(ErasableKeys keys, Pseudonyms pseudonyms, IOptions<TipsOptions> options)
{
    public const string SenderPurpose = "tip sender";
    public const string DraftPurpose = "tip draft";
    public const string RoutePurpose = "tip reply route";
    public const string ReceiptPurpose = "tip receipt";

    /// <summary>The tip epoch: one erasable key per <c>Tips:EpochDays</c>.</summary>
    public KeyScope Epoch { get; } = EpochOf(options.Value);

    public static KeyScope EpochOf(TipsOptions options) => new(2, "tip epoch", options.EpochDays);

    public ValueTask<PeriodKey> CurrentEpochAsync(CancellationToken ct) => keys.CurrentAsync(Epoch, ct);

    /// <summary>The current epoch's key, then the previous one while it lives (to recognise a ban made then).</summary>
    public ValueTask<IReadOnlyList<PeriodKey>> LiveEpochsAsync(CancellationToken ct) => keys.LiveAsync(Epoch, ct);

    /// <summary>The tags a draft of this user may be stored under (today's key and yesterday's).</summary>
    public async Task<List<byte[]>> DraftKeysAsync(long userId, CancellationToken ct) =>
        [.. (await keys.LiveAsync(KeyScopes.Daily, ct)).Select(k => k.Tag(DraftPurpose, userId))];

    public async Task<byte[]> NewDraftKeyAsync(long userId, CancellationToken ct) =>
        (await keys.CurrentAsync(KeyScopes.Daily, ct)).Tag(DraftPurpose, userId);

    /// <summary>The receipt is random (100 bits), not derived from anyone: a hash under the configuration's key is enough.</summary>
    public byte[] ReceiptHash(string normalizedReceipt) => pseudonyms.OfText(ReceiptPurpose, normalizedReceipt);
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

/// <summary>
/// A draft's bookkeeping, sealed as JSON under the day's erasable key: the chat, the messages to delete from it afterwards (at
/// /send, /cancel, or when the draft expires), and counts for the limits. The contents are not here: each part is sealed to
/// the vault as it arrives (<see cref="TipPart"/>), so the bot never reads a draft back.
/// </summary>
/// <param name="MessageId">The tipster's message.</param>
/// <param name="Position">Its text part in the draft.</param>
/// <param name="Length">The text's length now, for the limit.</param>
internal sealed record DraftText(int MessageId, int Position, int Length);

internal sealed class DraftState
{
    public const string Purpose = "tip draft";

    public long ChatId { get; set; }

    /// <summary>
    /// This draft among the reader's drafts (whose key is the same all day): the buttons under its files name it, so that a
    /// button from a dropped draft finds nothing in the next.
    /// </summary>
    public string Id { get; set; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    public List<int> MessageIds { get; set; } = [];

    /// <summary>The album whose first photo was acknowledged, so an album gets one answer, not ten.</summary>
    public string? LastMediaGroup { get; set; }

    public int Parts { get; set; }

    public int Files { get; set; }

    public int TextLength { get; set; }

    /// <summary>Which message each text part came from, so that an edit of the message replaces it (a caption is a text part too).</summary>
    public List<DraftText> Texts { get; set; } = [];

    /// <summary>The reader's language, for the notes the bot leaves when it cannot delete a message (the draft may expire unattended).</summary>
    public string? Language { get; set; }

    public async Task<byte[]> SealAsync(ErasableKeys keys, CancellationToken ct) =>
        (await keys.CurrentAsync(KeyScopes.Daily, ct)).Seal(JsonSerializer.SerializeToUtf8Bytes(this), Purpose);

    /// <summary>The bookkeeping, or null when its key is already erased (the draft expired two days ago at least).</summary>
    public static async Task<DraftState?> OpenAsync(ErasableKeys keys, byte[] sealedState, CancellationToken ct) =>
        await keys.OpenAsync(sealedState, Purpose, ct) is { } json ? JsonSerializer.Deserialize<DraftState>(json) : null;
}
