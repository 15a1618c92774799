using System.ComponentModel.DataAnnotations;

namespace ResistanceBot.Delivery;

internal sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>Global ceiling for messages sent per second. Telegram allows about 30 (1000 with paid broadcasts).</summary>
    [Range(1, 100_000, ErrorMessage = "Delivery:MessagesPerSecond must be between 1 and 100000.")]
    public int MessagesPerSecond { get; set; } = 25;

    /// <summary>Sends in flight at once during a fan-out; also the most a crash can send twice.</summary>
    [Range(1, 256, ErrorMessage = "Delivery:Parallelism must be between 1 and 256.")]
    public int Parallelism { get; set; } = 16;

    /// <summary>Transient failures a delivery may have before it is given up.</summary>
    [Range(1, 50, ErrorMessage = "Delivery:MaxAttempts must be between 1 and 50.")]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>
    /// Sets Telegram's <c>allow_paid_broadcast</c> on edition sends: up to 1000 messages a second, paid in Stars (0.1 Star per
    /// message above the free 30 a second) from the bot's balance. Raise <see cref="MessagesPerSecond"/> with it.
    /// </summary>
    public bool PaidBroadcast { get; set; }
}
