using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ResistanceBot.Delivery;

namespace ResistanceBot.Moderation;

/// <summary>A notice of a new tip (no contents) sent through the outbox; edited with the outcome after the decision.</summary>
internal sealed class TipNotice
{
    public int Id { get; set; }

    public int TipId { get; set; }

    public long OutboxId { get; set; }

    public OutboxMessage? Message { get; set; }
}

/// <summary>A message with a tip's contents in a moderator's private chat; deleted after the decision (promise 6).</summary>
internal sealed class TipView
{
    public int Id { get; set; }

    public int TipId { get; set; }

    /// <summary>A staff member's private chat: staff ids are not secret.</summary>
    public long ChatId { get; set; }

    public int MessageId { get; set; }
}

/// <summary>A sender refused further tips until their 30-day tag rotates.</summary>
internal sealed class TipBan
{
    public int Id { get; set; }

    public required byte[] SenderTag { get; set; }

    public int TipId { get; set; }

    public DateTime At { get; set; }
}

internal sealed class ModerationConfiguration :
    IEntityTypeConfiguration<TipNotice>, IEntityTypeConfiguration<TipView>, IEntityTypeConfiguration<TipBan>
{
    public void Configure(EntityTypeBuilder<TipNotice> builder)
    {
        builder.ToTable("tip_notices");
        builder.HasIndex(n => n.TipId);
        builder.HasOne(n => n.Message).WithMany().HasForeignKey(n => n.OutboxId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<TipView> builder)
    {
        builder.ToTable("tip_views");
        builder.HasIndex(v => v.TipId);
    }

    public void Configure(EntityTypeBuilder<TipBan> builder)
    {
        builder.ToTable("tip_bans");
        builder.Property(b => b.SenderTag).HasMaxLength(32);
        builder.HasIndex(b => b.SenderTag);
    }
}
