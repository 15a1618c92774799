using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Staff;
using ResistanceBot.Storage;
using ResistanceBot.Telegram;
using Telegram.Bot.Types;

namespace ResistanceBot.Vault;

/// <summary>Told when the vault has just been unlocked (Tips offers reader reports that waited for it).</summary>
internal interface IVaultUnlocked
{
    Task OnUnlockedAsync(BotDbContext db, CancellationToken ct);
}

internal static class VaultFeature
{
    public const string UnlockState = "vault-unlock";
    public const string PassphraseState = "vault-passphrase";

    public static IServiceCollection AddVault(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<VaultOptions>().Bind(configuration.GetSection(VaultOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<VaultOptions>, VaultOptionsValidator>();
        services.AddSingleton<VaultSealer>();
        services.AddSingleton<VaultKey>();
        services.AddSingleton<UnlockAttempts>();
        services.AddSingleton<Enrollments>();
        services.AddSingleton<IStaffRemoved, VaultWrapEraser>();
        services.AddCommand<UnlockCommand>("unlock", StaffRole.Moderator);
        services.AddCommand<LockCommand>("lock", StaffRole.Moderator);
        services.AddCommand<PassphraseCommand>("passphrase", StaffRole.Moderator);
        services.AddCommand<VaultCommand>("vault", StaffRole.Admin);
        services.AddConversation<PassphraseConversation>(UnlockState);
        services.AddScoped<PassphraseConversation>();
        services.AddConversation<PassphraseConversation>(PassphraseState);
        return services;
    }

    internal static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture);
}

/// <summary>/unlock: the passphrase is asked for as the next message, which the bot deletes at once.</summary>
internal sealed class UnlockCommand(VaultKey vault, UnlockAttempts attempts, PassphraseConversation conversation) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (context.Arguments.Length > 0)
        {
            // "/unlock the passphrase" in one message: it must not stay in the chat either.
            await conversation.UnlockNowAsync(context, context.IncomingMessageId, context.Arguments, ct);
            return;
        }

        if (vault.OpenUntil is { } until)
        {
            await context.ReplyAsync(context.T("vault.open", VaultFeature.Time(until)), ct: ct);
            return;
        }

        if (!attempts.Allowed(context.UserId))
        {
            await context.ReplyAsync(context.T("vault.unlock.slow"), ct: ct);
            return;
        }

        await ConversationStore.SetAsync(context, VaultFeature.UnlockState, TimeSpan.FromMinutes(5), ct);
        await context.ReplyAsync(context.T("vault.unlock.prompt"), ct: ct);
    }
}

internal sealed class LockCommand(VaultKey vault) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        vault.Lock("a moderator locked it");
        await context.AuditAsync("vault:lock", ct: ct);
        await context.ReplyAsync(context.T("vault.locked.now"), ct: ct);
    }
}

/// <summary>/passphrase: a staff member sets (or changes) a passphrase of their own, while the vault is open.</summary>
internal sealed class PassphraseCommand(VaultKey vault, Enrollments enrollments) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        if (!vault.IsOpen)
        {
            await context.ReplyAsync(context.T("vault.locked"), ct: ct);
            return;
        }

        var userId = context.UserId;
        if (!enrollments.IsEnrolled(userId) && !await context.Db.VaultWraps.AnyAsync(w => w.UserId == userId, ct))
        {
            await context.ReplyAsync(context.T("vault.passphrase.not.enrolled"), ct: ct);
            return;
        }

        await ConversationStore.SetAsync(context, VaultFeature.PassphraseState, TimeSpan.FromMinutes(5), ct);
        await context.ReplyAsync(context.T("vault.passphrase.prompt", PassphraseWrap.MinimumPassphraseLength), ct: ct);
    }
}

