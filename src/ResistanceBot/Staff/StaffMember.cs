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

/// <summary>The one rule of what a role may do; every check of a role (commands, buttons, menus, notices) asks it.</summary>
internal static class StaffRoles
{
    /// <summary>Whether someone with <paramref name="role"/> may do what needs <paramref name="required"/>: anyone may do a reader's part, an admin may do an editor's and a moderator's.</summary>
    public static bool Allows(this StaffRole role, StaffRole required) => required == StaffRole.None || role == required || role == StaffRole.Admin;
}

/// <summary>
/// A staff member added by an admin. Staff ids are not secret and are stored as they are; the row is signed (see
/// <see cref="StaffDirectory"/>), so a row written into the database without the keys grants nothing.
/// </summary>
internal sealed class StaffMember
{
    public long UserId { get; set; }

    public StaffRole Role { get; set; }

    /// <summary>HMAC of the user id and role under a key from configuration; null on rows from before signing (they grant nothing).</summary>
    public byte[]? Signature { get; set; }

    public long AddedBy { get; set; }

    /// <summary>The day (00:00 UTC): no exact time is kept beside the tip line.</summary>
    public DateTime AddedOn { get; set; }
}

internal sealed class StaffMemberConfiguration : IEntityTypeConfiguration<StaffMember>
{
    public void Configure(EntityTypeBuilder<StaffMember> builder)
    {
        builder.ToTable("staff");
        builder.HasKey(s => s.UserId);
        builder.Property(s => s.UserId).ValueGeneratedNever();
        builder.Property(s => s.Role).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.Signature).HasMaxLength(32);
    }
}

/// <summary>
/// What staff notices call a staff member instead of their id (which is not secret, but a group's members need not learn it).
/// Kept apart from <see cref="StaffMember"/> so that configured admins, who have no row there, can have one too; a row here grants nothing.
/// </summary>
internal sealed class StaffProfile
{
    public const int MaxNickname = 32;

    public long UserId { get; set; }

    public required string Nickname { get; set; }
}

internal sealed class StaffProfileConfiguration : IEntityTypeConfiguration<StaffProfile>
{
    public void Configure(EntityTypeBuilder<StaffProfile> builder)
    {
        builder.ToTable("staff_profiles");
        builder.HasKey(s => s.UserId);
        builder.Property(s => s.UserId).ValueGeneratedNever();
        builder.Property(s => s.Nickname).HasMaxLength(StaffProfile.MaxNickname * 2);
    }
}

/// <summary>
/// One line of the audit log: who did what to what, and on which day (never the time: entries about tips must not date them).
/// A reader is written as "reader" and nothing more, so an entry joins no other row.
/// </summary>
internal sealed class AuditEntry
{
    public long Id { get; set; }

    /// <summary>The day, at 00:00 UTC.</summary>
    public DateTime On { get; set; }

    /// <summary>"staff:ID" or "reader".</summary>
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
        builder.HasIndex(a => a.On);
    }
}
