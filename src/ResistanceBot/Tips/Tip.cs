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
/// A submitted tip. Nothing here names its sender for longer than the current epoch: the sender tag is a keyed hash under the
/// epoch's erasable key (for limits and bans only), erased when the epoch ends; the receipt is kept only as a keyed hash; the
/// contents are sealed; every time is kept to the day.
/// </summary>
internal sealed class Tip
{
    public int Id { get; set; }

    public TipState State { get; set; }

    /// <summary>The day of submission (00:00 UTC): enough for "age", too coarse to match against traffic.</summary>
    public DateTime SubmittedOn { get; set; }

    /// <summary>HMAC of the receipt code; the code itself is never stored.</summary>
    public required byte[] ReceiptHash { get; set; }

    /// <summary>Tag of the sender under the current tip epoch's key; null once that epoch is over (or after /forget).</summary>
    public byte[]? SenderTag { get; set; }

    /// <summary>The day the tag's epoch ends, when the tag is erased.</summary>
    public DateTime? SenderTagUntil { get; set; }

    public required byte[] SealedText { get; set; }

    /// <summary>The text that may be published, set by a moderator; sealed.</summary>
    public byte[]? SealedRedacted { get; set; }

    /// <summary>
    /// Opt-in only: the chat to tell once of news, sealed under the tip epoch's erasable key. Erased when its nudge is queued,
    /// at the decision, on <see cref="ReplyRouteUntil"/>, or by /forget, whichever comes first.
    /// </summary>
    public byte[]? SealedReplyRoute { get; set; }

    /// <summary>The day the route is erased at the latest: 14 days after the opt-in, or earlier when its key goes first.</summary>
    public DateTime? ReplyRouteUntil { get; set; }

    /// <summary>The day of the decision.</summary>
    public DateTime? DecidedOn { get; set; }

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
}

/// <summary>An editor's reply to a tip, read by the tipster with /check; sealed.</summary>
internal sealed class TipReply
{
    public int Id { get; set; }

    public int TipId { get; set; }

    /// <summary>The day of the reply.</summary>
    public DateTime On { get; set; }

    public required byte[] SealedText { get; set; }
}

/// <summary>
/// A tip being written: keyed by a tag under the day's erasable key, its parts and its messages sealed under that key, gone when
/// sent, cancelled or expired (its messages are then deleted from the chat).
/// </summary>
internal sealed class TipDraft
{
    [Key]
    public required byte[] DraftKey { get; set; }

    public required byte[] SealedParts { get; set; }

    public DateTime ExpiresAt { get; set; }
}

/// <summary>
/// A sender refused further tips: the tag of a tip's sender under a tip epoch's key, and the day that key is erased, when the ban
/// lapses unless the sender writes again before it (then it is carried into the current epoch). Nothing here names the tip.
/// </summary>
internal sealed class TipBan
{
    public int Id { get; set; }

    public required byte[] SenderTag { get; set; }

    /// <summary>The day the ban lapses (00:00 UTC) unless carried over.</summary>
    public DateTime Until { get; set; }
}

internal sealed class TipConfiguration :
    IEntityTypeConfiguration<Tip>, IEntityTypeConfiguration<TipFile>, IEntityTypeConfiguration<TipReply>, IEntityTypeConfiguration<TipDraft>,
    IEntityTypeConfiguration<TipBan>
{
    public void Configure(EntityTypeBuilder<Tip> builder)
    {
        builder.ToTable("tips");
        builder.Property(t => t.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(t => t.ReceiptHash).HasMaxLength(32);
        builder.HasIndex(t => t.ReceiptHash).IsUnique();
        builder.Property(t => t.SenderTag).HasMaxLength(32);
        builder.HasIndex(t => new { t.SenderTag, t.SubmittedOn });
        builder.HasIndex(t => new { t.State, t.DecidedOn });
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

    public void Configure(EntityTypeBuilder<TipBan> builder)
    {
        builder.ToTable("tip_bans");
        builder.Property(b => b.SenderTag).HasMaxLength(32);
        builder.HasIndex(b => b.SenderTag);
    }
}
