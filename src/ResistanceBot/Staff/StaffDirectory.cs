using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Storage;

namespace ResistanceBot.Staff;

/// <summary>Whose role is what, read fresh for every update: a removed moderator loses their buttons at once.</summary>
internal sealed class StaffDirectory(IOptions<StaffOptions> options, IServiceScopeFactory scopes)
{
    public bool IsConfiguredAdmin(long userId) => options.Value.AdminIds.Contains(userId);

    public async Task<StaffRole> RoleOfAsync(long userId, CancellationToken ct)
    {
        if (IsConfiguredAdmin(userId))
        {
            return StaffRole.Admin;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        return await db.StaffMembers.AsNoTracking().Where(s => s.UserId == userId).Select(s => s.Role).FirstOrDefaultAsync(ct);
    }

    /// <summary>Everyone with a role: configured admins first, then the staff table.</summary>
    public async Task<IReadOnlyList<(long UserId, StaffRole Role, bool Configured)>> ListAsync(BotDbContext db, CancellationToken ct)
    {
        var stored = await db.StaffMembers.AsNoTracking().OrderBy(s => s.Role).ThenBy(s => s.UserId).ToListAsync(ct);
        return options.Value.AdminIds.Distinct().Select(id => (id, StaffRole.Admin, true))
            .Concat(stored.Where(s => !IsConfiguredAdmin(s.UserId)).Select(s => (s.UserId, s.Role, false)))
            .ToList();
    }
}
