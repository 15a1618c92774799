using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Localization;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;

namespace ResistanceBot.Staff;

/// <summary>
/// Whose role is what, read fresh for every update: a removed moderator loses their buttons at once. Staff rows are signed with
/// a key from configuration and checked on every read, so that write access to the database alone grants no role.
/// </summary>
internal sealed partial class StaffDirectory(IOptions<StaffOptions> options, Pseudonyms pseudonyms, IServiceScopeFactory scopes, ILogger<StaffDirectory> logger)
{
    private const string Purpose = "staff row";

    private static readonly CompiledQuery<Func<BotDbContext, long, CancellationToken, Task<StaffMember?>>> StaffById =
        new(() => EF.CompileAsyncQuery((BotDbContext db, long userId, CancellationToken ct) => db.StaffMembers.AsNoTracking().FirstOrDefault(s => s.UserId == userId)));

    /// <summary>Staff ids found by the last reads of their role (staff ids are not secret: the audit log names them).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, bool> _seen = new();

    public bool IsConfiguredAdmin(long userId) => options.Value.AdminIds.Contains(userId);

    /// <summary>
    /// Whether the last read of this user's role found one: a hint for ordering updates, read from memory. It grants nothing;
    /// <see cref="RoleOfAsync(long, CancellationToken)"/> decides what an update may do, from the database, every time.
    /// </summary>
    public bool SeenAsStaff(long userId) => IsConfiguredAdmin(userId) || _seen.ContainsKey(userId);

    public async Task<StaffRole> RoleOfAsync(long userId, CancellationToken ct)
    {
        if (IsConfiguredAdmin(userId))
        {
            return StaffRole.Admin;
        }

        await using var scope = scopes.CreateAsyncScope();
        return await RoleOfAsync(scope.ServiceProvider.GetRequiredService<BotDbContext>(), userId, ct);
    }

    /// <summary>The same, read through the caller's context (an update's, which has its connection open already).</summary>
    public async Task<StaffRole> RoleOfAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        if (IsConfiguredAdmin(userId))
        {
            return StaffRole.Admin;
        }

        var row = await StaffById.For(db)(db, userId, ct);
        var role = row is not null && IsGenuine(row) ? row.Role : StaffRole.None;
        if (role == StaffRole.None)
        {
            _seen.TryRemove(userId, out _);
        }
        else
        {
            _seen[userId] = true;
        }

        return role;
    }

    /// <summary>Everyone with a role: configured admins first, then the staff table's genuine rows.</summary>
    public async Task<IReadOnlyList<(long UserId, StaffRole Role, bool Configured)>> ListAsync(BotDbContext db, CancellationToken ct)
    {
        var stored = await db.StaffMembers.AsNoTracking().OrderBy(s => s.Role).ThenBy(s => s.UserId).ToListAsync(ct);
        return options.Value.AdminIds.Distinct().Select(id => (id, StaffRole.Admin, true))
            .Concat(stored.Where(s => !IsConfiguredAdmin(s.UserId) && IsGenuine(s)).Select(s => (s.UserId, s.Role, false)))
            .ToList();
    }

    /// <summary>The language for a staff chat: the group's setting, or the member's own choice in /settings (by their reader pseudonym).</summary>
    public async Task<string> LanguageOfAsync(BotDbContext db, long chatId, CancellationToken ct)
    {
        if (chatId == options.Value.ModeratorChatId)
        {
            return options.Value.GroupLanguage;
        }

        var pseudonym = pseudonyms.Of(Purposes.Reader, chatId);
        return await db.Readers.AsNoTracking().Where(r => r.Pseudonym == pseudonym).Select(r => r.Language).FirstOrDefaultAsync(ct)
            ?? options.Value.GroupLanguage;
    }

    /// <summary>The nickname a staff member chose with /nickname, if any.</summary>
    public static Task<string?> NicknameOfAsync(BotDbContext db, long userId, CancellationToken ct) =>
        db.StaffProfiles.AsNoTracking().Where(p => p.UserId == userId).Select(p => (string?)p.Nickname).FirstOrDefaultAsync(ct);

    /// <summary>How staff notices name a staff member: their nickname, or their role ("a moderator"), never their id.</summary>
    public static string NameOf(Localizer strings, string language, string? nickname, StaffRole role) =>
        nickname ?? strings.Get(language, "mod.actor." + (role == StaffRole.None ? StaffRole.Moderator : role).ToString().ToLowerInvariant());

    /// <summary>Signs a row before it is saved; only the bot, holding the key, can make a row that grants a role.</summary>
    public void Sign(StaffMember member) => member.Signature = SignatureOf(member);

    private bool IsGenuine(StaffMember member)
    {
        if (member.Signature is { } signature && CryptographicOperations.FixedTimeEquals(signature, SignatureOf(member)))
        {
            return true;
        }

        LogRefused(logger, member.Signature is null);
        return false;
    }

    private byte[] SignatureOf(StaffMember member) =>
        pseudonyms.OfText(Purpose, member.UserId.ToString(CultureInfo.InvariantCulture) + ":" + member.Role.ToString());

    // No id in the line: whoever wrote the row may have used anybody's.
    [LoggerMessage(EventId = 1801, Level = LogLevel.Warning, Message = "A staff row failed its signature check and grants nothing (unsigned: {Unsigned}); re-add genuine staff with /addstaff")]
    private static partial void LogRefused(ILogger logger, bool unsigned);
}
