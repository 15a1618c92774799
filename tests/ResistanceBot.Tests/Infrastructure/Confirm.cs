using ResistanceBot.BotApiEmulator;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>Destructive staff actions ask first: these press the question's buttons as a person would, and wait for the answer.</summary>
internal static class Confirm
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>Sends a command that asks first, presses Yes, and returns the question as edited with what was done.</summary>
    public static async Task<ChatMessage> CommandAsync(BotApiEmulator.BotApiEmulator emulator, TelegramUser user, string command)
    {
        var question = await user.AskAsync(command, Wait);
        return await YesAsync(emulator, user, question);
    }

    /// <summary>Presses Yes under a question (the first button) and returns the message as edited.</summary>
    public static Task<ChatMessage> YesAsync(BotApiEmulator.BotApiEmulator emulator, TelegramUser user, ChatMessage question) =>
        PressAsync(emulator, user, question, Button(question, "k:y:"));

    /// <summary>Presses Undo under a report and returns the message as edited.</summary>
    public static Task<ChatMessage> UndoAsync(BotApiEmulator.BotApiEmulator emulator, TelegramUser user, ChatMessage report) =>
        PressAsync(emulator, user, report, Button(report, "k:u:"));

    public static string Button(ChatMessage message, string prefix) =>
        message.Buttons.SelectMany(r => r).Select(b => b.CallbackData).FirstOrDefault(d => d?.StartsWith(prefix, StringComparison.Ordinal) == true)
            ?? throw new InvalidOperationException($"No '{prefix}' button under '{message.Text}'.");

    public static async Task<ChatMessage> PressAsync(BotApiEmulator.BotApiEmulator emulator, TelegramUser user, ChatMessage message, string data)
    {
        var edits = user.BotMessages.Single(m => m.MessageId == message.MessageId).EditCount;
        var query = user.PressButton(message.MessageId, data);
        await emulator.WaitUntilAsync(
            () => emulator.CallbackAnswers.Any(a => a.QueryId == query) && user.BotMessages.Single(m => m.MessageId == message.MessageId).EditCount > edits,
            Wait,
            $"the bot to act on '{data}'");
        return user.BotMessages.Single(m => m.MessageId == message.MessageId);
    }
}
