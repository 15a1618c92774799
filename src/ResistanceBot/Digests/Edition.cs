using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ResistanceBot.Articles;

namespace ResistanceBot.Digests;

/// <summary>A released edition: its items as they were at release, and its Telegram parts in each language.</summary>
internal sealed class Edition
{
    public int Id { get; set; }

    /// <summary>№ shown to readers, counting from 1.</summary>
    public int Number { get; set; }

    /// <summary>The edition's date in <c>Digest:TimeZone</c>.</summary>
    public DateOnly Date { get; set; }

    public DateTime ReleasedAt { get; set; }

    /// <summary>The editor who pressed /publish; null when released by the schedule.</summary>
    public long? ReleasedBy { get; set; }

    public List<EditionItem> Items { get; set; } = [];

    public List<EditionPart> Parts { get; set; } = [];
}

/// <summary>A copy of an article or reader report as it went out, so later edits or purges do not change a past edition.</summary>
internal sealed class EditionItem
{
    public int Id { get; set; }

    public int EditionId { get; set; }

    public int Position { get; set; }

    public CandidateKind Kind { get; set; }

    public required string Title { get; set; }

    public string? Url { get; set; }

    public string? Source { get; set; }

    public DateTime? PublishedAt { get; set; }

    public string Summary { get; set; } = "";

    /// <summary>The article's readable text as it went out (<see cref="Articles.FullText"/>); null when none was found.</summary>
    public string? FullText { get; set; }

    /// <summary>The item's topics (<see cref="Articles.TopicSets"/>).</summary>
    public string Topics { get; set; } = "";
}

/// <summary>One Telegram message of an edition in one language, ready to send.</summary>
internal sealed class EditionPart
{
    public int Id { get; set; }

    public int EditionId { get; set; }

    public required string Language { get; set; }

    public int Index { get; set; }

    /// <summary>
    /// Which selection of the items this part belongs to: 0 is the whole edition; each other number is the items that readers
    /// of one choice of topics get (see <see cref="EditionVariants"/>).
    /// </summary>
    public int Variant { get; set; }

    public required string Html { get; set; }

    /// <summary>The "📖 Read here" buttons of the items in this part, as Bot API JSON; null when none has a full text.</summary>
    public string? ReplyMarkup { get; set; }
}

internal sealed class EditionConfiguration : IEntityTypeConfiguration<Edition>
{
    public void Configure(EntityTypeBuilder<Edition> builder)
    {
        builder.ToTable("editions");
        builder.HasKey(e => e.Id);
        builder.HasIndex(e => e.Number).IsUnique();
        builder.HasMany(e => e.Items).WithOne().HasForeignKey(i => i.EditionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(e => e.Parts).WithOne().HasForeignKey(p => p.EditionId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class EditionItemConfiguration : IEntityTypeConfiguration<EditionItem>
{
    public void Configure(EntityTypeBuilder<EditionItem> builder)
    {
        builder.ToTable("edition_items");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(i => i.Title).HasMaxLength(ArticleLimits.Title);
        builder.Property(i => i.Url).HasMaxLength(2048);
        builder.Property(i => i.Source).HasMaxLength(ArticleLimits.Source);
        builder.Property(i => i.Summary).HasMaxLength(4096);
        builder.Property(i => i.FullText).HasMaxLength(Articles.FullText.MaxLength * 2);
        builder.Property(i => i.Topics).HasMaxLength(Articles.ArticleLimits.Topics);
        builder.HasIndex(i => new { i.EditionId, i.Position }).IsUnique();
    }
}

internal sealed class EditionPartConfiguration : IEntityTypeConfiguration<EditionPart>
{
    public void Configure(EntityTypeBuilder<EditionPart> builder)
    {
        builder.ToTable("edition_parts");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Language).HasMaxLength(8);
        builder.Property(p => p.Html).HasMaxLength(40_000);
        builder.Property(p => p.ReplyMarkup).HasMaxLength(4000);
        builder.HasIndex(p => new { p.EditionId, p.Language, p.Variant, p.Index }).IsUnique();
    }
}
