using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ResistanceBot.Moderation;

/// <summary>
/// A notice of a new tip (no contents) in a staff chat, sent in a batch at a random moment; edited with the outcome after the
/// decision, then deleted. It carries no time: the message id in a staff chat dates nothing a tipster did.
/// </summary>
internal sealed class TipNotice
{
    public int Id { get; set; }

    public int TipId { get; set; }

    /// <summary>The moderators' group or a staff member's private chat: staff ids are not secret.</summary>
    public long ChatId { get; set; }

    /// <summary>Null when Telegram refused it for good (a moderator who never opened a chat with the bot).</summary>
    public int? MessageId { get; set; }
}

/// <summary>
/// A message with a tip's contents in a moderator's private chat (sent with protect_content); deleted at the decision, and
/// after <c>Moderation:CopyHours</c> in any case.
/// </summary>
internal sealed class TipView
{
    public int Id { get; set; }

    public int TipId { get; set; }

    /// <summary>A staff member's private chat: staff ids are not secret.</summary>
    public long ChatId { get; set; }

    public int MessageId { get; set; }

    /// <summary>When the copy is deleted at the latest, to the hour (rounded up).</summary>
    public DateTime DeleteAfter { get; set; }
}

internal sealed class ModerationConfiguration : IEntityTypeConfiguration<TipNotice>, IEntityTypeConfiguration<TipView>
{
    public void Configure(EntityTypeBuilder<TipNotice> builder)
    {
        builder.ToTable("tip_notices");
        builder.HasIndex(n => n.TipId);
    }

    public void Configure(EntityTypeBuilder<TipView> builder)
    {
        builder.ToTable("tip_views");
        builder.HasIndex(v => v.TipId);
        builder.HasIndex(v => v.DeleteAfter);
    }
}
