using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ResistanceBot.Articles;

internal enum CandidateKind
{
    Article,

    /// <summary>An approved tip's redacted text, published as a reader report.</summary>
    ReaderReport,
}

internal enum CandidateState
{
    /// <summary>Waiting for an editor: listed by /candidates.</summary>
    New,

    /// <summary>In the next edition, at <see cref="Article.PickOrder"/>.</summary>
    Picked,

    Dropped,

    /// <summary>Went out in edition <see cref="Article.EditionId"/>.</summary>
    Published,
}

/// <summary>A candidate for an edition: an article from a feed or a link, or a reader report. Shown to editors as #Id.</summary>
internal sealed class Article
{
    public int Id { get; set; }

    public CandidateKind Kind { get; set; }

    public CandidateState State { get; set; }

    /// <summary>The canonical URL (tracking parameters removed); null for reader reports.</summary>
    public string? Url { get; set; }

    /// <summary>SHA-256 of the canonical URL without scheme and "www.": one article however it is linked.</summary>
    public string? UrlKey { get; set; }

    /// <summary>SHA-256 of the feed's GUID, to recognise an item whose link changed.</summary>
    public string? GuidKey { get; set; }

    public required string Title { get; set; }

    public string? Source { get; set; }

    public DateTime? PublishedAt { get; set; }

    public string? Language { get; set; }

    /// <summary>Plain text, cut at a word boundary.</summary>
    public string Summary { get; set; } = "";

    public int? FeedId { get; set; }

    public DateTime FoundAt { get; set; }

    public int? PickOrder { get; set; }

    public int? EditionId { get; set; }

    /// <summary>The article's readable text in <see cref="Articles.FullText"/>'s stored form; null until found or pasted.</summary>
    public string? FullText { get; set; }

    public FullTextStatus FullTextStatus { get; set; }

    /// <summary>The editors' topics for this item (<see cref="Topic.Key"/>s), space-separated and sorted; empty for none.</summary>
    public string Topics { get; set; } = "";
}

internal sealed class ArticleConfiguration : IEntityTypeConfiguration<Article>
{
    public void Configure(EntityTypeBuilder<Article> builder)
    {
        builder.ToTable("articles");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(a => a.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(a => a.Url).HasMaxLength(2048);
        builder.Property(a => a.UrlKey).HasMaxLength(64);
        builder.Property(a => a.GuidKey).HasMaxLength(64);
        builder.Property(a => a.Title).HasMaxLength(ArticleLimits.Title);
        builder.Property(a => a.Source).HasMaxLength(ArticleLimits.Source);
        builder.Property(a => a.Language).HasMaxLength(16);
        builder.Property(a => a.Summary).HasMaxLength(ArticleLimits.Summary + 8);
        builder.Property(a => a.FullText).HasMaxLength(Articles.FullText.MaxLength * 2);
        builder.Property(a => a.FullTextStatus).HasConversion<string>().HasMaxLength(16);
        builder.Property(a => a.Topics).HasMaxLength(ArticleLimits.Topics);
        builder.HasIndex(a => a.UrlKey).IsUnique();
        builder.HasIndex(a => new { a.FeedId, a.GuidKey });
        builder.HasIndex(a => new { a.State, a.FoundAt });
    }
}

/// <summary>How long each piece of an article may be: short enough that one item always fits one Telegram message.</summary>
internal static class ArticleLimits
{
    public const int Title = 300;
    public const int Source = 100;
    public const int Summary = 600;
    public const int Topics = 200;
}

/// <summary>A feed editors follow; polled on its own interval with conditional GET, backing off while it fails.</summary>
internal sealed class Feed
{
    public int Id { get; set; }

    public required string Url { get; set; }

    public string? Title { get; set; }

    public string? ETag { get; set; }

    public string? LastModified { get; set; }

    public int IntervalMinutes { get; set; } = 30;

    public DateTime NextPollAt { get; set; }

    public int Failures { get; set; }

    public string? LastError { get; set; }

    public DateTime? LastSuccessAt { get; set; }

    /// <summary>When the current run of failures began; null while the feed works.</summary>
    public DateTime? FailingSince { get; set; }

    /// <summary>Whether editors were told of the current run of failures (once, after a day).</summary>
    public bool FailureNoticeSent { get; set; }

    public long AddedBy { get; set; }

    public DateTime AddedAt { get; set; }
}

internal sealed class FeedConfiguration : IEntityTypeConfiguration<Feed>
{
    public void Configure(EntityTypeBuilder<Feed> builder)
    {
        builder.ToTable("feeds");
        builder.HasKey(f => f.Id);
        builder.Property(f => f.Url).HasMaxLength(2048);
        builder.Property(f => f.Title).HasMaxLength(ArticleLimits.Source);
        builder.Property(f => f.ETag).HasMaxLength(256);
        builder.Property(f => f.LastModified).HasMaxLength(64);
        builder.Property(f => f.LastError).HasMaxLength(300);
        builder.HasIndex(f => f.NextPollAt);
    }
}
