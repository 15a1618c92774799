namespace ResistanceBot.BotApiEmulator;

/// <summary>How the emulator is started. It listens on loopback only and never pretends to be Telegram elsewhere.</summary>
public sealed class EmulatorOptions
{
    /// <summary>The bot token the emulator accepts; a different one gets 401 "Unauthorized".</summary>
    public string Token { get; set; } = "7012345678:AAEmulatorTokenForLocalTestsOnly_x";

    public string BotUsername { get; set; } = "resistance_emulator_bot";

    public string BotFirstName { get; set; } = "ResistanceBot (emulator)";

    /// <summary>Loopback address to bind; anything else is refused.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>The real server clamps long-poll timeouts to 50 s.</summary>
    public int MaxLongPollSeconds { get; set; } = 50;

    /// <summary>Pause between webhook delivery attempts after a non-2xx answer (the real server backs off up to 60 s).</summary>
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The clock for message dates and the 48-hour delete rule.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>First update id; ids stay below 2^31 because Telegram.Bot reads them as int.</summary>
    public int FirstUpdateId { get; set; } = 836_418_000;
}

/// <summary>
/// Faults the emulator injects, changeable while it runs. Rates are enforced with 429 + retry_after like the real flood control.
/// </summary>
public sealed class EmulatorFaults
{
    /// <summary>Send methods allowed per second across all chats; above it: 429. Null: no limit.</summary>
    public double? GlobalSendsPerSecond { get; set; }

    /// <summary>Sends allowed per second into one private chat. Null: no limit.</summary>
    public double? PerChatSendsPerSecond { get; set; }

    /// <summary>Sends allowed per minute into one group. Null: no limit.</summary>
    public double? PerGroupSendsPerMinute { get; set; }

    /// <summary>Smallest retry_after given with a 429.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Share of requests (0..1) answered with 500 or 502.</summary>
    public double ServerErrorRate { get; set; }

    /// <summary>Share of requests (0..1) whose connection is dropped without an answer.</summary>
    public double DropConnectionRate { get; set; }

    /// <summary>
    /// Share of sends (0..1) that start a global flood wait: that send and every send in the next <see cref="RetryAfterSeconds"/>
    /// get 429, as Telegram's flood control does. <see cref="BotApiEmulator.FloodWindows"/> records what arrived during each.
    /// </summary>
    public double FloodRate { get; set; }

    /// <summary>Share of sends (0..1) that are accepted into the chat and then lose their answer (the connection drops).</summary>
    public double DropAfterSendRate { get; set; }

    /// <summary>Extra time before each method call is answered.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>
    /// deleteMessage refuses every message as Telegram refuses one older than 48 hours ("message can't be deleted for everyone"),
    /// and deleteMessages skips it without saying so, as Telegram does.
    /// </summary>
    public bool RefuseDeletes { get; set; }

    /// <summary>The next N method calls (any method) get a 500.</summary>
    public int FailNextRequests { get; set; }

    public int Seed { get; set; } = 12345;
}
