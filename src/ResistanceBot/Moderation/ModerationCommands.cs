using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Privacy;
using ResistanceBot.Staff;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;
using ResistanceBot.Tips;
using Telegram.Bot.Types;

namespace ResistanceBot.Moderation;

internal static class ModerationFeature
{
    public const string ReplyState = "modreply";

    public static IServiceCollection AddModeration(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ModerationOptions>().Bind(configuration.GetSection(ModerationOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ButtonSigner>();
        services.AddSingleton<TipViewer>();
        services.AddSingleton<Decisions>();
        services.AddHostedService<NoticeBatcher>();
        services.AddHostedService<CopyJanitor>();
        services.AddSingleton<IRetentionStep, ModerationRetention>();
        services.AddCommand<QueueCommand>("queue", StaffRole.Moderator);
        services.AddCommand<OpenCommand>("open", StaffRole.Moderator);
        services.AddCommand<DecisionCommand>("approve", StaffRole.Moderator);
        services.AddCommand<DecisionCommand>("reject", StaffRole.Moderator);
        services.AddCommand<DecisionCommand>("reply", StaffRole.Moderator);
        services.AddCommand<DecisionCommand>("redact", StaffRole.Moderator);
        services.AddCommand<DecisionCommand>("ban", StaffRole.Moderator);
        services.AddCommand<UnbanCommand>("unban", StaffRole.Moderator);
        services.AddConfirmable<BanSender>();
        services.AddConfirmable<RejectTip>();
        services.AddCommand<AuditCommand>("audit", StaffRole.Admin);
        services.AddCallback<ModerationButtonHandler>(ButtonSigner.Prefix);
        services.AddConversation<ModeratorReplyConversation>(ReplyState);
        return services;
    }

    internal static bool TryTip(string text, out int tipId) =>
        int.TryParse(text.TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out tipId) && tipId > 0;
}

/// <summary>/queue: waiting tips, oldest first, as #N with their kinds and age; never their contents.</summary>
internal sealed class QueueCommand(TipViewer viewer) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var waiting = await TipService.WaitingAsync(context.Db, 50, ct);
        if (waiting.Count == 0)
        {
            await context.ReplyAsync(context.T("mod.queue.empty"), ct: ct);
            return;
        }

        var text = new StringBuilder(context.T("mod.queue.title"));
        foreach (var tip in waiting)
        {
            text.Append('\n').Append(context.T("mod.queue.item", tip.Id, viewer.Kinds(context.Language, tip), viewer.Age(context.Language, tip)));
        }

        await context.ReplyAsync(text.ToString(), ct: ct);
    }
}

/// <summary>/open N: the tip's contents and files in the moderator's private chat, while the vault is open.</summary>
internal sealed class OpenCommand(TipViewer viewer) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (!ModerationFeature.TryTip(context.Arguments, out var tipId))
        {
            await context.ReplyAsync(context.T("mod.usage.open"), ct: ct);
            return;
        }

        await context.AuditAsync("open", "tip:" + tipId.ToString(CultureInfo.InvariantCulture), ct: ct);
        switch (await viewer.OpenAsync(context.Db, tipId, context.UserId, context.Language, ct))
        {
            case ViewResult.NoSuchTip:
                await context.ReplyAsync(context.T("mod.none", tipId), ct: ct);
                break;
            case ViewResult.Locked:
                await context.ReplyAsync(context.T("vault.locked"), ct: ct);
                break;
        }
    }
}

/// <summary>/approve N [note], /reject N [reason], /reply N TEXT, /redact N TEXT, /ban N. Rejecting and banning ask first.</summary>
internal sealed class DecisionCommand(Decisions moderation, Confirmations confirmations) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var split = context.Arguments.Split(' ', 2, StringSplitOptions.TrimEntries);
        var rest = split.Length > 1 ? split[1] : "";
        if (!ModerationFeature.TryTip(split[0], out var tipId) || (context.Command is "reply" or "redact" && rest.Length == 0))
        {
            await context.ReplyAsync(context.T("mod.usage." + context.Command), ct: ct);
            return;
        }

        if (context.Command is RejectTip.Name or BanSender.Name)
        {
            await confirmations.AskAsync(context, context.Command, tipId.ToString(CultureInfo.InvariantCulture), rest, ct);
            return;
        }

        var refusal = context.Command switch
        {
            "approve" => await moderation.DecideAsync(context, tipId, TipState.Approved, rest, ct),
            "reply" => await moderation.ReplyAsync(context, tipId, rest, ct),
            _ => await moderation.RedactAsync(context, tipId, rest, ct),
        };
        await context.ReplyAsync(refusal ?? context.T("mod.done." + context.Command, tipId), ct: ct);
    }
}

