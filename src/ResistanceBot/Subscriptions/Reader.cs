using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ResistanceBot.Subscriptions;

/// <summary>
/// What the bot keeps about a reader: found by keyed pseudonym, never by Telegram id (privacy promise 1).
/// The chat id is held, encrypted, only while subscribed: it is what a digest is sent to.
/// </summary>
internal sealed class Reader
{
    public int Id { get; set; }

    /// <summary>HMAC-SHA256 of the Telegram user id under <c>Security:PseudonymKey</c>.</summary>
    public required byte[] Pseudonym { get; set; }

    /// <summary>The private chat id, sealed with <c>Security:DataKey</c>; null when not subscribed.</summary>
    public byte[]? SealedChatId { get; set; }

    public string Language { get; set; } = "en";

    /// <summary>IANA zone id or a fixed offset such as "UTC+03:00"; null means the edition's own zone.</summary>
    public string? TimeZone { get; set; }

    /// <summary>Local hour (0-23) at which the digest arrives; null means as soon as an edition is released.</summary>
    public int? DigestHour { get; set; }

    /// <summary>The topics the reader chose (<see cref="Articles.TopicSets"/>); empty for every item.</summary>
    public string Topics { get; set; } = "";

    public bool IsSubscribed => SealedChatId is not null;
}

internal sealed class ReaderConfiguration : IEntityTypeConfiguration<Reader>
{
    public void Configure(EntityTypeBuilder<Reader> builder)
    {
        builder.ToTable("readers");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Pseudonym).HasMaxLength(32).IsRequired();
        builder.HasIndex(r => r.Pseudonym).IsUnique();
        builder.Property(r => r.SealedChatId).HasMaxLength(64);
        builder.Property(r => r.Language).HasMaxLength(8).IsRequired();
        builder.Property(r => r.TimeZone).HasMaxLength(64);
        builder.Property(r => r.Topics).HasMaxLength(Articles.ArticleLimits.Topics);
        builder.Ignore(r => r.IsSubscribed);
    }
}
