using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Articles;
using ResistanceBot.Delivery;
using ResistanceBot.Localization;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;
using ResistanceBot.Tips;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Moderation;

/// <summary>Viewing, decisions and their consequences. Contents reach staff only in private chats, on request.</summary>
internal sealed class ModerationService(
    Outbox outbox,
    OutboxSignal signal,
    BotSender sender,
    DataSealer sealer,
    TipService tips,
    ButtonSigner buttons,
    Localizer strings,
    TimeProvider time)
{
    private const string Staff = Localizer.Default;

    public static string Kinds(Tip tip)
    {
        var parts = new List<string>();
        if (tip.SealedText.Length > Aead.Overhead)
        {
            parts.Add("text");
        }

        var photos = tip.Files.Count(f => f.IsPhoto);
        var documents = tip.Files.Count - photos;
        if (photos > 0)
        {
            parts.Add(photos + (photos == 1 ? " photo" : " photos"));
        }

        if (documents > 0)
        {
            parts.Add(documents + (documents == 1 ? " file" : " files"));
        }

        return parts.Count == 0 ? "empty" : string.Join(", ", parts);
    }

    /// <summary>"today", "1 d", "12 d": tips are dated to the day, never finer.</summary>
    public string Age(Tip tip)
    {
        var days = (int)(time.GetUtcNow().UtcDateTime.Date - tip.SubmittedOn).TotalDays;
        return days < 1 ? "today" : $"{days} d";
    }

    /// <summary>The tip's contents and files, as new messages in a moderator's private chat, remembered for deletion.</summary>
    /// <returns>false when the moderator has no private chat with the bot yet.</returns>
    public async Task<bool> OpenAsync(BotDbContext db, Tip tip, long moderatorId, CancellationToken ct)
    {
        var text = Encoding.UTF8.GetString(sealer.Open(tip.SealedText, TipService.TextPurpose));
        var markup = tip.State == TipState.Waiting
            ? new InlineKeyboardMarkup(
            [
                [buttons.Button("✅ Approve", "approve", tip.Id), buttons.Button("❌ Reject", "reject", tip.Id)],
                [buttons.Button("💬 Reply", "reply", tip.Id), buttons.Button("🚫 Ban", "ban", tip.Id)],
            ])
            : null;
        var header = await sender.SendTextAsync(moderatorId, strings.Format(Staff, "mod.open", tip.Id, tip.State.ToString().ToLowerInvariant(), Age(tip), Kinds(tip)), markup, ct: ct);
        if (!header.Ok)
        {
            return false;
        }

        // The text in as many messages as it needs: escaped per piece, so no piece can break the HTML or the 4096 limit.
        var messages = Pieces(text.Length > 0 ? text : strings.Get(Staff, "mod.open.notext")).Select(Html.Escape).ToList();
        if (tip.SealedRedacted is { } redacted)
        {
            messages.AddRange(Pieces(Encoding.UTF8.GetString(sealer.Open(redacted, TipService.TextPurpose)))
                .Select(piece => strings.Format(Staff, "mod.open.redacted", piece)));
        }

        var views = new List<int> { header.MessageId };
        foreach (var message in messages)
        {
            if (await sender.SendTextAsync(moderatorId, message, ct: ct) is { Ok: true } sentText)
            {
                views.Add(sentText.MessageId);
            }
        }

        foreach (var file in tip.Files.OrderBy(f => f.Position))
        {
            var content = sealer.Open(file.SealedContent, TipService.FilePurpose);
            var name = file.SealedName is null ? (file.IsPhoto ? "photo.jpg" : "file") : Encoding.UTF8.GetString(sealer.Open(file.SealedName, TipService.NamePurpose));
            var caption = file.Cleaned ? null : strings.Get(Staff, "mod.file.uncleaned");
            var sent = await sender.SendFileAsync(moderatorId, content, name, file.IsPhoto && file.Kind == MediaKind.Jpeg, caption, ct);
            if (sent.Ok)
            {
                views.Add(sent.MessageId);
            }
        }

        db.TipViews.AddRange(views.Select(id => new TipView { TipId = tip.Id, ChatId = moderatorId, MessageId = id }));
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Plain text in pieces of at most 3,500 characters, never splitting a surrogate pair.</summary>
    internal static IEnumerable<string> Pieces(string text)
    {
        const int Size = 3_500;
        for (var start = 0; start < text.Length;)
        {
            var length = Math.Min(Size, text.Length - start);
            if (start + length < text.Length && char.IsHighSurrogate(text[start + length - 1]))
            {
                length--;
            }

            yield return text.Substring(start, length);
            start += length;
        }
    }

    /// <returns>null when decided now; otherwise the reason (no such tip, already decided).</returns>
    public async Task<string?> DecideAsync(BotContext context, int tipId, TipState decision, string? note, CancellationToken ct)
    {
        var db = context.Db;
        var today = time.GetUtcNow().UtcDateTime.Date;
        // One statement decides, so two moderators pressing at once cannot both win.
        var won = await db.Tips.Where(t => t.Id == tipId && t.State == TipState.Waiting)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.State, decision).SetProperty(t => t.DecidedOn, today), ct);
        if (won == 0)
        {
            return await db.Tips.AnyAsync(t => t.Id == tipId, ct) ? context.T("mod.already", tipId) : context.T("mod.none", tipId);
        }

        if (!string.IsNullOrWhiteSpace(note))
        {
            db.TipReplies.Add(new TipReply { TipId = tipId, On = today, SealedText = sealer.Seal(Encoding.UTF8.GetBytes(note), TipService.ReplyPurpose) });
        }

        await db.SaveChangesAsync(ct);
        await context.AuditAsync(decision == TipState.Approved ? "approve" : "reject", "tip:" + tipId.ToString(CultureInfo.InvariantCulture), ct: ct);
        var tip = await db.Tips.AsNoTracking().FirstAsync(t => t.Id == tipId, ct);
        await NudgeTipsterAsync(db, tipId, ct);
        await OfferReaderReportAsync(db, tip, ct);
        var now = time.GetUtcNow().UtcDateTime;
        await CleanUpAsync(db, tipId, strings.Format(Staff, "mod.decided", tipId, decision.ToString().ToLowerInvariant(), context.UserId, now.ToString("dd.MM HH:mm", CultureInfo.InvariantCulture)), ct);
        return null;
    }

    public async Task<string?> ReplyAsync(BotContext context, int tipId, string text, CancellationToken ct)
    {
        if (!await context.Db.Tips.AnyAsync(t => t.Id == tipId, ct))
        {
            return context.T("mod.none", tipId);
        }

        context.Db.TipReplies.Add(new TipReply { TipId = tipId, On = time.GetUtcNow().UtcDateTime.Date, SealedText = sealer.Seal(Encoding.UTF8.GetBytes(text), TipService.ReplyPurpose) });
        await context.Db.SaveChangesAsync(ct);
        await context.AuditAsync("reply", "tip:" + tipId.ToString(CultureInfo.InvariantCulture), ct: ct);
        await NudgeTipsterAsync(context.Db, tipId, ct);
        return null;
    }

    public async Task<string?> RedactAsync(BotContext context, int tipId, string text, CancellationToken ct)
    {
        var tip = await context.Db.Tips.FirstOrDefaultAsync(t => t.Id == tipId, ct);
        if (tip is null)
        {
            return context.T("mod.none", tipId);
        }

        tip.SealedRedacted = sealer.Seal(Encoding.UTF8.GetBytes(text), TipService.TextPurpose);
        await context.Db.SaveChangesAsync(ct);
        await context.AuditAsync("redact", "tip:" + tipId.ToString(CultureInfo.InvariantCulture), ct: ct);
        await OfferReaderReportAsync(context.Db, tip, ct);
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
                await context.AuditAsync("ban", "tip:" + tipId.ToString(CultureInfo.InvariantCulture), ct: ct);
                return context.T("mod.done.ban", tipId, outcome.Until.AddDays(-1).ToString("dd.MM.yyyy", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>An approved tip with a text that may be published becomes a reader report candidate, with nothing of its sender.</summary>
    private async Task OfferReaderReportAsync(BotDbContext db, Tip tip, CancellationToken ct)
    {
        if (tip.State != TipState.Approved || tip.SealedRedacted is null)
        {
            return;
        }

        var text = Encoding.UTF8.GetString(sealer.Open(tip.SealedRedacted, TipService.TextPurpose));
        var key = CanonicalUrl.Hash("reader-report:" + tip.Id.ToString(CultureInfo.InvariantCulture));
        var existing = await db.Articles.FirstOrDefaultAsync(a => a.UrlKey == key, ct);
        if (existing is null)
        {
            db.Articles.Add(new Article
            {
                Kind = CandidateKind.ReaderReport,
                State = CandidateState.New,
                UrlKey = key,
                Title = "Reader report",
                Summary = PlainText.Cut(text, 3000),
                FoundAt = time.GetUtcNow().UtcDateTime.Date,
            });
        }
        else if (existing.State != CandidateState.Published)
        {
            existing.Summary = PlainText.Cut(text, 3000);
        }

        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Tells an opted-in tipster, once, that there is news, without saying what: the answer is read with /check. The route leaves
    /// the tip as the nudge is queued, and the nudge leaves the outbox as it is sent.
    /// </summary>
    private async Task NudgeTipsterAsync(BotDbContext db, int tipId, CancellationToken ct)
    {
        if (await tips.TakeReplyRouteAsync(db, tipId, ct) is not { } chat)
        {
            return;
        }

        await outbox.EnqueueMessageAsync(db, chat, strings.Get(Localizer.Default, "tip.news") + "\n\n" + strings.Get("ru", "tip.news") + "\n\n" + strings.Get("uk", "tip.news"), ct: ct);
        await db.SaveChangesAsync(ct);
        signal.Wake();
    }

    /// <summary>After a decision: the bot's copies of the contents are deleted from moderators' chats; notices show the outcome.</summary>
    private async Task CleanUpAsync(BotDbContext db, int tipId, string outcome, CancellationToken ct)
    {
        var views = await db.TipViews.Where(v => v.TipId == tipId).ToListAsync(ct);
        foreach (var chat in views.GroupBy(v => v.ChatId))
        {
            await sender.DeleteAsync(chat.Key, chat.Select(v => v.MessageId).ToList(), ct);
        }

        db.TipViews.RemoveRange(views);
        var notices = await db.TipNotices.Where(n => n.TipId == tipId).ToListAsync(ct);
        foreach (var notice in notices.Where(n => n.MessageId is not null))
        {
            await sender.EditTextAsync(notice.ChatId, notice.MessageId!.Value, outcome, ct: ct);
        }

        db.TipNotices.RemoveRange(notices);
        await db.SaveChangesAsync(ct);
    }
}
