using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;

namespace ResistanceBot.Staff;

/// <summary>Told when a staff member loses their role (the vault drops their passphrase's wrap).</summary>
internal interface IStaffRemoved
{
    Task OnRemovedAsync(BotDbContext db, long userId, CancellationToken ct);
}

internal static class StaffFeature
{
    public static IServiceCollection AddStaff(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StaffOptions>().Bind(configuration.GetSection(StaffOptions.Section)).ValidateOnStart();
        services.AddSingleton<StaffDirectory>();
        services.AddCommand<StaffListCommand>("staff", StaffRole.Admin);
        services.AddCommand<AddStaffCommand>("addstaff", StaffRole.Admin);
        services.AddCommand<RemoveStaffCommand>("removestaff", StaffRole.Admin);
        return services;
    }

    internal static string RoleName(BotContext context, StaffRole role) => context.T("role." + role.ToString().ToLowerInvariant());
}

/// <summary>/staff: who has which role.</summary>
internal sealed class StaffListCommand(StaffDirectory directory) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var staff = await directory.ListAsync(context.Db, ct);
        await context.ReplyLinesAsync(context.T("staff.title") + "\n", staff.Select(s =>
            Html.Code(s.UserId.ToString(CultureInfo.InvariantCulture)) + " — " + StaffFeature.RoleName(context, s.Role)
            + (s.Configured ? " " + context.T("staff.configured") : "")), ct);
    }
}

/// <summary>/addstaff ID ROLE: gives a Telegram user a staff role (or changes it).</summary>
internal sealed class AddStaffCommand(StaffDirectory directory, CommandMenus menus) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var parts = context.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var userId) || userId <= 0
            || !Enum.TryParse<StaffRole>(parts[1], ignoreCase: true, out var role) || role == StaffRole.None || !Enum.IsDefined(role))
        {
            await context.ReplyAsync(context.T("staff.add.usage"), ct: ct);
            return;
        }

        var member = await context.Db.StaffMembers.FirstOrDefaultAsync(s => s.UserId == userId, ct);
        if (member is null)
        {
            member = new StaffMember { UserId = userId };
            context.Db.StaffMembers.Add(member);
        }

        member.Role = role;
        member.AddedBy = context.UserId;
        member.AddedOn = context.Time.GetUtcNow().UtcDateTime.Date;
        directory.Sign(member);
        await context.Db.SaveChangesAsync(ct);
        await context.AuditAsync("addstaff", "staff:" + userId.ToString(CultureInfo.InvariantCulture), role.ToString(), ct);
        await menus.PublishForAsync(userId, role, ct);
        await context.ReplyAsync(context.T("staff.added", userId, StaffFeature.RoleName(context, role)), ct: ct);
    }
}

/// <summary>/removestaff ID: takes a staff role away.</summary>
internal sealed class RemoveStaffCommand(StaffDirectory directory, CommandMenus menus, IEnumerable<IStaffRemoved> listeners) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (!long.TryParse(context.Arguments, NumberStyles.None, CultureInfo.InvariantCulture, out var userId))
        {
            await context.ReplyAsync(context.T("staff.remove.usage"), ct: ct);
            return;
        }

        if (directory.IsConfiguredAdmin(userId))
        {
            await context.ReplyAsync(context.T("staff.remove.configured", userId), ct: ct);
            return;
        }

        var removed = await context.Db.StaffMembers.Where(s => s.UserId == userId).ExecuteDeleteAsync(ct);
        if (removed == 0)
        {
            await context.ReplyAsync(context.T("staff.remove.none", userId), ct: ct);
            return;
        }

        foreach (var listener in listeners)
        {
            await listener.OnRemovedAsync(context.Db, userId, ct);
        }

        await context.AuditAsync("removestaff", "staff:" + userId.ToString(CultureInfo.InvariantCulture), ct: ct);
        await menus.PublishForAsync(userId, StaffRole.None, ct);
        await context.ReplyAsync(context.T("staff.removed", userId), ct: ct);
    }
}
