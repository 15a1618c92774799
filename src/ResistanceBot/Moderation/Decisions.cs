using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Delivery;
using ResistanceBot.Localization;
using ResistanceBot.Staff;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;
using ResistanceBot.Tips;

namespace ResistanceBot.Moderation;

/// <summary>
/// What moderators decide: approve, reject, reply, redact, ban. A decision, its audit entry and the messages it causes (the nudge
/// to an opted-in tipster, the notices edited with the outcome) commit in one transaction, the messages through the outbox,
/// so a crash cannot leave a tip decided and nobody told. The copies in moderators' chats are deleted after.
/// </summary>
internal sealed class Decisions(
    TipService tips, TipViewer viewer, Outbox outbox, OutboxSignal signal, StaffDirectory staff, Localizer strings, IOptions<TipsOptions> options, TimeProvider time)
{
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
            var when = time.GetUtcNow().UtcDateTime.ToString("dd.MM HH:mm", CultureInfo.InvariantCulture) + " UTC";
            var nickname = await StaffDirectory.NicknameOfAsync(db, context.UserId, ct);
            var notices = await db.TipNotices.Where(n => n.TipId == tipId).ToListAsync(ct);
            foreach (var notice in notices.Where(n => n.MessageId is not null))
            {
                // Each notice in its own chat's language, naming the moderator by nickname or role: the group need not learn ids.
                var language = await staff.LanguageOfAsync(db, notice.ChatId, ct);
                var outcome = strings.Format(
                    language, "mod.decided", tipId, strings.Get(language, "mod.state." + state.ToString().ToLowerInvariant()),
                    StaffDirectory.NameOf(strings, language, nickname, context.Role), when);
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

    /// <summary>What a ban of tip N's sender would be: null and the day it lapses, or why there can be none.</summary>
    public async Task<(string? Refusal, DateTime Until)> PlanBanAsync(BotContext context, int tipId, CancellationToken ct)
    {
        var outcome = await tips.BanSenderOfAsync(context.Db, tipId, preview: true, ct);
        return (Refusal(context, outcome.Status, tipId), outcome.Until);
    }

    /// <returns>What to tell the moderator: until when the sender is banned, or why they cannot be.</returns>
    public async Task<(string Text, bool Banned)> BanAsync(BotContext context, int tipId, CancellationToken ct)
    {
        var outcome = await tips.BanSenderOfAsync(context.Db, tipId, preview: false, ct);
        if (Refusal(context, outcome.Status, tipId) is { } refusal)
        {
            return (refusal, false);
        }

        await context.AuditAsync("ban", Target(tipId), ct: ct);
        return (context.T("mod.done.ban", tipId, TipsFeature.Day(outcome.Until)), true);
    }

    /// <summary>/unban N, or Undo under a ban: the sender of tip N may write again.</summary>
    public static async Task<string> UnbanAsync(BotContext context, int tipId, bool undo, CancellationToken ct)
    {
        var status = await TipService.UnbanSenderOfAsync(context.Db, tipId, ct);
        if (status == BanStatus.Unbanned)
        {
            await context.AuditAsync("unban", Target(tipId), ct: ct);
            return context.T(undo ? "mod.done.ban.undone" : "mod.done.unban", tipId);
        }

        return Refusal(context, status, tipId) ?? context.T("mod.unban.none", tipId);
    }

    /// <summary>Undo under a rejection: the tip waits again, as long as nobody decided it otherwise meanwhile.</summary>
    public static async Task<string> ReopenAsync(BotContext context, int tipId, CancellationToken ct)
    {
        if (!await TipService.ReopenAsync(context.Db, tipId, ct))
        {
            return context.T("mod.undo.late", tipId);
        }

        await context.AuditAsync("reopen", Target(tipId), ct: ct);
        return context.T("mod.undone.reject", tipId);
    }

    private static string? Refusal(BotContext context, BanStatus status, int tipId) => status switch
    {
        BanStatus.NoSuchTip => context.T("mod.none", tipId),
        BanStatus.Unrecognisable => context.T("mod.ban.unrecognisable", tipId),
        _ => null,
    };

    /// <summary>Tells an opted-in tipster, once, that there is news, without saying what: the answer is read with /check.</summary>
    private async Task NudgeAsync(BotDbContext db, long? chat, CancellationToken ct)
    {
        if (chat is { } to)
        {
            // The tipster's language is not kept with the route (it would say more about them): the nudge speaks all three.
            var minutes = options.Value.ReceiptMinutes;
            await outbox.EnqueueMessageAsync(db, to, strings.InEvery("tip.news", minutes), deleteAfter: TimeSpan.FromMinutes(minutes), ct: ct);
        }
    }

    private static string Target(int tipId) => "tip:" + tipId.ToString(CultureInfo.InvariantCulture);
}
