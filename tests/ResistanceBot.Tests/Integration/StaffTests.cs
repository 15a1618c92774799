using Microsoft.EntityFrameworkCore;
using ResistanceBot.Staff;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Integration;

public sealed class StaffTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private const long AdminId = 1_111_111;

    private static Task<BotHost> StartWithAdminAsync() => StartWith($"--Staff:AdminIds:0={AdminId}");

    private static async Task<BotHost> StartWith(params string[] extra)
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        return await BotHost.StartAsync(emulator, BotHost.DefaultSettings(emulator, db, extra), database: db);
    }

    [Fact]
    public async Task A_staff_command_from_a_reader_answers_like_an_unknown_command_and_is_audited()
    {
        await using var bot = await StartWithAdminAsync();
        var reader = bot.Emulator.User(2_000_123, "Reader");

        var unknown = await reader.AskAsync("/doesnotexist", Wait);
        var denied = await reader.AskAsync($"/addstaff {reader.Id} admin", Wait);

        Assert.Equal(unknown.Text, denied.Text);
        Assert.Equal(0, await bot.WithDbAsync(db => db.StaffMembers.CountAsync()));
        var audit = await bot.WithDbAsync(db => db.AuditEntries.SingleAsync());
        Assert.Equal("denied", audit.Action);
        Assert.Equal("/addstaff", audit.Target);
        Assert.Equal("reader", audit.Actor); // nothing more: no tag that could join the reader's other rows
    }

    [Fact]
    public async Task An_admin_adds_and_removes_staff_and_each_role_sees_only_its_own_commands()
    {
        await using var bot = await StartWithAdminAsync();
        var admin = bot.Emulator.User(AdminId, "Admin");
        var editor = bot.Emulator.User(3_000_001, "Editor");

        var added = await admin.AskAsync($"/addstaff {editor.Id} editor", Wait);
        Assert.Contains("is now editor", added.Text, StringComparison.Ordinal);
        var member = await bot.WithDbAsync(db => db.StaffMembers.SingleAsync());
        Assert.Equal((editor.Id, StaffRole.Editor, AdminId), (member.UserId, member.Role, member.AddedBy));

        var list = await admin.AskAsync("/staff", Wait);
        Assert.Contains($"{AdminId} — admin (from configuration)", list.Text, StringComparison.Ordinal);
        Assert.Contains($"{editor.Id} — editor", list.Text, StringComparison.Ordinal);

        // /help and the menus list commands in one fixed order, grouped by the role that needs them.
        var adminHelp = await admin.AskAsync("/help", Wait);
        var listed = adminHelp.Text.Split('\n').Where(l => l.StartsWith('/')).Select(l => l[1..l.IndexOf(' ', StringComparison.Ordinal)]).ToList();
        Assert.Equal(Telegram.CommandMenus.Order, listed);
        var headings = adminHelp.Text.Split('\n').Where(l => l is "For everyone" or "Moderators" or "Editors" or "Admins").ToList();
        Assert.Equal(["For everyone", "Moderators", "Editors", "Admins"], headings);
        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.Commands($"chat:{AdminId}", "en").Count > 0, Wait, "the admin's menu");
        Assert.Equal(Telegram.CommandMenus.Order, bot.Emulator.Commands($"chat:{AdminId}", "en").Select(c => c.Command));
        var editorHelp = await editor.AskAsync("/help", Wait);
        Assert.DoesNotContain("/addstaff", editorHelp.Text, StringComparison.Ordinal);
        Assert.Contains("/subscribe", editorHelp.Text, StringComparison.Ordinal);

        // The editor has their own menu scope; readers' menus never list staff commands.
        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.Commands($"chat:{editor.Id}", "ru").Count > 0, Wait, "the editor's menu");
        Assert.DoesNotContain(bot.Emulator.Commands("all_private_chats", "ru"), c => c.Command == "addstaff");
        Assert.Contains(bot.Emulator.Commands("all_private_chats", "ru"), c => c.Command == "subscribe" && c.Description == "Получать дайджест каждый день");
        Assert.Contains(bot.Emulator.Commands($"chat:{AdminId}", "uk"), c => c.Command == "addstaff");

        // Taking a role away asks first; asking changes nothing.
        var question = await admin.AskAsync($"/removestaff {editor.Id}", Wait);
        Assert.Equal($"Take away the role of user {editor.Id} (editor)?", question.Text);
        Assert.Equal(1, await bot.WithDbAsync(db => db.StaffMembers.CountAsync()));
        var removed = await Confirm.YesAsync(bot.Emulator, admin, question);
        Assert.Contains("no longer has a staff role", removed.Text, StringComparison.Ordinal);
        Assert.Equal(0, await bot.WithDbAsync(db => db.StaffMembers.CountAsync()));
        Assert.Empty(bot.Emulator.Commands($"chat:{editor.Id}", "ru"));

        var configured = await admin.AskAsync($"/removestaff {AdminId}", Wait);
        Assert.Contains("Staff:AdminIds", configured.Text, StringComparison.Ordinal);

        var actions = await bot.WithDbAsync(db => db.AuditEntries.OrderBy(a => a.Id).Select(a => a.Action + " " + a.Target + " by " + a.Actor).ToListAsync());
        Assert.Equal([$"addstaff staff:{editor.Id} by staff:{AdminId}", $"removestaff staff:{editor.Id} by staff:{AdminId}"], actions);
    }

    [Theory]
    [InlineData("/addstaff")]
    [InlineData("/addstaff abc editor")]
    [InlineData("/addstaff 123 overlord")]
    [InlineData("/addstaff -5 editor")]
    [InlineData("/addstaff 123 none")]
    public async Task Bad_addstaff_arguments_get_the_usage_and_change_nothing(string command)
    {
        await using var bot = await StartWithAdminAsync();
        var admin = bot.Emulator.User(AdminId, "Admin");

        var reply = await admin.AskAsync(command, Wait);

        Assert.StartsWith("Usage: /addstaff ID ROLE", reply.Text, StringComparison.Ordinal);
        Assert.Equal(0, await bot.WithDbAsync(db => db.StaffMembers.CountAsync()));
    }

    [Fact]
    public async Task A_command_addressed_to_another_bot_is_ignored_and_one_to_this_bot_is_served()
    {
        await using var bot = await StartWithAdminAsync();
        var user = bot.Emulator.User(2_000_124, "Reader");

        user.SendText("/start@some_other_bot");
        var reply = await user.AskAsync("/privacy@resistance_emulator_bot", Wait);

        Assert.Contains("What Telegram sees", reply.Text, StringComparison.Ordinal);
        Assert.Equal(1, user.BotMessageCount);
    }

    [Fact]
    public async Task A_staff_row_written_into_the_database_without_the_keys_grants_nothing_and_the_refusal_is_logged()
    {
        await using var bot = await StartWithAdminAsync();
        var intruder = bot.Emulator.User(2_000_125, "Intruder");
        await bot.WithDbAsync(async db =>
        {
            // What someone with write access to the database, but not the configuration, can do: a row, even a copied signature.
            db.StaffMembers.Add(new StaffMember { UserId = intruder.Id, Role = StaffRole.Admin, Signature = new byte[32] });
            return await db.SaveChangesAsync();
        });

        var unknown = (await intruder.AskAsync("/doesnotexist", Wait)).Text;
        Assert.Equal(unknown, (await intruder.AskAsync("/open 1", Wait)).Text);
        Assert.Equal(unknown, (await intruder.AskAsync("/staff", Wait)).Text);
        Assert.Contains(bot.Logs.Lines, l => l.EventId == 1801 && l.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.DoesNotContain(intruder.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), bot.Logs.AllText, StringComparison.Ordinal);
        Assert.Contains("denied /open", await bot.WithDbAsync(db => db.AuditEntries.Select(a => a.Action + " " + a.Target).ToListAsync()));

        // The same person added by an admin is staff: the bot signs what it writes.
        var admin = bot.Emulator.User(AdminId, "Admin");
        await bot.WithDbAsync(db => db.StaffMembers.Where(s => s.UserId == intruder.Id).ExecuteDeleteAsync());
        await admin.AskAsync($"/addstaff {intruder.Id} moderator", Wait);
        Assert.Equal("No letters are waiting.", (await intruder.AskAsync("/queue", Wait)).Text);
    }
}
