using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using NSec.Cryptography;

namespace ResistanceBot.Vault;

internal sealed class VaultOptions
{
    public const string Section = "Vault";

    /// <summary>Base64 of the vault's X25519 public key: everything a tipster sends is sealed to it.</summary>
    public string? PublicKey { get; set; }

    /// <summary>Base64 of the vault's private key wrapped under a passphrase (<see cref="PassphraseWrap"/>); optional once staff have wraps of their own.</summary>
    public string? SealedPrivateKey { get; set; }

    /// <summary>How long the private key stays in memory after an /unlock.</summary>
    [Range(1, 24 * 60, ErrorMessage = "Vault:UnlockMinutes must be between 1 and 1440.")]
    public int UnlockMinutes { get; set; } = 60;

    internal static byte[]? Decode(string? value, int size)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var buffer = new byte[size + 8];
        return Convert.TryFromBase64String(value.Trim(), buffer, out var n) && n == size ? buffer[..size] : null;
    }

    internal byte[] PublicKeyBytes => Decode(PublicKey, SealedBox.KeySize) ?? throw new InvalidOperationException("Vault:PublicKey is not valid.");

    internal byte[]? SealedPrivateKeyBytes => string.IsNullOrWhiteSpace(SealedPrivateKey) ? null : Convert.FromBase64String(SealedPrivateKey.Trim());
}

internal sealed class VaultOptionsValidator : IValidateOptions<VaultOptions>
{
    private const string Hint = "run `dotnet run --project src/ResistanceBot -- vault init` and set the two settings it prints";

    public ValidateOptionsResult Validate(string? name, VaultOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.PublicKey))
        {
            return ValidateOptionsResult.Fail($"Vault:PublicKey is not set: {Hint} (environment variables Vault__PublicKey and Vault__SealedPrivateKey).");
        }

        if (VaultOptions.Decode(options.PublicKey, SealedBox.KeySize) is null)
        {
            return ValidateOptionsResult.Fail($"Vault:PublicKey must be the base64 public key that vault init printed: {Hint}.");
        }

        if (!string.IsNullOrWhiteSpace(options.SealedPrivateKey)
            && (!Convert.TryFromBase64String(options.SealedPrivateKey.Trim(), new byte[256], out var n) || PassphraseWrap.CostOf(Convert.FromBase64String(options.SealedPrivateKey.Trim()).AsSpan(0, n)) is null))
        {
            return ValidateOptionsResult.Fail($"Vault:SealedPrivateKey is not a sealed private key that vault init printed: {Hint}.");
        }

        return ValidateOptionsResult.Success;
    }
}

/// <summary>Seals to the vault with its public key alone: the bot can seal every tip, never open one.</summary>
internal sealed class VaultSealer(IOptions<VaultOptions> options)
{
    private readonly byte[] _publicKey = options.Value.PublicKeyBytes;

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string purpose) => SealedBox.Seal(_publicKey, plaintext, purpose);

    public byte[] PublicKey => _publicKey;
}

/// <summary>
/// The vault's private key while a moderator has it unlocked: in memory only (libsodium's guarded memory, through NSec's
/// <see cref="Key"/>), for <c>Vault:UnlockMinutes</c>, and wiped on /lock, when the time is up and when the bot stops.
/// Per instance: with several instances, each must be unlocked where it is used.
/// </summary>
internal sealed partial class VaultKey(IOptions<VaultOptions> options, TimeProvider time, ILogger<VaultKey> logger) : IDisposable
{
    private readonly System.Threading.Lock _gate = new();
    private Key? _key;
    private DateTimeOffset _until;
    private ITimer? _timer;

    public byte[] PublicKey { get; } = options.Value.PublicKeyBytes;

    /// <summary>When the vault locks again; null while it is locked.</summary>
    public DateTimeOffset? OpenUntil
    {
        get
        {
            lock (_gate)
            {
                return _key is null ? null : _until;
            }
        }
    }

    public bool IsOpen => OpenUntil is not null;

    /// <summary>Holds <paramref name="key"/> (and owns it) until the time is up.</summary>
    public DateTimeOffset Unlock(Key key)
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _key?.Dispose();
            _key = key;
            var lifetime = TimeSpan.FromMinutes(options.Value.UnlockMinutes);
            _until = time.GetUtcNow().Add(lifetime);
            _timer = time.CreateTimer(_ => Lock("the time was up"), null, lifetime, Timeout.InfiniteTimeSpan);
        }

        LogUnlocked(logger, options.Value.UnlockMinutes);
        return _until;
    }

    public void Lock(string why)
    {
        if (Wipe())
        {
            LogLocked(logger, why);
        }
    }

    /// <returns>Whether there was a key to wipe.</returns>
    private bool Wipe()
    {
        lock (_gate)
        {
            if (_key is null)
            {
                return false;
            }

            _timer?.Dispose();
            _timer = null;
            _key.Dispose(); // libsodium zeroes and frees the key's memory
            _key = null;
            return true;
        }
    }

    /// <summary>Opens a box sealed to the vault. Locked: <see cref="VaultLockedException"/>; a box that does not open: null.</summary>
    public byte[]? Open(ReadOnlySpan<byte> sealedBox, string purpose)
    {
        lock (_gate)
        {
            return _key is null ? throw new VaultLockedException() : SealedBox.Open(_key, sealedBox, purpose);
        }
    }

    /// <summary>A wrap of the private key under another staff member's passphrase; null while locked.</summary>
    public byte[]? WrapFor(string passphrase, PassphraseWrap.Cost cost)
    {
        lock (_gate)
        {
            if (_key is null)
            {
                return null;
            }

            var raw = _key.Export(KeyBlobFormat.RawPrivateKey);
            try
            {
                return PassphraseWrap.Wrap(raw, PublicKey, passphrase, cost);
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(raw);
            }
        }
    }

    /// <summary>At shutdown: wiped, without a log line (the loggers may be gone already).</summary>
    public void Dispose() => Wipe();

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "The vault was unlocked for {Minutes} min")]
    private static partial void LogUnlocked(ILogger logger, int minutes);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "The vault was locked: {Why}")]
    private static partial void LogLocked(ILogger logger, string why);
}

internal sealed class VaultLockedException() : InvalidOperationException("The vault is locked.");

/// <summary>A staff member's own wrap of the vault's private key, under a passphrase only they know. Staff ids are not secret.</summary>
internal sealed class VaultWrap
{
    public long UserId { get; set; }

    public required byte[] Wrap { get; set; }
}

internal sealed class VaultWrapConfiguration : IEntityTypeConfiguration<VaultWrap>
{
    public void Configure(EntityTypeBuilder<VaultWrap> builder)
    {
        builder.ToTable("vault_wraps");
        builder.HasKey(w => w.UserId);
        builder.Property(w => w.UserId).ValueGeneratedNever();
        builder.Property(w => w.Wrap).HasMaxLength(128);
    }
}
