using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ResistanceBot.Staff;

/// <summary>Staff roles. An admin can do everything an editor and a moderator can.</summary>
internal enum StaffRole
{
    None = 0,
    Moderator = 1,
    Editor = 2,
    Admin = 3,
}

/// <summary>A staff member added by an admin. Staff ids are not secret and are stored as they are.</summary>
internal sealed class StaffMember
{
    public long UserId { get; set; }

    public StaffRole Role { get; set; }

    public long AddedBy { get; set; }

    public DateTime AddedAt { get; set; }
}

internal sealed class StaffMemberConfiguration : IEntityTypeConfiguration<StaffMember>
{
    public void Configure(EntityTypeBuilder<StaffMember> builder)
    {
        builder.ToTable("staff");
        builder.HasKey(s => s.UserId);
        builder.Property(s => s.UserId).ValueGeneratedNever();
        builder.Property(s => s.Role).HasConversion<string>().HasMaxLength(16);
    }
}

/// <summary>
/// One line of the audit log: who did what to what. A non-staff actor is written as a short tag of their pseudonym,
/// never as their Telegram id.
/// </summary>
internal sealed class AuditEntry
{
    public long Id { get; set; }

    public DateTime At { get; set; }

    /// <summary>"staff:ID" or "reader:TAG".</summary>
    public required string Actor { get; set; }

    public required string Action { get; set; }

    public string? Target { get; set; }

    public string? Detail { get; set; }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("audit_log");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Actor).HasMaxLength(40);
        builder.Property(a => a.Action).HasMaxLength(40);
        builder.Property(a => a.Target).HasMaxLength(80);
        builder.Property(a => a.Detail).HasMaxLength(400);
        builder.HasIndex(a => a.At);
    }
}