/// <summary>
/// The buttons on notices and opened tips. The presser's role is checked first (a reader's press, whatever its data, changes
/// nothing and is audited), then the signature (made-up data is audited as forged).
/// </summary>
internal sealed class ModerationButtonHandler(ButtonSigner signer, Decisions moderation, TipViewer viewer, Confirmations confirmations) : ICallbackHandler
{
    public async Task HandleAsync(BotContext context, CallbackQuery query, string data, CancellationToken ct)
    {
        if (!context.Has(StaffRole.Moderator))
        {
            await context.AuditAsync("denied", "button:moderation", ct: ct);
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        if (signer.Verify(data) is not { } button)
        {
            await context.AuditAsync("forged", "button:moderation", ct: ct);
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        var (action, tipId) = button;
        string? answer;
        switch (action)
        {
            case "open":
                await context.AuditAsync("open", "tip:" + tipId.ToString(CultureInfo.InvariantCulture), ct: ct);
                answer = await viewer.OpenAsync(context.Db, tipId, context.UserId, context.Language, ct) switch
                {
                    ViewResult.Opened => context.T("mod.opened"),
                    ViewResult.NoSuchTip => context.T("mod.none", tipId),
                    ViewResult.Locked => context.T("vault.locked.short"),
                    _ => context.T("mod.start.private"),
                };
                break;
            case "approve":
                answer = await moderation.DecideAsync(context, tipId, TipState.Approved, null, ct) ?? context.T("mod.done.approve", tipId);
                break;
            case RejectTip.Name or BanSender.Name:
                // The question goes to the moderator's private chat, where the opened copy is; the press itself decides nothing.
                await confirmations.AskAsync(context, action, tipId.ToString(CultureInfo.InvariantCulture), null, ct);
                answer = null;
                break;
            case "reply":
                await ConversationStore.SetAsync(context, ModerationFeature.ReplyState + ":" + tipId.ToString(CultureInfo.InvariantCulture), TimeSpan.FromMinutes(10), ct);
                await context.Sender.SendTextAsync(context.UserId, context.T("mod.reply.prompt", tipId), ct: ct);
                answer = null;
                break;
            default:
                answer = context.T("button.stale");
                break;
        }

        await context.AnswerAsync(query, answer, ct);
    }
}

/// <summary>/unban N: the sender of tip N may write again (while the tip's tag still says who they are).</summary>
internal sealed class UnbanCommand : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (!ModerationFeature.TryTip(context.Arguments, out var tipId))
        {
            await context.ReplyAsync(context.T("mod.usage.unban"), ct: ct);
            return;
        }

        await context.ReplyAsync(await Decisions.UnbanAsync(context, tipId, undo: false, ct), ct: ct);
    }
}

/// <summary>/ban N and the Ban button, once confirmed; undone from the report (the ban on the tip's tag is lifted).</summary>
internal sealed class BanSender(Decisions moderation) : IConfirmable
{
    public const string Name = "ban";

    public string Action => Name;

    public StaffRole Role => StaffRole.Moderator;

    public async Task<Question> AskAsync(BotContext context, string argument, CancellationToken ct)
    {
        var tipId = int.Parse(argument, CultureInfo.InvariantCulture);
        var (refusal, until) = await moderation.PlanBanAsync(context, tipId, ct);
        return refusal is not null
            ? new Question(refusal, null)
            : new Question(context.T("confirm.ban", tipId, TipsFeature.Day(until)), context.T("confirm.button.ban"));
    }

    public async Task<Done> DoAsync(BotContext context, string argument, string? note, CancellationToken ct)
    {
        var (text, banned) = await moderation.BanAsync(context, int.Parse(argument, CultureInfo.InvariantCulture), ct);
        return new Done(text, Undoable: banned);
    }

    public Task<string> UndoAsync(BotContext context, string argument, CancellationToken ct) =>
        Decisions.UnbanAsync(context, int.Parse(argument, CultureInfo.InvariantCulture), undo: true, ct);
}

/// <summary>/reject N [reason] and the Reject button, once confirmed; undone from the report (the tip waits again).</summary>
internal sealed class RejectTip(Decisions moderation) : IConfirmable
{
    public const string Name = "reject";

