using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ResistanceBot.Tips;

internal enum TipState
{
    Waiting,
    Approved,
    Rejected,
}

/// <summary>
/// A submitted tip. Nothing here names its sender: the sender tag is a keyed hash that changes every 30 days (for limits and
/// bans only), the receipt is kept only as a keyed hash, contents are sealed, and the time is kept to the hour.
/// </summary>
internal sealed class Tip
{
    public int Id { get; set; }

    public TipState State { get; set; }

    /// <summary>Submission time, rounded down to the hour: enough for "age", too coarse to match against message timestamps.</summary>
    public DateTime SubmittedHour { get; set; }

    /// <summary>HMAC of the receipt code; the code itself is never stored.</summary>
    public required byte[] ReceiptHash { get; set; }

    /// <summary>HMAC of the sender for the current 30-day epoch (promise 2).</summary>
    public required byte[] SenderTag { get; set; }

    public required byte[] SealedText { get; set; }

    /// <summary>The text that may be published, set by a moderator; sealed.</summary>
    public byte[]? SealedRedacted { get; set; }

    /// <summary>Opt-in only: the chat to notify of replies, sealed; erased at the decision or after 14 days.</summary>
    public byte[]? SealedReplyRoute { get; set; }

    /// <summary>Keyed hash of the reader, only while a reply route exists, so that /forget can erase it.</summary>
    public byte[]? ReplyRouteOwner { get; set; }

    public DateTime? ReplyRouteExpiresAt { get; set; }

    public DateTime? DecidedAt { get; set; }

    public List<TipFile> Files { get; set; } = [];

    public List<TipReply> Replies { get; set; } = [];
}

/// <summary>A file of a tip, cleaned of metadata where the type allows it; sealed.</summary>
internal sealed class TipFile
{
    public int Id { get; set; }

    public int TipId { get; set; }

    public int Position { get; set; }

    public MediaKind Kind { get; set; }

    /// <summary>False for types the bot cannot clean: moderators are told "metadata not removed".</summary>
    public bool Cleaned { get; set; }

    public bool IsPhoto { get; set; }

    public byte[]? SealedName { get; set; }

    public required byte[] SealedContent { get; set; }

    public int Size { get; set; }
}

/// <summary>An editor's reply to a tip, read by the tipster with /check; sealed.</summary>
internal sealed class TipReply
{
    public int Id { get; set; }

    public int TipId { get; set; }

    public DateTime At { get; set; }

    public required byte[] SealedText { get; set; }
}

/// <summary>A tip being written: its parts sealed, keyed by a pseudonym of its own, gone when sent, cancelled or expired.</summary>
internal sealed class TipDraft
{
    [Key]
    public required byte[] DraftKey { get; set; }

    public required byte[] SealedParts { get; set; }

    public DateTime ExpiresAt { get; set; }
}

internal sealed class TipConfiguration :
    IEntityTypeConfiguration<Tip>, IEntityTypeConfiguration<TipFile>, IEntityTypeConfiguration<TipReply>, IEntityTypeConfiguration<TipDraft>
{
    public void Configure(EntityTypeBuilder<Tip> builder)
    {
        builder.ToTable("tips");
        builder.Property(t => t.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(t => t.ReceiptHash).HasMaxLength(32);
        builder.HasIndex(t => t.ReceiptHash).IsUnique();
        builder.Property(t => t.SenderTag).HasMaxLength(32);
        builder.HasIndex(t => new { t.SenderTag, t.SubmittedHour });
        builder.Property(t => t.ReplyRouteOwner).HasMaxLength(32);
        builder.HasIndex(t => t.ReplyRouteOwner);
        builder.HasIndex(t => new { t.State, t.DecidedAt });
        builder.HasMany(t => t.Files).WithOne().HasForeignKey(f => f.TipId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(t => t.Replies).WithOne().HasForeignKey(r => r.TipId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<TipFile> builder)
    {
        builder.ToTable("tip_files");
        builder.Property(f => f.Kind).HasConversion<string>().HasMaxLength(8);
    }

    public void Configure(EntityTypeBuilder<TipReply> builder) => builder.ToTable("tip_replies");

    public void Configure(EntityTypeBuilder<TipDraft> builder)
    {
        builder.ToTable("tip_drafts");
        builder.Property(d => d.DraftKey).HasMaxLength(32);
        builder.HasIndex(d => d.ExpiresAt);
    }
}
