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

internal enum TipPartKind
{
    Text,
    Photo,
    Document,
}

/// <summary>
/// A submitted tip. Its contents are sealed to the vault (a seized server, keys and all, opens none of them while it is locked).
/// Nothing here names its sender for longer than the current epoch: the sender tag is a keyed hash under the epoch's erasable
/// key (for limits and bans only), erased when the epoch ends; the receipt is kept only as a keyed hash; every time is a day.
/// </summary>
internal sealed class Tip
{
    public int Id { get; set; }

    public TipState State { get; set; }

    /// <summary>The day of submission (00:00 UTC): enough for "age", too coarse to match against traffic.</summary>
    public DateTime SubmittedOn { get; set; }

    /// <summary>HMAC of the receipt code; the code itself is never stored.</summary>
    public required byte[] ReceiptHash { get; set; }

    /// <summary>
    /// The public half of a key derived from the receipt: replies are sealed to it, so only whoever holds the receipt reads them.
    /// Null on tips from before replies were sealed so (set at the tipster's next /check).
    /// </summary>
    public byte[]? ReplyKey { get; set; }

    /// <summary>Tag of the sender under the current tip epoch's key; null once that epoch is over (or after /forget).</summary>
    public byte[]? SenderTag { get; set; }

    /// <summary>The day the tag's epoch ends, when the tag is erased.</summary>
    public DateTime? SenderTagUntil { get; set; }

    /// <summary>The text that may be published, set by a moderator; sealed to the vault.</summary>
    public byte[]? SealedRedacted { get; set; }

    /// <summary>Approved with a text for publication while the vault was locked: it becomes a reader report at the next /unlock.</summary>
    public bool ReportPending { get; set; }

    /// <summary>
    /// Opt-in only: the chat to tell once of news, sealed under the tip epoch's erasable key. Erased when its nudge is queued,
    /// at the decision, on <see cref="ReplyRouteUntil"/>, or by /forget, whichever comes first.
    /// </summary>
    public byte[]? SealedReplyRoute { get; set; }

    /// <summary>The day the route is erased at the latest: 14 days after the opt-in, or earlier when its key goes first.</summary>
    public DateTime? ReplyRouteUntil { get; set; }

    /// <summary>The day of the decision.</summary>
    public DateTime? DecidedOn { get; set; }

    public List<TipPart> Parts { get; set; } = [];

    public List<TipReply> Replies { get; set; } = [];
}

/// <summary>
/// A piece of a tip, text or a file, sealed to the vault as it arrived. While the tip is a draft the part belongs to the
/// draft (<see cref="DraftKey"/>); /send hands it to the tip without opening it.
/// </summary>
internal sealed class TipPart
{
    public long Id { get; set; }

    public int? TipId { get; set; }

    public byte[]? DraftKey { get; set; }

    public int Position { get; set; }

    public TipPartKind Kind { get; set; }

    /// <summary>For files: what the bytes are (sniffed, never taken from the name).</summary>
    public MediaKind Media { get; set; }

    /// <summary>False for files the bot could not clean: moderators are told "metadata not removed".</summary>
    public bool Cleaned { get; set; }

    /// <summary>
    /// A file the bot could not clean, waiting for the tipster to keep it (its metadata with it) or drop it. /send leaves held
    /// parts out of the tip.
    /// </summary>
    public bool Held { get; set; }

    /// <summary>For files: the extension of the neutral name moderators see (".mp4", ".docx"), from the file's content.</summary>
    public string? Extension { get; set; }

    public required byte[] SealedContent { get; set; }

    /// <summary>The file's own name, sealed to the vault, only when the tipster chose to keep it; else null.</summary>
    public byte[]? SealedName { get; set; }
}

/// <summary>A moderator's reply to a tip, sealed to the tip's <see cref="Tip.ReplyKey"/>: only /check with the receipt reads it.</summary>
internal sealed class TipReply
{
    public int Id { get; set; }

    public int TipId { get; set; }

    /// <summary>The day of the reply.</summary>
    public DateTime On { get; set; }

    public required byte[] SealedText { get; set; }

    /// <summary>Sealed to the vault instead (a tip from before reply keys): /check shows it while the vault is open, and reseals it.</summary>
    public bool ToVault { get; set; }
}

/// <summary>
/// A tip being written: keyed by a tag under the day's erasable key, its bookkeeping (chat, messages, counts) sealed under that
/// key; its parts are <see cref="TipPart"/> rows sealed to the vault. Gone when sent, cancelled or expired (its messages are then
/// deleted from the chat, and its parts with it).
/// </summary>
internal sealed class TipDraft
{
    [Key]
    public required byte[] DraftKey { get; set; }

    public required byte[] SealedState { get; set; }

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
    IEntityTypeConfiguration<Tip>, IEntityTypeConfiguration<TipPart>, IEntityTypeConfiguration<TipReply>, IEntityTypeConfiguration<TipDraft>,
    IEntityTypeConfiguration<TipBan>
{
    public void Configure(EntityTypeBuilder<Tip> builder)
    {
        builder.ToTable("tips");
        builder.Property(t => t.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(t => t.ReceiptHash).HasMaxLength(32);
        builder.HasIndex(t => t.ReceiptHash).IsUnique();
        builder.Property(t => t.ReplyKey).HasMaxLength(32);
        builder.Property(t => t.SenderTag).HasMaxLength(32);
        builder.HasIndex(t => new { t.SenderTag, t.SubmittedOn });
        builder.HasIndex(t => new { t.State, t.DecidedOn });
        builder.HasMany(t => t.Parts).WithOne().HasForeignKey(p => p.TipId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(t => t.Replies).WithOne().HasForeignKey(r => r.TipId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<TipPart> builder)
    {
        builder.ToTable("tip_parts");
        builder.Property(p => p.Kind).HasConversion<string>().HasMaxLength(8);
        builder.Property(p => p.Media).HasConversion<string>().HasMaxLength(8);
        builder.Property(p => p.Extension).HasMaxLength(8);
        builder.Property(p => p.DraftKey).HasMaxLength(32);
        builder.HasIndex(p => p.DraftKey);
        // A draft's parts go with the draft (expired, cancelled, forgotten) by the database's own cascade.
        builder.HasOne<TipDraft>().WithMany().HasForeignKey(p => p.DraftKey).HasPrincipalKey(d => d.DraftKey).OnDelete(DeleteBehavior.Cascade);
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

/// <summary>
/// Letters received in the week that begins on <see cref="Monday"/>. A week is the finest a chart may show of letters: a day
/// or an hour beside a tip would help date it, and the tip line dates letters to the day only while they are stored.
/// </summary>
internal sealed record LettersInWeek(DateOnly Monday, int Count)
{
    public static DateOnly MondayOf(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
}

/// <summary>The tip line's figures for the editors' chart: letters by the week they arrived, never finer.</summary>
internal static class TipFigures
{
    /// <summary>Letters still stored that arrived from <paramref name="first"/> on, counted by week (Monday to Sunday, UTC).</summary>
    public static async Task<IReadOnlyList<LettersInWeek>> ByWeekAsync(Storage.BotDbContext db, DateOnly first, CancellationToken ct)
    {
        var since = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var days = await db.Tips.Where(t => t.SubmittedOn >= since).GroupBy(t => t.SubmittedOn)
            .Select(g => new { Day = g.Key, Count = g.Count() }).ToListAsync(ct);
        return [.. days.GroupBy(d => LettersInWeek.MondayOf(DateOnly.FromDateTime(d.Day)))
            .Select(w => new LettersInWeek(w.Key, w.Sum(d => d.Count))).OrderBy(w => w.Monday)];
    }
}
