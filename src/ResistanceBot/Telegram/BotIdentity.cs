using Telegram.Bot;

namespace ResistanceBot.Telegram;

/// <summary>The bot's own username from getMe, to tell "/start@thisbot" from a command meant for another bot in the chat.</summary>
internal sealed class BotIdentity(ITelegramBotClient bot)
{
    private string? _username;

    public async ValueTask<string?> UsernameAsync(CancellationToken ct)
    {
        if (_username is not null)
        {
            return _username;
        }

        try
        {
            var me = await bot.GetMe(ct);
            return _username = me.Username;
        }
        catch (Exception e) when (e is global::Telegram.Bot.Exceptions.RequestException or HttpRequestException)
        {
            return null; // unknown for now: accept the command, ask again next time
        }
    }
}
