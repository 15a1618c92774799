using System.ComponentModel.DataAnnotations;

namespace ResistanceBot.Tips;

internal sealed class TipsOptions
{
    public const string Section = "Tips";

    [Range(1, 3650, ErrorMessage = "Tips:RetentionDays must be between 1 and 3650.")]
    public int RetentionDays { get; set; } = 30;

    /// <summary>Largest file accepted; Telegram lets bots download at most 20 MiB.</summary>
    [Range(1_000, 20 << 20, ErrorMessage = "Tips:MaxFileBytes must be between 1000 and 20971520.")]
    public int MaxFileBytes { get; set; } = 20 << 20;

    [Range(1, 30, ErrorMessage = "Tips:MaxFiles must be between 1 and 30.")]
    public int MaxFiles { get; set; } = 10;

    [Range(100, 20_000, ErrorMessage = "Tips:MaxTextLength must be between 100 and 20000.")]
    public int MaxTextLength { get; set; } = 8_000;

    [Range(1, 100, ErrorMessage = "Tips:MaxPerDay must be between 1 and 100.")]
    public int MaxPerDay { get; set; } = 5;

    [Range(1, 24 * 60, ErrorMessage = "Tips:DraftMinutes must be between 1 and 1440.")]
    public int DraftMinutes { get; set; } = 30;

    /// <summary>
    /// Length of a tip epoch: sender tags (for the daily limit and bans) are keyed with the epoch's erasable key, erased from tips
    /// when the epoch ends, and the key itself when the next one ends. A ban lapses then unless its sender writes again.
    /// </summary>
    [Range(1, 90, ErrorMessage = "Tips:EpochDays must be between 1 and 90.")]
    public int EpochDays { get; set; } = 7;

    /// <summary>Notices of new tips go out in batches, each at a random moment up to this many minutes after its first tip (0: at once).</summary>
    [Range(0, 24 * 60, ErrorMessage = "Tips:NoticeDelayMinutes must be between 0 and 1440.")]
    public int NoticeDelayMinutes { get; set; } = 30;

    /// <summary>How long the receipt message stays in the chat before the bot deletes it.</summary>
    [Range(1, 24 * 60, ErrorMessage = "Tips:ReceiptMinutes must be between 1 and 1440.")]
    public int ReceiptMinutes { get; set; } = 10;
}
