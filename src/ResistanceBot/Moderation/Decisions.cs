using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Delivery;
using ResistanceBot.Localization;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;
using ResistanceBot.Tips;

namespace ResistanceBot.Moderation;

/// <summary>
/// What moderators decide: approve, reject, reply, redact, ban. A decision, its audit entry and the messages it causes (the nudge
/// to an opted-in tipster, the notices edited with the outcome) commit in one transaction, the messages through the outbox,
/// so a crash cannot leave a tip decided and nobody told. The copies in moderators' chats are deleted after.
/// </summary>
internal sealed class Decisions(TipService tips, TipViewer viewer, Outbox outbox, OutboxSignal signal, Localizer strings, TimeProvider time)
{
    private const string Staff = Localizer.Default;

    /// <returns>null when decided now; otherwise the reason (no such tip, already decided).</returns>
    public async Task<string?> DecideAsync(BotContext context, int tipId, TipState state, string? note, CancellationToken ct)
    {
        var db = context.Db;
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            var decision = await tips.DecideAsync(db, tipId, state, note, ct);
            if (decision.Status != DecideStatus.Decided)
            {
                return decision.Status == DecideStatus.AlreadyDecided ? context.T("mod.already", tipId) : context.T("mod.none", tipId);
            }

            await context.AuditAsync(state == TipState.Approved ? "approve" : "reject", Target(tipId), ct: ct);
            await NudgeAsync(db, decision.Nudge, ct);
            var outcome = strings.Format(Staff, "mod.decided", tipId, state.ToString().ToLowerInvariant(), context.UserId, time.GetUtcNow().UtcDateTime.ToString("dd.MM HH:mm", CultureInfo.InvariantCulture));
            var notices = await db.TipNotices.Where(n => n.TipId == tipId).ToListAsync(ct);
            foreach (var notice in notices.Where(n => n.MessageId is not null))
            {
                await outbox.EnqueueMessageAsync(db, notice.ChatId, outcome, edit: notice.MessageId, ct: ct);
            }

            db.TipNotices.RemoveRange(notices);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        signal.Wake();
        await viewer.DeleteCopiesAsync(db, tipId, ct);
        return null;
    }

    public async Task<string?> ReplyAsync(BotContext context, int tipId, string text, CancellationToken ct)
    {
        var db = context.Db;
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            var reply = await tips.ReplyAsync(db, tipId, text, ct);
            if (reply.Status != DecideStatus.Decided)
            {
                return context.T("mod.none", tipId);
            }

            await context.AuditAsync("reply", Target(tipId), ct: ct);
            await NudgeAsync(db, reply.Nudge, ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        signal.Wake();
        return null;
    }

    public async Task<string?> RedactAsync(BotContext context, int tipId, string text, CancellationToken ct)
    {
        if (!await tips.RedactAsync(context.Db, tipId, text, ct))
        {
            return context.T("mod.none", tipId);
        }

        await context.AuditAsync("redact", Target(tipId), ct: ct);
        return null;
    }

    public async Task<string?> BanAsync(BotContext context, int tipId, CancellationToken ct)
    {
        var outcome = await tips.BanSenderOfAsync(context.Db, tipId, ct);
        switch (outcome.Status)
        {
            case BanStatus.NoSuchTip:
                return context.T("mod.none", tipId);
            case BanStatus.Unrecognisable:
                return context.T("mod.ban.unrecognisable", tipId);
            default:
                await context.AuditAsync("ban", Target(tipId), ct: ct);
                return context.T("mod.done.ban", tipId, outcome.Until.AddDays(-1).ToString("dd.MM.yyyy", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Tells an opted-in tipster, once, that there is news, without saying what: the answer is read with /check.</summary>
    private async Task NudgeAsync(BotDbContext db, long? chat, CancellationToken ct)
    {
        if (chat is { } to)
        {
            await outbox.EnqueueMessageAsync(db, to, strings.Get(Localizer.Default, "tip.news") + "\n\n" + strings.Get("ru", "tip.news") + "\n\n" + strings.Get("uk", "tip.news"), ct: ct);
        }
    }

    private static string Target(int tipId) => "tip:" + tipId.ToString(CultureInfo.InvariantCulture);
}