/// <summary>
/// The message after /unlock or /passphrase: the passphrase. It leaves the chat first, whatever happens next, and is never
/// logged, stored or repeated; only the wrap derived from it (with Argon2id) is stored, for /passphrase.
/// </summary>
internal sealed partial class PassphraseConversation(
    VaultKey vault, UnlockAttempts attempts, Enrollments enrollments, IEnumerable<IVaultUnlocked> listeners, IOptions<VaultOptions> options, ILogger<PassphraseConversation> logger) : IConversationHandler
{
    public async Task HandleAsync(BotContext context, Message message, CancellationToken ct)
    {
        await ConversationStore.ClearAsync(context, ct);
        await DeleteAsync(context, message.Id, ct);
        if (!context.Has(StaffRole.Moderator) || message.Text is not { Length: > 0 } passphrase)
        {
            await context.ReplyAsync(context.T("vault.passphrase.none"), ct: ct);
            return;
        }

        if (context.ConversationState == VaultFeature.UnlockState)
        {
            await UnlockAsync(context, passphrase, ct);
        }
        else
        {
            await SetAsync(context, passphrase, ct);
        }
    }

    /// <summary>"/unlock the passphrase" in one message.</summary>
    public async Task UnlockNowAsync(BotContext context, int messageId, string passphrase, CancellationToken ct)
    {
        await DeleteAsync(context, messageId, ct);
        await UnlockAsync(context, passphrase, ct);
    }

    /// <summary>The passphrase's message leaves the chat before anything else; if it cannot, the user is told to delete it by hand.</summary>
    private static async Task DeleteAsync(BotContext context, int messageId, CancellationToken ct)
    {
        if ((await context.Sender.DeleteEachAsync(context.ChatId, [messageId], ct)).Count > 0)
        {
            await context.ReplyAsync(context.T("vault.passphrase.undeleted"), ct: ct);
        }
    }

    private async Task UnlockAsync(BotContext context, string passphrase, CancellationToken ct)
    {
        if (!attempts.Allowed(context.UserId))
        {
            await context.ReplyAsync(context.T("vault.unlock.slow"), ct: ct);
            return;
        }

        // The staff member's own wrap first, then the one from the configuration; Argon2id takes about a second each.
        var userId = context.UserId;
        var wraps = await context.Db.VaultWraps.AsNoTracking().Where(w => w.UserId == userId).Select(w => w.Wrap).ToListAsync(ct);
        if (options.Value.SealedPrivateKeyBytes is { } configured)
        {
            wraps.Add(configured);
        }

        NSec.Cryptography.Key? key = null;
        foreach (var wrap in wraps)
        {
            key = await Task.Run(() => PassphraseWrap.Unwrap(wrap, vault.PublicKey, passphrase), ct);
            if (key is not null)
            {
                break;
            }
        }

        if (key is null)
        {
            var left = attempts.Wrong(context.UserId);
            await context.AuditAsync("vault:wrong", ct: ct);
            LogWrong(logger, left);
            await context.ReplyAsync(left > 0 ? context.T("vault.unlock.wrong", left) : context.T("vault.unlock.slow"), ct: ct);
            return;
        }

        var until = vault.Unlock(key);
        await context.AuditAsync("vault:unlock", ct: ct);
        foreach (var listener in listeners)
        {
            await listener.OnUnlockedAsync(context.Db, ct);
        }

        await context.ReplyAsync(context.T("vault.unlocked", VaultFeature.Time(until)), ct: ct);
    }

    private async Task SetAsync(BotContext context, string passphrase, CancellationToken ct)
    {
        if (passphrase.Length < PassphraseWrap.MinimumPassphraseLength)
        {
            await context.ReplyAsync(context.T("vault.passphrase.short", PassphraseWrap.MinimumPassphraseLength), ct: ct);
            return;
        }

        // The same cost as the configured wrap (vault init measured it on this machine); else measured now.
        var cost = options.Value.SealedPrivateKeyBytes is { } configured && PassphraseWrap.CostOf(configured) is { } known
            ? known
            : PassphraseWrap.Calibrate(TimeSpan.FromSeconds(1));
        if (await Task.Run(() => vault.WrapFor(passphrase, cost), ct) is not { } wrap)
        {
            await context.ReplyAsync(context.T("vault.locked"), ct: ct);
            return;
        }

        var userId = context.UserId;
        var row = await context.Db.VaultWraps.FirstOrDefaultAsync(w => w.UserId == userId, ct);
        if (row is null)
        {
            context.Db.VaultWraps.Add(new VaultWrap { UserId = userId, Wrap = wrap });
        }
        else
        {
            row.Wrap = wrap;
        }

        await context.Db.SaveChangesAsync(ct);
        enrollments.Done(userId);
        await context.AuditAsync("vault:passphrase", ct: ct);
        await context.ReplyAsync(context.T("vault.passphrase.set"), ct: ct);
    }

    // Neither the passphrase nor who tried: a count, to notice guessing.
    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "A wrong vault passphrase was given; {Left} tries left this hour for that staff member")]
    private static partial void LogWrong(ILogger logger, int left);
}

