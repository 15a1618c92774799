using System.Collections.Frozen;
using Microsoft.EntityFrameworkCore;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace ResistanceBot.Telegram;

/// <summary>
/// Routes one update to one handler in a fresh DI scope: a command, a button by its data prefix, or the chat's conversation.
/// Whatever a handler throws is logged without personal data and ends there; the next update is served as usual.
/// </summary>
internal sealed partial class UpdateDispatcher(
    IServiceScopeFactory scopes,
    UpdateLog updateLog,
    BotIdentity identity,
    IEnumerable<CommandDefinition> commands,
    IEnumerable<CallbackDefinition> callbacks,
    IEnumerable<ConversationDefinition> conversations,
    Staff.StaffDirectory staff,
    Hosting.BotMetrics metrics,
    ILogger<UpdateDispatcher> logger)
{
    private readonly FrozenDictionary<string, CommandDefinition> _commands = commands.ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);
    private readonly FrozenDictionary<string, CallbackDefinition> _callbacks = callbacks.ToFrozenDictionary(c => c.Prefix, StringComparer.Ordinal);
    private readonly FrozenDictionary<string, ConversationDefinition> _conversations = conversations.ToFrozenDictionary(c => c.State, StringComparer.Ordinal);

    internal IEnumerable<CommandDefinition> Commands => _commands.Values;

    /// <summary>
    /// The lane an update waits in for a slot, judged without the database: staff by <see cref="Staff.StaffDirectory.SeenAsStaff"/>
    /// (a hint for order only; what the update may do is decided fresh), the tip line by the commands and buttons it registered
    /// and by every private message that is not a command (a tipster's text, photo or file).
    /// </summary>
    public IntakeLane LaneOf(Update update)
    {
        if ((update.Message?.From ?? update.EditedMessage?.From ?? update.CallbackQuery?.From) is { } from && staff.SeenAsStaff(from.Id))
        {
            return IntakeLane.Staff;
        }

        if (update.CallbackQuery?.Data is { } data)
        {
            var colon = data.IndexOf(':', StringComparison.Ordinal);
            return _callbacks.TryGetValue(colon < 0 ? data : data[..colon], out var callback) ? callback.Lane : IntakeLane.Reader;
        }

        if ((update.Message ?? update.EditedMessage) is not { } message)
        {
            return IntakeLane.Reader;
        }

        if (message.Text is not { } text || !text.StartsWith('/'))
        {
            return IntakeLane.TipLine;
        }

        var (name, _, _) = ParseCommand(text, null);
        return _commands.TryGetValue(name, out var command) ? command.Lane : IntakeLane.Reader;
    }

    /// <summary>
    /// Handles an update once, however often it arrives: in webhook mode by claiming it here, in polling mode because the poller
    /// skips what <see cref="UpdateLog.HandledAmongAsync"/> names. The claim and the handler share one context.
    /// </summary>
    /// <param name="update">The update.</param>
    /// <param name="answersLeft">
    /// For a reader's update: called when a send of its handler has to wait for a permit while nothing is left unsaved, no
    /// transaction is open and the sender holds no staff role, so that only the answer remains (see
    /// <see cref="ReaderAnswerWait"/>); true when the runner let the update be done with, and then its database connection
    /// goes back to the pool for the wait. Null for updates that are done with only once handled.
    /// </param>
    /// <param name="ct">Cancels the handler.</param>
    public async Task DispatchAsync(Update update, Func<bool>? answersLeft, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Storage.BotDbContext>();
        // Every send the handler makes is an answer to someone who just wrote: it overtakes notices and fan-out, and a staff
        // member's or the tip line's overtakes other readers'.
        using var readerWait = answersLeft is null ? null : new ReaderAnswerWait(db, scope.ServiceProvider, answersLeft);
        using var lane = Delivery.SendLanes.Enter(
            readerWait is null ? Delivery.SendLane.Answer : Delivery.SendLane.ReaderAnswer, readerWait is null ? null : readerWait.OnWait);
        // One connection for the whole update: EF would otherwise open and close one per query, and each SQLite open
        // registers EF's functions again; an update makes four to six queries.
        await db.Database.OpenConnectionAsync(ct);
        if (updateLog.ClaimsEachUpdate && !await updateLog.TryClaimAsync(db, update.Id, ct))
        {
            LogDuplicate(logger, update.Id);
            metrics.DuplicateUpdate();
            return;
        }

        var handler = "none";
        try
        {
            handler = await RouteAsync(scope.ServiceProvider, update, ct);
            LogHandled(logger, update.Id, update.Type);
            metrics.UpdateHandled(update.Type);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogHandlerFailed(logger, update.Id, update.Type, handler, SafeException.From(e));
            metrics.HandlerFailed();
            await ApologiseAsync(scope.ServiceProvider, update, ct);
        }

        // A failed handler may have left changes it could not save: they must not ride along with anything written later.
        db.ChangeTracker.Clear();
        // The update has been acted on: its completion is retried here, never by handling it again.
        try
        {
            await Hosting.Backoff.RetryAsync(
                c => updateLog.CompleteAsync(update.Id, c), IsDatabaseFault, static (_, _) => { },
                TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2), ct);
        }
        catch (Exception e) when (IsDatabaseFault(e) && !ct.IsCancellationRequested)
        {
            LogCompletionLost(logger, update.Id, e.GetType().Name);
        }
    }

    /// <summary>
    /// Watches a reader's update for the moment only its answer is left: a send waits for a permit while the real role is none,
    /// nothing is unsaved and no transaction is open. Ends with the dispatch: a flow that outlived it (work the handler started
    /// and left running) must not speak for the update.
    /// </summary>
    private sealed class ReaderAnswerWait(Storage.BotDbContext db, IServiceProvider services, Func<bool> answersLeft) : IDisposable
    {
        private bool _waiting;
        private bool _ended;

        public void OnWait()
        {
            // The lane was a guess from memory; the role read for this update decides (a staff member's first update after a
            // restart is guessed to be a reader's).
            if (_waiting || _ended || services.GetRequiredService<BotContext>().Role != Staff.StaffRole.None
                || db.Database.CurrentTransaction is not null || db.ChangeTracker.HasChanges() || !answersLeft())
            {
                return;
            }

            _waiting = true;
            db.Database.CloseConnection(); // a thousand answers waiting must not hold a thousand connections
        }

        public void Dispose() => _ended = true;
    }

    internal static bool IsDatabaseFault(Exception e) => e is System.Data.Common.DbException or DbUpdateException;

    private async Task<string> RouteAsync(IServiceProvider services, Update update, CancellationToken ct)
    {
        switch (update)
        {
            case { Message: { Chat.Type: ChatType.Private, From: { } from } message }:
                var context = services.GetRequiredService<BotContext>();
                await context.InitializeAsync(message.Chat.Id, from, ct);
                context.IncomingMessageId = message.Id;
                return await RouteMessageAsync(services, context, message, ct);

            case { EditedMessage: { Chat.Type: ChatType.Private, From: { } from } edited }:
                var editContext = services.GetRequiredService<BotContext>();
                await editContext.InitializeAsync(edited.Chat.Id, from, ct);
                editContext.IncomingMessageId = edited.Id;
                if (await ConversationStore.StateAsync(editContext, ct) is { } editState && _conversations.TryGetValue(editState.Split(':')[0], out var editConversation))
                {
                    editContext.ConversationState = editState;
                    await ((IConversationHandler)services.GetRequiredService(editConversation.Handler)).HandleEditAsync(editContext, edited, ct);
                    return editConversation.Handler.Name;
                }

                return "edit outside a conversation";

            case { CallbackQuery: { From: { } from, Data: { } data } query }:
                var callbackContext = services.GetRequiredService<BotContext>();
                await callbackContext.InitializeAsync(query.Message?.Chat.Id ?? from.Id, from, ct);
                var colon = data.IndexOf(':', StringComparison.Ordinal);
                var prefix = colon < 0 ? data : data[..colon];
                if (_callbacks.TryGetValue(prefix, out var callback))
                {
                    var handler = (ICallbackHandler)services.GetRequiredService(callback.Handler);
                    await handler.HandleAsync(callbackContext, query, colon < 0 ? "" : data[(colon + 1)..], ct);
                    return callback.Handler.Name;
                }

                await callbackContext.Sender.AnswerCallbackAsync(query.Id, callbackContext.T("button.stale"), ct);
                return "stale button";

            case { MyChatMember: { From: { } from } member }:
                var memberContext = services.GetRequiredService<BotContext>();
                await memberContext.InitializeAsync(member.Chat.Id, from, ct);
                foreach (var memberHandler in services.GetServices<IChatMemberHandler>())
                {
                    await memberHandler.HandleAsync(memberContext, member, ct);
                }

                return "chat member";

            default:
                return "ignored";
        }
    }

    private async Task<string> RouteMessageAsync(IServiceProvider services, BotContext context, Message message, CancellationToken ct)
    {
        var text = message.Text ?? "";
        if (text.StartsWith('/'))
        {
            var (name, arguments, forUs) = ParseCommand(text, await identity.UsernameAsync(ct));
            if (!forUs)
            {
                return "command for another bot";
            }

            context.SetCommand(name, arguments);
            if (_commands.TryGetValue(name, out var command))
            {
                if (context.Has(command.Role))
                {
                    var handler = (ICommandHandler)services.GetRequiredService(command.Handler);
                    await handler.HandleAsync(context, ct);
                    return command.Handler.Name;
                }

                // Staff commands from anyone without the role look like unknown commands, and are audited.
                await context.AuditAsync("denied", "/" + name, ct: ct);
            }

            await context.ReplyAsync(context.T("unknown.command"), ct: ct);
            return "unknown command";
        }

        var state = await ConversationStore.StateAsync(context, ct);
        if (state is not null && _conversations.TryGetValue(state.Split(':')[0], out var conversation))
        {
            context.ConversationState = state;
            var handler = (IConversationHandler)services.GetRequiredService(conversation.Handler);
            await handler.HandleAsync(context, message, ct);
            return conversation.Handler.Name;
        }

        if (services.GetService<IStrayMessageHandler>() is { } stray)
        {
            await stray.HandleAsync(context, message, ct);
            return "stray message";
        }

        await context.ReplyAsync(context.T("unknown.message"), ct: ct);
        return "no conversation";
    }

    /// <summary>"/cmd@bot args": the name lowercased, the arguments, and whether it is addressed to this bot.</summary>
    internal static (string Name, string Arguments, bool ForUs) ParseCommand(string text, string? botUsername)
    {
        var end = text.AsSpan().IndexOfAny(" \n\t");
        var head = end < 0 ? text[1..] : text[1..end];
        var arguments = end < 0 ? "" : text[(end + 1)..].Trim();
        var at = head.IndexOf('@', StringComparison.Ordinal);
        var forUs = true;
        if (at >= 0)
        {
            forUs = botUsername is null || head[(at + 1)..].Equals(botUsername, StringComparison.OrdinalIgnoreCase);
            head = head[..at];
        }

        return (head.ToLowerInvariant(), arguments, forUs);
    }

    private async Task ApologiseAsync(IServiceProvider services, Update update, CancellationToken ct)
    {
        try
        {
            var context = services.GetRequiredService<BotContext>();
            if (context.ChatId == 0)
            {
                return;
            }

            if (update.CallbackQuery is { } query)
            {
                await context.Sender.AnswerCallbackAsync(query.Id, context.T("error.generic.short"), ct);
            }

            await context.Sender.SendTextAsync(context.ChatId, context.T("error.generic"), ct: ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogApologyFailed(logger, SafeException.From(e));
        }
    }

    // Not by which handler: "handled by SendTipCommand" with its time would date a tip. A failure still names it (1003).
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Update {UpdateId} ({UpdateType}) handled")]
    private static partial void LogHandled(ILogger logger, int updateId, UpdateType updateType);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Update {UpdateId} was already handled; skipped")]
    private static partial void LogDuplicate(ILogger logger, int updateId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Handler {Handler} failed on update {UpdateId} ({UpdateType})")]
    private static partial void LogHandlerFailed(ILogger logger, int updateId, UpdateType updateType, string handler, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Update {UpdateId} was handled but could not be marked so ({ExceptionType}); a restart may handle it again")]
    private static partial void LogCompletionLost(ILogger logger, int updateId, string exceptionType);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Could not tell the reader that their request failed")]
    private static partial void LogApologyFailed(ILogger logger, Exception exception);
}
