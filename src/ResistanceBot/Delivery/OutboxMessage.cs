using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ResistanceBot.Delivery;

internal enum OutboxState
{
    Pending,
    Sent,

    /// <summary>Refused by Telegram (400) or out of attempts.</summary>
    Failed,

    /// <summary>Not sent because the reader unsubscribed or blocked the bot.</summary>
    Dropped,
}

/// <summary>
/// One message to send: an edition part for a subscriber (the chat id is the reader's, read at send time, so an
/// unsubscribed reader is never written to), or a one-off message whose chat id and text are sealed in the row.
/// </summary>
internal sealed class OutboxMessage
{
    public long Id { get; set; }

    public int? EditionId { get; set; }

    public int PartIndex { get; set; }

    public int? ReaderId { get; set; }

    public string? Language { get; set; }

    /// <summary>For edition rows: which selection of the edition's items (<see cref="Digests.EditionPart.Variant"/>).</summary>
    public int Variant { get; set; }

    /// <summary>For one-off messages: the chat id, sealed.</summary>
    public byte[]? SealedChatId { get; set; }

    /// <summary>For one-off messages: the HTML, sealed.</summary>
    public byte[]? SealedHtml { get; set; }

    /// <summary>For one-off edits: the message to edit in place (a staff notice shown with its outcome), instead of sending a new one.</summary>
    public int? EditMessageId { get; set; }

    /// <summary>For one-off messages: delete the message this many minutes after it is sent (the news nudge to a tipster).</summary>
    public int? DeleteAfterMinutes { get; set; }

    /// <summary>For one-off messages: inline buttons as Bot API JSON (callback data only; never personal data).</summary>
    public string? ReplyMarkup { get; set; }

    /// <summary>Not sent before this instant (the subscriber's chosen hour).</summary>
    public DateTime NotBefore { get; set; }

    public OutboxState State { get; set; }

    public int Attempts { get; set; }

    public string? LastError { get; set; }

    public int? SentMessageId { get; set; }

    public DateTime? SentAt { get; set; }

    /// <summary>Set while a worker holds the row; a crash leaves it to expire.</summary>
    public DateTime? ClaimedUntil { get; set; }
}

/// <param name="Bulk">The bulk message, <see cref="OutboxMessage.EditionId"/> in the outbox.</param>
/// <param name="Language">The text's language.</param>
/// <param name="Variant">Which selection of the message (<see cref="OutboxMessage.Variant"/>).</param>
/// <param name="Index">Which part, from 0.</param>
/// <param name="Html">The part as it is sent.</param>
/// <param name="ReplyMarkup">Its buttons as Bot API JSON, or null.</param>
internal sealed record BulkTemplate(int Bulk, string Language, int Variant, int Index, string Html, string? ReplyMarkup);

/// <summary>
/// The texts of bulk messages, which outbox rows name by number instead of carrying (one text, many readers). Delivery sends
/// them without knowing what they are; Digests provides its editions' parts.
/// </summary>
internal interface IBulkTemplates
{
    Task<IReadOnlyList<BulkTemplate>> LoadAsync(Storage.BotDbContext db, IReadOnlyCollection<int> bulkIds, CancellationToken ct);
}

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> builder)
    {
        builder.ToTable("outbox");
        builder.HasKey(o => o.Id);
        builder.Property(o => o.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(o => o.Language).HasMaxLength(8);
        builder.Property(o => o.SealedChatId).HasMaxLength(64);
        builder.Property(o => o.SealedHtml).HasMaxLength(40_000);
        builder.Property(o => o.LastError).HasMaxLength(300);
        builder.Property(o => o.ReplyMarkup).HasMaxLength(4000);
        // Claims walk pending rows in id order (keyset paging); due time is checked per row.
        builder.HasIndex(o => new { o.State, o.Id });
        builder.HasIndex(o => new { o.EditionId, o.ReaderId, o.PartIndex });
        builder.HasIndex(o => new { o.ReaderId, o.State });
    }
}
