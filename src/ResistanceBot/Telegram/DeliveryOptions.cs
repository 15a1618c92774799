using System.ComponentModel.DataAnnotations;

namespace ResistanceBot.Telegram;

internal sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>Global ceiling for messages sent per second (Telegram allows about 30).</summary>
    [Range(1, 1000, ErrorMessage = "Delivery:MessagesPerSecond must be between 1 and 1000.")]
    public int MessagesPerSecond { get; set; } = 25;
}
