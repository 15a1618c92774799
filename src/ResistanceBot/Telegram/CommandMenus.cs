using ResistanceBot.Localization;
using ResistanceBot.Staff;
using ResistanceBot.Storage;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace ResistanceBot.Telegram;

/// <summary>
/// The bot's command menu: reader commands for all private chats in each language, and for each staff member a menu
/// of their own chat that adds their role's commands. /help lists the same.
/// </summary>
internal sealed class CommandMenus(ITelegramBotClient bot, UpdateDispatcher dispatcher, Localizer strings)
{
    /// <summary>
    /// The order of every command in menus and /help: a reader's first (reading, then writing to the editors, then privacy), then
    /// each staff role's, in the order of the work. A command missing here is a test failure, not a random place.
    /// </summary>
    internal static readonly string[] Order =
    [
        "start", "digest", "subscribe", "settings", "tip", "send", "cancel", "check", "privacy", "forget", "unsubscribe", "help",
        "queue", "open", "approve", "reject", "reply", "redact", "ban", "unban", "unlock", "lock", "passphrase", "nickname",
        "candidates", "pick", "unpick", "move", "drop", "tag", "fulltext", "preview", "publish", "add", "feeds", "addfeed", "removefeed",
        "feedinterval", "importfeeds", "exportfeeds", "topics",
        "stats", "staff", "addstaff", "removestaff", "vault", "audit",
    ];

    /// <summary>The commands a role may use, grouped by the role that needs them (readers' first), each group in <see cref="Order"/>.</summary>
    public IEnumerable<CommandDefinition> For(StaffRole role) =>
        dispatcher.Commands.Where(c => c.InMenu && role.Allows(c.Role))
            .OrderBy(c => c.Role)
            .ThenBy(c => Array.IndexOf(Order, c.Name) is var i and >= 0 ? i : int.MaxValue)
            .ThenBy(c => c.Name, StringComparer.Ordinal);

    private BotCommand[] Menu(StaffRole role, string language) =>
        For(role).Select(c => new BotCommand(c.Name, strings.Get(language, "cmd." + c.Name))).ToArray();

    public async Task PublishReaderMenusAsync(CancellationToken ct)
    {
        await bot.SetMyCommands(Menu(StaffRole.None, Localizer.Default), BotCommandScope.AllPrivateChats(), cancellationToken: ct);
        foreach (var (language, _) in Localizer.Languages)
        {
            await bot.SetMyCommands(Menu(StaffRole.None, language), BotCommandScope.AllPrivateChats(), language, ct);
        }
    }

    /// <summary>Sets (or, for <see cref="StaffRole.None"/>, removes) a staff member's own menu.</summary>
    public async Task PublishForAsync(long userId, StaffRole role, CancellationToken ct)
    {
        try
        {
            var scope = BotCommandScope.Chat(userId);
            if (role == StaffRole.None)
            {
                await bot.DeleteMyCommands(scope, cancellationToken: ct);
                foreach (var (language, _) in Localizer.Languages)
                {
                    await bot.DeleteMyCommands(scope, language, ct);
                }

                return;
            }

            await bot.SetMyCommands(Menu(role, Localizer.Default), scope, cancellationToken: ct);
            foreach (var (language, _) in Localizer.Languages)
            {
                await bot.SetMyCommands(Menu(role, language), scope, language, ct);
            }
        }
        catch (ApiRequestException e) when (e.ErrorCode == 400)
        {
            // A staff member who never opened a chat with the bot has no chat to scope a menu to yet.
        }
    }
}

/// <summary>Publishes the menus once at start, retrying while the Bot API is unreachable.</summary>
internal sealed partial class MenuPublisher(
    CommandMenus menus,
    StaffDirectory staff,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<MenuPublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Hosting.Backoff(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60));
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await menus.PublishReaderMenusAsync(stoppingToken);
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
                foreach (var (userId, role, _) in await staff.ListAsync(db, stoppingToken))
                {
                    await menus.PublishForAsync(userId, role, stoppingToken);
                }

                LogPublished(logger);
                return;
            }
            catch (Exception e) when (e is RequestException or HttpRequestException or System.Data.Common.DbException)
            {
                LogFailed(logger, attempt, e.GetType().Name);
                if (!await Hosting.Backoff.WaitAsync(backoff.Next(), time, stoppingToken))
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Command menus published")]
    private static partial void LogPublished(ILogger logger);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Publishing command menus failed ({ExceptionType}), attempt {Attempt}")]
    private static partial void LogFailed(ILogger logger, int attempt, string exceptionType);
}
