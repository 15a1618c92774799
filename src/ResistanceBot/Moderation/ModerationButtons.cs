using System.Security.Cryptography;
using System.Text;
using ResistanceBot.Privacy;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Moderation;

/// <summary>
/// Moderation buttons carry their action and tip number with an HMAC, so a reader cannot make one up; and every press is
/// checked against the presser's current role anyway. "m:approve:12:Xy…" stays well under Telegram's 64 bytes.
/// </summary>
internal sealed class ButtonSigner(Pseudonyms pseudonyms)
{
    public const string Prefix = "m";
    private const string Purpose = "moderation button";

    public string Data(string action, int tipId) => $"{Prefix}:{action}:{tipId}:{Signature(action, tipId)}";

    public InlineKeyboardButton Button(string label, string action, int tipId) => InlineKeyboardButton.WithCallbackData(label, Data(action, tipId));

    /// <summary>(action, tip id) when the data is genuine; null when it was made up or altered.</summary>
    public (string Action, int TipId)? Verify(string data)
    {
        var parts = data.Split(':');
        if (parts.Length != 3 || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var tipId))
        {
            return null;
        }

        var expected = Encoding.ASCII.GetBytes(Signature(parts[0], tipId));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[2])) ? (parts[0], tipId) : null;
    }

    private string Signature(string action, int tipId) =>
        Convert.ToBase64String(pseudonyms.OfText(Purpose, $"{action}:{tipId}"), 0, 9).Replace('+', '-').Replace('/', '_');
}
