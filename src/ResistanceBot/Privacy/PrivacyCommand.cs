using Microsoft.Extensions.Options;
using ResistanceBot.Telegram;
using ResistanceBot.Tips;

namespace ResistanceBot.Privacy;

/// <summary>/privacy: what Telegram sees, what the bot keeps and for how long, how to stay safe, and how to erase (docs/PRIVACY.md maps each claim).</summary>
internal sealed class PrivacyCommand(IOptions<TipsOptions> tips, IOptions<Vault.VaultOptions> vault) : ICommandHandler
{
    /// <summary>The claims of /privacy, each listed in docs/PRIVACY.md. Arguments: {0} Tips:RetentionDays, {1} Tips:EpochDays, {2} Vault:UnlockMinutes.</summary>
    internal static readonly ClaimSection[] Sections =
    [
        new("privacy.h.telegram", ["privacy.telegram.sees", "privacy.telegram.deleting", "privacy.telegram.forwarded"]),
        new("privacy.h.kept", [
            "privacy.reader.settings", "privacy.reader.chat", "privacy.reader.never", "privacy.reader.reading", "privacy.reader.archive",
            "privacy.tip.vault", "privacy.tip.seized", "privacy.tip.dated", "privacy.tip.tag", "privacy.tip.files", "privacy.tip.notify", "privacy.tip.erased",
        ]),
        new("privacy.h.advice", ["advice.photo", "advice.crop", "advice.paper", "advice.timer", "advice.phone"]),
        new("privacy.h.erasing", ["privacy.erase.unsubscribe", "privacy.erase.forget", "privacy.erase.backups"]),
    ];

    public async Task HandleAsync(BotContext context, CancellationToken ct) =>
        await context.ReplyLinesAsync("", Claims.Lines(context, Sections, tips.Value.RetentionDays, tips.Value.EpochDays, vault.Value.UnlockMinutes), ct);
}
