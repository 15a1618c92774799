using Microsoft.EntityFrameworkCore;
using ResistanceBot.Articles;
using ResistanceBot.Delivery;
using ResistanceBot.Digests;
using ResistanceBot.Staff;
using ResistanceBot.Subscriptions;
using ResistanceBot.Telegram;
using ResistanceBot.Tips;

namespace ResistanceBot.Storage;

/// <summary>
/// The one DbContext. Each provider has a derived type so that its migrations live apart
/// (Storage/Migrations/Sqlite, Storage/Migrations/Postgres); the model is the same.
/// </summary>
internal abstract class BotDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Reader> Readers => Set<Reader>();

    public DbSet<SubscriberCount> SubscriberCounts => Set<SubscriberCount>();

    public DbSet<StaffMember> StaffMembers => Set<StaffMember>();

    public DbSet<StaffProfile> StaffProfiles => Set<StaffProfile>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<ProcessedUpdate> ProcessedUpdates => Set<ProcessedUpdate>();

    public DbSet<Conversation> Conversations => Set<Conversation>();

    public DbSet<Article> Articles => Set<Article>();

    public DbSet<Feed> Feeds => Set<Feed>();

    public DbSet<Edition> Editions => Set<Edition>();

    public DbSet<EditionItem> EditionItems => Set<EditionItem>();

    public DbSet<Topic> Topics => Set<Topic>();

    public DbSet<EditionPart> EditionParts => Set<EditionPart>();

    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    public DbSet<ProgressMessage> ProgressMessages => Set<ProgressMessage>();

    public DbSet<Tip> Tips => Set<Tip>();

    public DbSet<TipPart> TipParts => Set<TipPart>();

    public DbSet<TipReply> TipReplies => Set<TipReply>();

    public DbSet<TipDraft> TipDrafts => Set<TipDraft>();

    public DbSet<Moderation.TipNotice> TipNotices => Set<Moderation.TipNotice>();

    public DbSet<Moderation.TipView> TipViews => Set<Moderation.TipView>();

    public DbSet<TipBan> TipBans => Set<TipBan>();

    public DbSet<Privacy.ErasableKey> ErasableKeys => Set<Privacy.ErasableKey>();

    public DbSet<Vault.VaultWrap> VaultWraps => Set<Vault.VaultWrap>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(BotDbContext).Assembly);

    /// <summary>
    /// Every <see cref="DateTime"/> the bot stores is UTC. SQLite hands them back without a kind and PostgreSQL
    /// refuses to store one without it, so the kind is made explicit both ways; <c>copy-to</c> depends on it.
    /// </summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }
}

/// <summary>Marks stored and loaded <see cref="DateTime"/> values as UTC (they are written as UTC everywhere).</summary>
internal sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Local ? v.ToUniversalTime() : DateTime.SpecifyKind(v, DateTimeKind.Utc),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

internal sealed class SqliteBotDbContext(DbContextOptions<SqliteBotDbContext> options) : BotDbContext(options);

internal sealed class PostgresBotDbContext(DbContextOptions<PostgresBotDbContext> options) : BotDbContext(options);
