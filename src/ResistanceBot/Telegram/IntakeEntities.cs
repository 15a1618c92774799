using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ResistanceBot.Telegram;

/// <summary>
/// An update the bot took: claimed before its handler runs, completed after, so a redelivered update is handled once. The claim
/// time is exact only while the handler runs (another instance needs it to take over a crashed claim); once the update is
/// handled it is cut to the hour, all that pruning needs.
/// </summary>
internal sealed class ProcessedUpdate
{
    public int UpdateId { get; set; }

    public DateTime ClaimedAt { get; set; }

    public bool Completed { get; set; }
}

/// <summary>What the bot expects next in a chat (for example the parts of a tip), keyed by pseudonym and short-lived.</summary>
internal sealed class Conversation
{
    public required byte[] ChatKey { get; set; }

    public required string State { get; set; }

    public DateTime ExpiresAt { get; set; }
}

internal sealed class ProcessedUpdateConfiguration : IEntityTypeConfiguration<ProcessedUpdate>
{
    public void Configure(EntityTypeBuilder<ProcessedUpdate> builder)
    {
        builder.ToTable("processed_updates");
        builder.HasKey(u => u.UpdateId);
        builder.Property(u => u.UpdateId).ValueGeneratedNever();
        builder.HasIndex(u => u.ClaimedAt);
    }
}

internal sealed class ConversationConfiguration : IEntityTypeConfiguration<Conversation>
{
    public void Configure(EntityTypeBuilder<Conversation> builder)
    {
        builder.ToTable("conversations");
        builder.HasKey(c => c.ChatKey);
        builder.Property(c => c.ChatKey).HasMaxLength(32);
        builder.Property(c => c.State).HasMaxLength(32);
    }
}
