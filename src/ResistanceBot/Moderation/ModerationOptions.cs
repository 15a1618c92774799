using System.ComponentModel.DataAnnotations;

namespace ResistanceBot.Moderation;

internal sealed class ModerationOptions
{
    public const string Section = "Moderation";

    /// <summary>
    /// How long a moderator's copy of a tip's contents may stay in their chat before the bot deletes it, decided or not; well
    /// inside the 48 hours Telegram lets a bot delete its messages.
    /// </summary>
    [Range(1, 47, ErrorMessage = "Moderation:CopyHours must be between 1 and 47 (Telegram lets a bot delete its messages for 48 hours).")]
    public int CopyHours { get; set; } = 24;
}
