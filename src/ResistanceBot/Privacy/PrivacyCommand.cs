using Microsoft.Extensions.Options;
using ResistanceBot.Telegram;
using ResistanceBot.Tips;

namespace ResistanceBot.Privacy;

/// <summary>/privacy: what Telegram sees, what the bot keeps and for how long, and how to erase it (docs/PRIVACY.md maps each sentence).</summary>
internal sealed class PrivacyCommand(IOptions<TipsOptions> tips, IOptions<Vault.VaultOptions> vault) : ICommandHandler
{
    public Task HandleAsync(BotContext context, CancellationToken ct) =>
        context.ReplyAsync(context.T("privacy.text", tips.Value.RetentionDays, tips.Value.EpochDays, vault.Value.UnlockMinutes), ct: ct);
}
