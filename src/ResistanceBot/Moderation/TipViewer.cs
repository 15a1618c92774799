using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Delivery;
using ResistanceBot.Localization;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;
using ResistanceBot.Tips;
using ResistanceBot.Vault;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Moderation;

internal enum ViewResult
{
    Opened,
    NoSuchTip,

    /// <summary>The vault is locked: nobody can open a tip until a moderator unlocks it.</summary>
    Locked,

    /// <summary>The moderator has no private chat with the bot yet.</summary>
    NoPrivateChat,
}

/// <summary>
/// Shows a tip's contents to a moderator, in their private chat only, on request: opened by Tips with the vault's key, sent as
/// new messages with protect_content (no forwarding, no saving), remembered so that they are deleted at the decision and after
/// <c>Moderation:CopyHours</c> in any case. A copy Telegram will no longer delete is pointed out to its moderator.
/// </summary>
internal sealed class TipViewer(TipService tips, BotSender sender, ButtonSigner buttons, Staff.StaffDirectory directory, Localizer strings, IOptions<ModerationOptions> options, TimeProvider time)
{
    /// <summary>"text, 2 photos, 1 file", in the staff member's language.</summary>
    public string Kinds(string language, TipSummary tip)
    {
        var parts = new List<string>();
        if (tip.Texts > 0)
        {
            parts.Add(strings.Get(language, "mod.kind.text"));
        }

        if (tip.Photos > 0)
        {
            parts.Add(strings.Format(language, "mod.kind.photos", tip.Photos));
        }

        if (tip.Documents > 0)
        {
            parts.Add(strings.Format(language, "mod.kind.files", tip.Documents));
        }

        return parts.Count == 0 ? strings.Get(language, "mod.kind.empty") : string.Join(", ", parts);
    }

    /// <summary>"today", "3 days ago": tips are dated to the day, never finer.</summary>
    public string Age(string language, TipSummary tip)
    {
        var days = (int)(time.GetUtcNow().UtcDateTime.Date - tip.SubmittedOn).TotalDays;
        return days < 1 ? strings.Get(language, "mod.age.today") : strings.Format(language, "mod.age.days", days);
    }

    public async Task<ViewResult> OpenAsync(BotDbContext db, int tipId, long moderatorId, string language, CancellationToken ct)
    {
        var staff = language;
        OpenedTip? tip;
        try
        {
            tip = await tips.OpenAsync(db, tipId, ct);
        }
        catch (VaultLockedException)
        {
            return ViewResult.Locked;
        }

        if (tip is null)
        {
            return ViewResult.NoSuchTip;
        }

        var summary = tip.Summary;
        var markup = summary.State == TipState.Waiting
            ? new InlineKeyboardMarkup(
            [
                [buttons.Button(strings.Get(staff, "mod.button.approve"), "approve", summary.Id), buttons.Button(strings.Get(staff, "mod.button.reject"), "reject", summary.Id)],
                [buttons.Button(strings.Get(staff, "mod.button.reply"), "reply", summary.Id), buttons.Button(strings.Get(staff, "mod.button.ban"), "ban", summary.Id)],
            ])
            : null;
        var header = await sender.SendTextAsync(
            moderatorId, strings.Format(staff, "mod.open", summary.Id, strings.Get(staff, "mod.state." + summary.State.ToString().ToLowerInvariant()), Age(staff, summary), Kinds(staff, summary)), markup, protect: true, ct: ct);
        if (!header.Ok)
        {
            return ViewResult.NoPrivateChat;
        }

        // Each copy is recorded as soon as it is sent: cut short (a crash, a time limit), /open leaves no copy nobody deletes.
        var deleteAfter = CeilingHour(time.GetUtcNow().UtcDateTime.AddHours(options.Value.CopyHours));
        async Task RecordAsync(SendOutcome sent)
        {
            if (sent.Ok)
            {
                db.TipViews.Add(new TipView { TipId = summary.Id, ChatId = moderatorId, MessageId = sent.MessageId, DeleteAfter = deleteAfter });
                await db.SaveChangesAsync(CancellationToken.None);
            }
        }

        await RecordAsync(header);

        // The text in as many messages as it needs: escaped per piece, so no piece can break the HTML or the 4096 limit.
        var messages = Pieces(tip.Text.Length > 0 ? tip.Text : strings.Get(staff, "mod.open.notext")).Select(Html.Escape).ToList();
        if (tip.Redacted is { } redacted)
        {
            messages.AddRange(Pieces(redacted).Select(piece => strings.Format(staff, "mod.open.redacted", piece)));
        }

        foreach (var message in messages)
        {
            await RecordAsync(await sender.SendTextAsync(moderatorId, message, protect: true, ct: ct));
        }

        foreach (var file in tip.Files)
        {
            var caption = file.Cleaned ? null : strings.Get(staff, "mod.file.uncleaned");
            await RecordAsync(await sender.SendFileAsync(moderatorId, file.Content, file.Name, file.AsPhoto, caption, protect: true, ct: ct));
        }

        return ViewResult.Opened;
    }

    /// <summary>Deletes these copies; one Telegram will no longer delete is pointed out to its moderator, to delete by hand.</summary>
    public async Task DeleteCopiesAsync(BotDbContext db, IReadOnlyCollection<TipView> views, CancellationToken ct)
    {
        foreach (var chat in views.GroupBy(v => v.ChatId))
        {
            var left = await sender.DeleteEachAsync(chat.Key, chat.Select(v => v.MessageId), ct);
            var language = left.Count == 0 ? Localizer.Default : await directory.LanguageOfAsync(db, chat.Key, ct);
            foreach (var view in chat.Where(v => left.Contains(v.MessageId)))
            {
                await sender.SendTextAsync(chat.Key, strings.Format(language, "mod.copy.undeleted", view.TipId), ct: ct, protect: true, replyTo: view.MessageId);
            }
        }

        db.TipViews.RemoveRange(views);
        await db.SaveChangesAsync(ct);
    }

    public async Task DeleteCopiesAsync(BotDbContext db, int tipId, CancellationToken ct) =>
        await DeleteCopiesAsync(db, await db.TipViews.Where(v => v.TipId == tipId).ToListAsync(ct), ct);

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

    private static DateTime CeilingHour(DateTime t) => new DateTime(t.Year, t.Month, t.Day, t.Hour, 0, 0, DateTimeKind.Utc).AddHours(t.Minute + t.Second + t.Millisecond > 0 ? 1 : 0);
}

/// <summary>Copies of tips past <c>Moderation:CopyHours</c> are deleted from moderators' chats, decided or not.</summary>
internal sealed class CopyJanitor(IServiceScopeFactory scopes, Leadership leadership, TipViewer viewer, TimeProvider time, ILogger<CopyJanitor> logger)
    : Hosting.PeriodicJob(scopes, leadership, time, logger)
{
    protected override TimeSpan Period => TimeSpan.FromMinutes(10);

    protected override async Task RunAsync(BotDbContext db, CancellationToken ct)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        var due = await db.TipViews.Where(v => v.DeleteAfter <= now).ToListAsync(ct);
        if (due.Count > 0)
        {
            await viewer.DeleteCopiesAsync(db, due, ct);
        }
    }
}
