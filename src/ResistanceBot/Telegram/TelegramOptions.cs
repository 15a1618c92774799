using System.Globalization;
using Microsoft.Extensions.Options;

namespace ResistanceBot.Telegram;

internal enum IntakeMode
{
    Polling,
    Webhook,
}

internal sealed class TelegramOptions
{
    public const string Section = "Telegram";

    public string? BotToken { get; set; }

    public string ApiBaseUrl { get; set; } = "https://api.telegram.org";

    public IntakeMode Mode { get; set; } = IntakeMode.Polling;

    public string? WebhookUrl { get; set; }

    public string? WebhookSecret { get; set; }

    /// <summary>Seconds one getUpdates long poll waits (the real server caps it at 50).</summary>
    public int PollTimeoutSeconds { get; set; } = 25;

    /// <summary>Updates handled at once, each of a different chat (one chat's updates are always handled in order).</summary>
    public int MaxConcurrentUpdates { get; set; } = 16;

    /// <summary>
    /// Readers' updates at most that may be done with while their answers still wait for the rate limit (a burst of /start
    /// at 30 answers a second); each holds its handler in memory, without a database connection, until it has sent.
    /// </summary>
    public int MaxWaitingAnswers { get; set; } = 1_000;

    /// <summary>A Bot API token is digits, a colon, then the secret.</summary>
    internal static bool LooksLikeToken(string token)
    {
        var colon = token.IndexOf(':', StringComparison.Ordinal);
        return colon is > 0 and <= 16 && colon < token.Length - 1
            && long.TryParse(token.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out _)
            && !token.Any(char.IsWhiteSpace);
    }
}

internal sealed class TelegramOptionsValidator : IValidateOptions<TelegramOptions>
{
    public const string NoTokenMessage =
        "Telegram:BotToken is not set: set the environment variable Telegram__BotToken to the token from @BotFather, " +
        "or try the bot locally without one: dotnet run --project src/ResistanceBot -- sandbox";

    public ValidateOptionsResult Validate(string? name, TelegramOptions o)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(o.BotToken))
        {
            failures.Add(NoTokenMessage);
        }
        else if (!TelegramOptions.LooksLikeToken(o.BotToken))
        {
            failures.Add("Telegram:BotToken is not a Bot API token (it looks like 123456789:AA...): copy it again from @BotFather.");
        }

        if (!Uri.TryCreate(o.ApiBaseUrl, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttps && api.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add("Telegram:ApiBaseUrl must be an absolute http(s) URL such as https://api.telegram.org.");
        }

        if (o.PollTimeoutSeconds is < 0 or > 50)
        {
            failures.Add("Telegram:PollTimeoutSeconds must be between 0 and 50.");
        }

        if (o.MaxConcurrentUpdates is < 1 or > 256)
        {
            failures.Add("Telegram:MaxConcurrentUpdates must be between 1 and 256.");
        }

        if (o.MaxWaitingAnswers is < 0 or > 100_000)
        {
            failures.Add("Telegram:MaxWaitingAnswers must be between 0 and 100000.");
        }

        if (o.Mode == IntakeMode.Webhook)
        {
            if (!Uri.TryCreate(o.WebhookUrl, UriKind.Absolute, out var hook) || (hook.Scheme != Uri.UriSchemeHttps && !hook.IsLoopback))
            {
                failures.Add("Telegram:WebhookUrl must be the public https URL Telegram posts updates to (Telegram:Mode is Webhook).");
            }

            if (string.IsNullOrEmpty(o.WebhookSecret) || o.WebhookSecret.Length > 256
                || !o.WebhookSecret.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                failures.Add("Telegram:WebhookSecret must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram:Mode is Webhook).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
