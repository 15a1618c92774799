using Microsoft.EntityFrameworkCore;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using ResistanceBot.Vault;

namespace ResistanceBot.Tips;

internal sealed record Resealed(int Tips, int Texts, int Files, int Names, int Redacted, int Replies)
{
    public int Total => Texts + Files + Names + Redacted + Replies;
}

/// <summary>
/// <c>vault migrate</c>: tips stored before the vault were sealed under <c>Security:DataKey</c>, which the server holds. Each such
/// value is opened and sealed to the vault instead, and the old ciphertext overwritten in its row (the residue in the
/// database's files then goes with the purge's clean-up). Replies go to the vault too: they were sealed before receipts had
/// keys, so /check shows them while the vault is open and seals them to the receipt then. Running it again finds nothing.
/// </summary>
internal sealed class TipResealer(DataSealer sealer, VaultSealer vault)
{
    public async Task<Resealed> ResealAsync(BotDbContext db, CancellationToken ct)
    {
        int texts = 0, files = 0, names = 0, redacted = 0, replies = 0;
        var tips = new HashSet<int>();
        foreach (var part in await db.TipParts.Where(p => p.TipId != null).ToListAsync(ct))
        {
            var purpose = part.Kind == TipPartKind.Text ? TipService.TextPurpose : TipService.FilePurpose;
            if (Reseal(part.SealedContent, purpose, purpose) is { } content)
            {
                part.SealedContent = content;
                tips.Add(part.TipId!.Value);
                _ = part.Kind == TipPartKind.Text ? texts++ : files++;
            }

            if (part.SealedName is { } name && Reseal(name, TipService.NamePurpose, TipService.NamePurpose) is { } sealedName)
            {
                part.SealedName = sealedName;
                names++;
            }
        }

        foreach (var tip in await db.Tips.Where(t => t.SealedRedacted != null).ToListAsync(ct))
        {
            if (Reseal(tip.SealedRedacted!, TipService.TextPurpose, TipService.RedactedPurpose) is { } text)
            {
                tip.SealedRedacted = text;
                tips.Add(tip.Id);
                redacted++;
            }
        }

        foreach (var reply in await db.TipReplies.ToListAsync(ct))
        {
            if (Reseal(reply.SealedText, TipService.ReplyPurpose, TipService.ReplyPurpose) is { } text)
            {
                reply.SealedText = text;
                reply.ToVault = true;
                tips.Add(reply.TipId);
                replies++;
            }
        }

        await db.SaveChangesAsync(ct);
        return new Resealed(tips.Count, texts, files, names, redacted, replies);
    }

    /// <summary>The value sealed to the vault, or null when it already is.</summary>
    private byte[]? Reseal(byte[] value, string oldPurpose, string newPurpose) =>
        Aead.Header(value) is (1, _) ? vault.Seal(sealer.Open(value, oldPurpose), newPurpose) : null;
}
