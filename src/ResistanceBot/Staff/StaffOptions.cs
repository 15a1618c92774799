namespace ResistanceBot.Staff;

internal sealed class StaffOptions
{
    public const string Section = "Staff";

    /// <summary>Telegram user ids of admins. Admins are configured, not added by command, so a lost database cannot lock them out.</summary>
    public List<long> AdminIds { get; set; } = [];

    /// <summary>A private group where notices of new tips are posted (without contents).</summary>
    public long? ModeratorChatId { get; set; }

    /// <summary>The language of what the bot posts in the moderators' group (en, ru or uk); staff's own chats use each one's language.</summary>
    public string GroupLanguage { get; set; } = Localization.Localizer.Default;
}
