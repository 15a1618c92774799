using Microsoft.Extensions.DependencyInjection.Extensions;
using ResistanceBot.Staff;
using Telegram.Bot.Types;

namespace ResistanceBot.Telegram;

/// <summary>Handles one command, such as /start. One instance per update (scoped).</summary>
internal interface ICommandHandler
{
    Task HandleAsync(BotContext context, CancellationToken ct);
}

/// <summary>Handles button presses whose callback data starts with its prefix and a colon.</summary>
internal interface ICallbackHandler
{
    Task HandleAsync(BotContext context, CallbackQuery query, string data, CancellationToken ct);
}

/// <summary>Handles the non-command messages of a chat that is in its conversation state.</summary>
internal interface IConversationHandler
{
    Task HandleAsync(BotContext context, Message message, CancellationToken ct);

    /// <summary>A message of the chat was edited while it is in this conversation; most conversations ignore it.</summary>
    Task HandleEditAsync(BotContext context, Message message, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Handles a private message that is neither a command nor part of a conversation (the tip line registers the one).</summary>
internal interface IStrayMessageHandler
{
    Task HandleAsync(BotContext context, Message message, CancellationToken ct);
}

/// <summary>Handles my_chat_member: the bot was blocked, unblocked, added to or removed from a chat.</summary>
internal interface IChatMemberHandler
{
    Task HandleAsync(BotContext context, ChatMemberUpdated update, CancellationToken ct);
}

/// <param name="Name">The command without its slash, lowercase.</param>
/// <param name="Role">Who may use it; <see cref="StaffRole.None"/> means every reader.</param>
/// <param name="InMenu">Whether it is listed in the bot's menu and /help.</param>
/// <param name="Handler">The <see cref="ICommandHandler"/> type, resolved per update.</param>
/// <param name="Lane">Which updates it overtakes while they wait for a slot (<see cref="IntakeLane"/>).</param>
internal sealed record CommandDefinition(string Name, StaffRole Role, Type Handler, bool InMenu = true, IntakeLane Lane = IntakeLane.Reader);

/// <param name="Prefix">The callback data up to its first colon.</param>
/// <param name="Handler">The <see cref="ICallbackHandler"/> type, resolved per update.</param>
/// <param name="Lane">Which updates it overtakes while they wait for a slot (<see cref="IntakeLane"/>).</param>
internal sealed record CallbackDefinition(string Prefix, Type Handler, IntakeLane Lane = IntakeLane.Reader);

internal sealed record ConversationDefinition(string State, Type Handler);

internal static class HandlerRegistration
{
    public static IServiceCollection AddCommand<T>(
        this IServiceCollection services, string name, StaffRole role = StaffRole.None, bool inMenu = true, IntakeLane lane = IntakeLane.Reader)
        where T : class, ICommandHandler
    {
        services.TryAddScoped<T>();
        services.AddSingleton(new CommandDefinition(name, role, typeof(T), inMenu, lane));
        return services;
    }

    public static IServiceCollection AddCallback<T>(this IServiceCollection services, string prefix, IntakeLane lane = IntakeLane.Reader)
        where T : class, ICallbackHandler
    {
        services.TryAddScoped<T>();
        services.AddSingleton(new CallbackDefinition(prefix, typeof(T), lane));
        return services;
    }

    public static IServiceCollection AddStrayMessages<T>(this IServiceCollection services)
        where T : class, IStrayMessageHandler
    {
        services.AddScoped<IStrayMessageHandler, T>();
        return services;
    }

    public static IServiceCollection AddChatMemberHandler<T>(this IServiceCollection services)
        where T : class, IChatMemberHandler
    {
        services.AddScoped<IChatMemberHandler, T>();
        return services;
    }

    public static IServiceCollection AddConversation<T>(this IServiceCollection services, string state)
        where T : class, IConversationHandler
    {
        services.TryAddScoped<T>();
        services.AddSingleton(new ConversationDefinition(state, typeof(T)));
        return services;
    }
}
