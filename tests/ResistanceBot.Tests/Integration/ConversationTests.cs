using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using ResistanceBot.Telegram;
using ResistanceBot.Tests.Infrastructure;
using Telegram.Bot.Types;

namespace ResistanceBot.Tests.Integration;

/// <summary>The dispatcher's per-chat conversation state: what a chat's next plain message means (its first user is /tip).</summary>
public sealed class ConversationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private sealed class EchoCommand : ICommandHandler
    {
        public async Task HandleAsync(BotContext context, CancellationToken ct)
        {
            await ConversationStore.SetAsync(context, "echo", TimeSpan.FromMinutes(10), ct);
            await context.ReplyAsync("Say something.", ct: ct);
        }
    }

    private sealed class EchoConversation : IConversationHandler
    {
        public Task HandleAsync(BotContext context, Message message, CancellationToken ct) =>
            context.ReplyAsync("echo: " + Html.Escape(message.Text), ct: ct);
    }

    [Fact]
    public async Task Plain_messages_go_to_the_chats_conversation_until_it_expires_or_the_reader_forgets()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        await using var bot = await BotHost.StartAsync(services: s =>
        {
            s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock));
            s.AddCommand<EchoCommand>("echo", inMenu: false);
            s.AddConversation<EchoConversation>("echo");
        });
        var user = bot.Emulator.User(4040, "Reader");
        var other = bot.Emulator.User(4041, "Other");

        Assert.StartsWith("Not saved: the bot keeps nothing sent outside a letter", (await user.AskAsync("hello", Wait)).Text, StringComparison.Ordinal);
        Assert.True(user.Messages.Single(m => !m.FromBot && m.Text == "hello").IsDeleted, "stray words are deleted from the chat");
        await user.AskAsync("/echo", Wait);
        Assert.Equal("echo: <b>bold?</b> & more", (await user.AskAsync("<b>bold?</b> & more", Wait)).Text);
        Assert.StartsWith("Not saved: the bot keeps nothing sent outside a letter", (await other.AskAsync("hello", Wait)).Text, StringComparison.Ordinal);

        // Only once the last handler is done (its update confirmed) may the clock jump, or it would cut that handler off.
        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.PendingUpdateCount == 0, Wait, "the echo to finish");
        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.StartsWith("Not saved: the bot keeps nothing sent outside a letter", (await user.AskAsync("still there?", Wait)).Text, StringComparison.Ordinal);

        await user.AskAsync("/echo", Wait);
        await user.AskAsync("/forget", Wait);
        Assert.StartsWith("Not saved: the bot keeps nothing sent outside a letter", (await user.AskAsync("and now?", Wait)).Text, StringComparison.Ordinal);
    }
}
