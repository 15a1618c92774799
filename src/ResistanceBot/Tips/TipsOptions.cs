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

    /// <summary>How long the receipt message stays in the chat before the bot deletes it.</summary>
    [Range(1, 24 * 60, ErrorMessage = "Tips:ReceiptMinutes must be between 1 and 1440.")]
    public int ReceiptMinutes { get; set; } = 10;
}
