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
        services.AddOptions<StaffOptions>().Bind(configuration.GetSection(StaffOptions.Section))
            .Validate(o => Localization.Localizer.IsSupported(o.GroupLanguage), "Staff:GroupLanguage must be en, ru or uk.")
            .ValidateOnStart();
        services.AddSingleton<StaffDirectory>();
        services.AddSingleton<Confirmations>();
        services.AddCallback<ConfirmButtons>(Confirmations.Prefix);
        services.AddConfirmable<RemoveStaff>();
        services.AddCommand<StaffListCommand>("staff", StaffRole.Admin);
        services.AddCommand<AddStaffCommand>("addstaff", StaffRole.Admin);
        services.AddCommand<RemoveStaffCommand>("removestaff", StaffRole.Admin);
        services.AddCommand<NicknameCommand>("nickname", StaffRole.Moderator);
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

/// <summary>/removestaff ID: asks, then takes the staff role away (<see cref="RemoveStaff"/>).</summary>
internal sealed class RemoveStaffCommand(Confirmations confirmations) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (!long.TryParse(context.Arguments, NumberStyles.None, CultureInfo.InvariantCulture, out var userId))
        {
            await context.ReplyAsync(context.T("staff.remove.usage"), ct: ct);
            return;
        }

        await confirmations.AskAsync(context, RemoveStaff.Name, userId.ToString(CultureInfo.InvariantCulture), null, ct);
    }
}

/// <summary>Taking a role away, once confirmed: the role, the member's menu and what other slices hold for them (a passphrase's wrap).</summary>
internal sealed class RemoveStaff(StaffDirectory directory, CommandMenus menus, IEnumerable<IStaffRemoved> listeners) : IConfirmable
{
    public const string Name = "removestaff";

    public string Action => Name;

    public StaffRole Role => StaffRole.Admin;

    public async Task<Question> AskAsync(BotContext context, string argument, CancellationToken ct)
    {
        var userId = long.Parse(argument, CultureInfo.InvariantCulture);
        if (directory.IsConfiguredAdmin(userId))
        {
            return new Question(context.T("staff.remove.configured", userId), null);
        }

        var role = await directory.RoleOfAsync(userId, ct);
        return role == StaffRole.None
            ? new Question(context.T("staff.remove.none", userId), null)
            : new Question(context.T("confirm.removestaff", userId, StaffFeature.RoleName(context, role)), context.T("confirm.button.removestaff"));
    }

    public async Task<Done> DoAsync(BotContext context, string argument, string? note, CancellationToken ct)
    {
        var userId = long.Parse(argument, CultureInfo.InvariantCulture);
        if (directory.IsConfiguredAdmin(userId))
        {
            return new Done(context.T("staff.remove.configured", userId));
        }

        var removed = await context.Db.StaffMembers.Where(s => s.UserId == userId).ExecuteDeleteAsync(ct);
        if (removed == 0)
        {
            return new Done(context.T("staff.remove.none", userId));
        }

        await context.Db.StaffProfiles.Where(s => s.UserId == userId).ExecuteDeleteAsync(ct);
        foreach (var listener in listeners)
        {
            await listener.OnRemovedAsync(context.Db, userId, ct);
        }

        await context.AuditAsync("removestaff", "staff:" + userId.ToString(CultureInfo.InvariantCulture), ct: ct);
        await menus.PublishForAsync(userId, StaffRole.None, ct);
        return new Done(context.T("staff.removed", userId));
    }
}

/// <summary>/nickname NAME: what staff notices call this staff member instead of their role; /nickname alone goes back to the role.</summary>
internal sealed class NicknameCommand : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var name = string.Join(' ', context.Arguments.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (name.Length > StaffProfile.MaxNickname || name.Any(char.IsControl))
        {
            await context.ReplyAsync(context.T("staff.nickname.usage"), ct: ct);
            return;
        }

        await context.Db.StaffProfiles.Where(p => p.UserId == context.UserId).ExecuteDeleteAsync(ct);
        if (name.Length > 0)
        {
            context.Db.StaffProfiles.Add(new StaffProfile { UserId = context.UserId, Nickname = name });
            await context.Db.SaveChangesAsync(ct);
        }

        await context.AuditAsync("nickname", "staff:" + context.UserId.ToString(CultureInfo.InvariantCulture), ct: ct);
        await context.ReplyAsync(name.Length > 0 ? context.T("staff.nickname.set", name) : context.T("staff.nickname.cleared"), ct: ct);
    }
}