/// <summary>/vault: whether it is open, who has a passphrase of their own; /vault add ID, /vault remove ID.</summary>
internal sealed class VaultCommand(VaultKey vault, Enrollments enrollments, StaffDirectory staff, IOptions<VaultOptions> options) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var parts = context.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            var members = await context.Db.VaultWraps.AsNoTracking().OrderBy(w => w.UserId).Select(w => w.UserId).ToListAsync(ct);
            var state = vault.OpenUntil is { } until ? context.T("vault.open", VaultFeature.Time(until)) : context.T("vault.locked.state");
            await context.ReplyAsync(context.T(
                "vault.status", state, options.Value.SealedPrivateKeyBytes is null ? context.T("vault.status.noconfig") : context.T("vault.status.config"),
                members.Count == 0 ? "—" : string.Join(", ", members.Select(m => m.ToString(CultureInfo.InvariantCulture)))), ct: ct);
            return;
        }

        if (parts.Length != 2 || parts[0] is not ("add" or "remove")
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var userId))
        {
            await context.ReplyAsync(context.T("vault.usage"), ct: ct);
            return;
        }

        if (parts[0] == "remove")
        {
            await context.Db.VaultWraps.Where(w => w.UserId == userId).ExecuteDeleteAsync(ct);
            enrollments.Done(userId);
            await context.AuditAsync("vault:remove", "staff:" + userId.ToString(CultureInfo.InvariantCulture), ct: ct);
            await context.ReplyAsync(context.T("vault.removed", userId), ct: ct);
            return;
        }

        if (!(await staff.RoleOfAsync(userId, ct)).Allows(StaffRole.Moderator))
        {
            await context.ReplyAsync(context.T("vault.add.not.moderator", userId), ct: ct);
            return;
        }

        if (!vault.IsOpen)
        {
            await context.ReplyAsync(context.T("vault.locked"), ct: ct);
            return;
        }

        enrollments.Add(userId);
        await context.AuditAsync("vault:add", "staff:" + userId.ToString(CultureInfo.InvariantCulture), ct: ct);
        await context.ReplyAsync(context.T("vault.added", userId), ct: ct);
    }
}

/// <summary>At most five wrong passphrases an hour per staff member, in memory (where guessing would happen).</summary>
internal sealed class UnlockAttempts(TimeProvider time)
{
    public const int PerHour = 5;
    private readonly ConcurrentDictionary<long, List<DateTimeOffset>> _wrong = new();

    public bool Allowed(long userId) => Left(userId) > 0;

    /// <returns>How many tries are left this hour.</returns>
    public int Wrong(long userId)
    {
        var list = _wrong.GetOrAdd(userId, _ => []);
        lock (list)
        {
            list.Add(time.GetUtcNow());
        }

        return Left(userId);
    }

    private int Left(long userId)
    {
        if (!_wrong.TryGetValue(userId, out var list))
        {
            return PerHour;
        }

        lock (list)
        {
            list.RemoveAll(t => time.GetUtcNow() - t > TimeSpan.FromHours(1));
            return Math.Max(0, PerHour - list.Count);
        }
    }
}

/// <summary>Staff members an admin has invited to set a passphrase of their own (for a day), in memory.</summary>
internal sealed class Enrollments(TimeProvider time)
{
    private readonly ConcurrentDictionary<long, DateTimeOffset> _invited = new();

    public void Add(long userId) => _invited[userId] = time.GetUtcNow().AddDays(1);

    public bool IsEnrolled(long userId) => _invited.TryGetValue(userId, out var until) && until > time.GetUtcNow();

    public void Done(long userId) => _invited.TryRemove(userId, out _);
}

/// <summary>A removed staff member's wrap goes with their role.</summary>
internal sealed class VaultWrapEraser(Enrollments enrollments) : IStaffRemoved
{
    public async Task OnRemovedAsync(BotDbContext db, long userId, CancellationToken ct)
    {
        await db.VaultWraps.Where(w => w.UserId == userId).ExecuteDeleteAsync(ct);
        enrollments.Done(userId);
    }
}
