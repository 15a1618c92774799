using System.Text;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Localization;
using ResistanceBot.Staff;
using ResistanceBot.Telegram;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Subscriptions;

internal static class SubscriptionsFeature
{
    public static IServiceCollection AddSubscriptions(this IServiceCollection services)
    {
        services.AddCommand<StartCommand>("start");
        services.AddCommand<SubscribeCommand>("subscribe");
        services.AddCommand<UnsubscribeCommand>("unsubscribe");
        services.AddCommand<SettingsCommand>("settings");
        services.AddCommand<HelpCommand>("help");
        services.AddCommand<ForgetCommand>("forget");
        services.AddCallback<LanguageButtons>(LanguageButtons.Prefix);
        services.AddCallback<SettingsButtons>(SettingsButtons.Prefix);
        services.AddSingleton<Privacy.IRetentionStep, ReaderRetention>();
        services.AddHostedService<SubscriberCountJob>();
        services.AddChatMemberHandler<BlockedBotHandler>();
        return services;
    }
}

/// <summary>/start: welcome in the reader's language, what the bot does and keeps, and buttons to switch language.</summary>
internal sealed class StartCommand : ICommandHandler
{
    public Task HandleAsync(BotContext context, CancellationToken ct) =>
        context.ReplyAsync(context.T("start.welcome"), LanguageButtons.Keyboard(context.Language), ct);
}

/// <summary>The language buttons under /start: the choice is saved and the welcome is shown again in that language.</summary>
internal sealed class LanguageButtons : ICallbackHandler
{
    public const string Prefix = "lang";

    public static InlineKeyboardMarkup Keyboard(string current) => new(
        Localizer.Languages.Select(l => InlineKeyboardButton.WithCallbackData((l.Code == current ? "✓ " : "") + l.Name, $"{Prefix}:{l.Code}")));

    public async Task HandleAsync(BotContext context, CallbackQuery query, string data, CancellationToken ct)
    {
        if (!Localizer.IsSupported(data))
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        context.GetOrCreateReader().Language = data;
        await context.Db.SaveChangesAsync(ct);
        await context.Sender.AnswerCallbackAsync(query.Id, context.T("settings.saved"), ct);
        if (query.Message is { } message)
        {
            await context.EditAsync(message.Id, context.T("start.welcome"), Keyboard(data), ct);
        }
    }
}

internal sealed class SubscribeCommand(Microsoft.Extensions.Options.IOptions<ResistanceBot.Digests.DigestOptions> digest) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var already = context.Reader?.IsSubscribed == true;
        Subscription.Start(context);
        await context.Db.SaveChangesAsync(ct);
        await context.ReplyAsync(context.T(already ? "subscribe.already" : "subscribe.done", SettingsView.DigestTime(context, digest.Value)), ct: ct);
    }
}

internal sealed class UnsubscribeCommand : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (context.Reader is { } reader && Subscription.End(reader))
        {
            await context.Db.SaveChangesAsync(ct);
            await context.ReplyAsync(context.T("unsubscribe.done"), ct: ct);
            return;
        }

        await context.ReplyAsync(context.T("unsubscribe.not"), ct: ct);
    }
}

/// <summary>/help: the commands this caller may use, and nothing of other roles.</summary>
internal sealed class HelpCommand(CommandMenus menus) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var text = new StringBuilder(context.T("help.title")).Append('\n');
        foreach (var group in menus.For(context.Role).GroupBy(c => c.Role))
        {
            if (context.Role != StaffRole.None)
            {
                text.Append("\n<b>").Append(context.T("help.group." + group.Key.ToString().ToLowerInvariant())).Append("</b>");
            }

            foreach (var command in group)
            {
                text.Append("\n/").Append(command.Name).Append(" — ").Append(context.T("cmd." + command.Name));
            }

            text.Append('\n');
        }

        await context.ReplyAsync(text.ToString().TrimEnd(), ct: ct);
    }
}

/// <summary>Something a slice holds about a reader that /forget must erase (tip drafts, reply routes…).</summary>
internal interface IReaderEraser
{
    Task EraseAsync(BotContext context, CancellationToken ct);
}

/// <summary>/forget: erases the reader's row (subscription, language, settings), conversation state and what other slices hold.</summary>
internal sealed class ForgetCommand(IEnumerable<IReaderEraser> erasers) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var language = context.Language;
        // The other slices first: they may still need the reader's row (deliveries waiting for it).
        foreach (var eraser in erasers)
        {
            await eraser.EraseAsync(context, ct);
        }

        var key = context.ReaderKey;
        await context.Db.Readers.Where(r => r.Pseudonym == key).ExecuteDeleteAsync(ct);
        context.ForgetReader();
        await ConversationStore.ClearAsync(context, ct);
        await context.ReplyAsync(context.Strings.Get(language, "forget.done"), ct: ct);
    }
}

/// <summary>
/// Readers erase their own rows (/forget, /unsubscribe): nothing waits for the purge here. But PostgreSQL keeps the old row
/// versions with their pseudonym and sealed chat id, so the purge rewrites the table in any hour it changed.
/// </summary>
internal sealed class ReaderRetention : Privacy.IRetentionStep
{
    public IEnumerable<Storage.ResidueTable> Tables => [new("readers", Storage.ResidueMode.Rewrite)];

    public Task<IReadOnlyList<Privacy.Erased>> RunAsync(Storage.BotDbContext db, CancellationToken ct) => Task.FromResult<IReadOnlyList<Privacy.Erased>>([]);
}