    public string Action => Name;

    public StaffRole Role => StaffRole.Moderator;

    public async Task<Question> AskAsync(BotContext context, string argument, CancellationToken ct)
    {
        var tipId = int.Parse(argument, CultureInfo.InvariantCulture);
        var state = await context.Db.Tips.AsNoTracking().Where(t => t.Id == tipId).Select(t => (TipState?)t.State).FirstOrDefaultAsync(ct);
        return state switch
        {
            null => new Question(context.T("mod.none", tipId), null),
            TipState.Waiting => new Question(context.T("confirm.reject", tipId), context.T("confirm.button.reject")),
            _ => new Question(context.T("mod.already", tipId), null),
        };
    }

    public async Task<Done> DoAsync(BotContext context, string argument, string? note, CancellationToken ct)
    {
        var tipId = int.Parse(argument, CultureInfo.InvariantCulture);
        var refusal = await moderation.DecideAsync(context, tipId, TipState.Rejected, note, ct);
        return refusal is null ? new Done(context.T("mod.done.reject", tipId), Undoable: true) : new Done(refusal);
    }

    public Task<string> UndoAsync(BotContext context, string argument, CancellationToken ct) =>
        Decisions.ReopenAsync(context, int.Parse(argument, CultureInfo.InvariantCulture), ct);
}

/// <summary>After the Reply button: the moderator's next message is the anonymous reply.</summary>
internal sealed class ModeratorReplyConversation(Decisions moderation) : IConversationHandler
{
    public async Task HandleAsync(BotContext context, Message message, CancellationToken ct)
    {
        await ConversationStore.ClearAsync(context, ct);
        if (!context.Has(StaffRole.Moderator) || !ModerationFeature.TryTip(context.ConversationState.Split(':').Last(), out var tipId) || message.Text is not { Length: > 0 } text)
        {
            await context.ReplyAsync(context.T("unknown.message"), ct: ct);
            return;
        }

        await context.ReplyAsync(await moderation.ReplyAsync(context, tipId, text, ct) ?? context.T("mod.done.reply", tipId), ct: ct);
    }
}

/// <summary>/audit N: who did what to tip #N, and when.</summary>
internal sealed class AuditCommand : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (!ModerationFeature.TryTip(context.Arguments, out var tipId))
        {
            await context.ReplyAsync(context.T("mod.usage.audit"), ct: ct);
            return;
        }

        var target = "tip:" + tipId.ToString(CultureInfo.InvariantCulture);
        var entries = await context.Db.AuditEntries.AsNoTracking().Where(a => a.Target == target).OrderBy(a => a.Id).ToListAsync(ct);
        await context.ReplyLinesAsync(context.T("mod.audit.title", tipId), entries.Select(e => Html.Escape($"{e.On:dd.MM.yyyy} {e.Actor} {e.Action}")), ct);
    }
}

/// <summary>
/// Moderation's part of the purge: copies and notices of tips that are decided or gone (normally removed at the decision), and
/// audit entries about tips or by readers older than <c>Tips:RetentionDays</c>.
/// </summary>
internal sealed class ModerationRetention(IOptions<TipsOptions> options, TimeProvider time) : IRetentionStep
{
    public IEnumerable<ResidueTable> Tables => [new("tip_views", ResidueMode.Rewrite), new("tip_notices", ResidueMode.Rewrite), new("audit_log", ResidueMode.Rewrite)];

    public async Task<IReadOnlyList<Erased>> RunAsync(BotDbContext db, CancellationToken ct)
    {
        var cutoff = time.GetUtcNow().UtcDateTime.Date.AddDays(-options.Value.RetentionDays);
        var waiting = TipService.WaitingIds(db);
        var views = await db.TipViews.Where(v => !waiting.Contains(v.TipId)).ExecuteDeleteAsync(ct);
        var notices = await db.TipNotices.Where(n => !waiting.Contains(n.TipId)).ExecuteDeleteAsync(ct);
        var audit = await db.AuditEntries.Where(a => a.On < cutoff && (a.Actor == "reader" || a.Target!.StartsWith("tip:"))).ExecuteDeleteAsync(ct);
        return [new("copies of decided tips", views, "tip_views"), new("notices of decided tips", notices, "tip_notices"), new("audit entries about tips or readers", audit, "audit_log")];
    }
}
