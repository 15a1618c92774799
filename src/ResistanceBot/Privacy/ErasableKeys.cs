using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ResistanceBot.Storage;

namespace ResistanceBot.Privacy;

/// <summary>
/// A family of erasable keys: one random key per period of <paramref name="PeriodDays"/> days. A key makes new values during its
/// period, still opens and recognises them during the next one (a draft begun before midnight, a ban carried over), and is
/// erased when that next period ends. Once it is gone, nothing derived from it can be recomputed or opened: not by the
/// operator, not by whoever seizes the server with every configuration value.
/// </summary>
/// <param name="Id">Written into every value sealed under the family, so that the right key is found.</param>
/// <param name="Name">For people: "daily", "tip epoch".</param>
/// <param name="PeriodDays">How long each key makes new values.</param>
internal sealed record KeyScope(byte Id, string Name, int PeriodDays);

internal static class KeyScopes
{
    /// <summary>For what lives a day at most: conversation keys, drafts, one-off messages in the outbox.</summary>
    public static readonly KeyScope Daily = new(1, "daily", 1);
}

/// <summary>One key of a family, in memory. <see cref="FirstDay"/> counts days since 1970-01-01 (UTC).</summary>
internal sealed class PeriodKey(KeyScope scope, int firstDay, int days, byte[] key)
{
    /// <summary>Sealed values start with this version byte; <see cref="DataSealer"/>'s start with 1.</summary>
    public const byte SealVersion = 2;

    public KeyScope Scope => scope;

    public int FirstDay => firstDay;

    /// <summary>The first day of the next period: new values are made under the next key from then on.</summary>
    public DateTime EndsOn => DateTime.UnixEpoch.AddDays(firstDay + days);

    /// <summary>The day this key is erased, and with it everything still derived from it.</summary>
    public DateTime ErasedOn => DateTime.UnixEpoch.AddDays(firstDay + (2 * days));

    /// <summary>The day (since 1970-01-01) this key is erased.</summary>
    public int ErasedDay => firstDay + (2 * days);

    internal byte[] Material => key;

    internal uint KeyId => KeyIdOf(scope.Id, firstDay);

    internal static uint KeyIdOf(byte scope, int firstDay) => ((uint)scope << 24) | ((uint)firstDay & 0xFF_FFFF);

    /// <summary>A keyed hash of a Telegram id for one purpose: unrelated to every other purpose and to every other key.</summary>
    public byte[] Tag(string purpose, long telegramId)
    {
        Span<byte> input = stackalloc byte[72];
        var n = Encoding.UTF8.GetBytes(purpose, input);
        input[n++] = 0;
        BinaryPrimitives.WriteInt64BigEndian(input[n..], telegramId);
        return HMACSHA256.HashData(key, input[..(n + 8)]);
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string purpose) => Aead.Seal(SealVersion, KeyId, key, plaintext, purpose);

    public byte[] SealInt64(long value, string purpose)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(buffer, value);
        return Seal(buffer, purpose);
    }
}

/// <summary>
/// The erasable keys of every family, kept sealed under <c>Security:DataKey</c> in <c>erasable_keys</c> so that a restart or a
/// second instance finds them, and cached here. The current key of a family is made on first need; keys past their life are
/// deleted by <see cref="EraseExpiredAsync"/> (and the database's own copies of the deleted rows by <see cref="Storage.Residue"/>).
/// </summary>
internal sealed class ErasableKeys(IServiceScopeFactory scopes, DataSealer sealer, IEnumerable<KeyScope> families, TimeProvider time) : IDisposable
{
    public const string Purpose = "erasable key";
    private static readonly TimeSpan Refresh = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile Snapshot? _snapshot;

    /// <summary>The live keys of every family as of one moment; replaced whole, never changed.</summary>
    private sealed record Snapshot(int Day, DateTimeOffset RefreshAfter, IReadOnlyDictionary<uint, PeriodKey> Keys);

    public static int DayOf(DateTimeOffset instant) => (int)Math.Floor(instant.ToUnixTimeSeconds() / 86_400.0);

    /// <summary>The key new values of this family are made with today.</summary>
    public async ValueTask<PeriodKey> CurrentAsync(KeyScope scope, CancellationToken ct) => (await LiveAsync(scope, ct))[0];

    /// <summary>The family's keys still alive: the current one first, then the previous one if it is not erased yet.</summary>
    public async ValueTask<IReadOnlyList<PeriodKey>> LiveAsync(KeyScope scope, CancellationToken ct)
    {
        var snapshot = await SnapshotAsync(scope, ct);
        var today = DayOf(time.GetUtcNow());
        return [.. snapshot.Keys.Values.Where(k => k.Scope.Id == scope.Id && k.FirstDay <= today && k.ErasedDay > today).OrderByDescending(k => k.FirstDay)];
    }

    /// <summary>Opens a value sealed under an erasable key; null when its key is erased (or it is not such a value).</summary>
    /// <exception cref="CryptographicException">The value was altered or sealed for another purpose.</exception>
    public async ValueTask<byte[]?> OpenAsync(ReadOnlyMemory<byte> sealedData, string purpose, CancellationToken ct)
    {
        if (Aead.Header(sealedData.Span) is not (PeriodKey.SealVersion, var keyId))
        {
            return null;
        }

        var snapshot = await SnapshotAsync(null, ct);
        return snapshot.Keys.TryGetValue(keyId, out var key) ? Aead.Open(key.Material, sealedData.Span, purpose) : null;
    }

    public async ValueTask<long?> OpenInt64Async(ReadOnlyMemory<byte> sealedData, string purpose, CancellationToken ct) =>
        await OpenAsync(sealedData, purpose, ct) is { Length: 8 } bytes ? BinaryPrimitives.ReadInt64BigEndian(bytes) : null;

    /// <summary>Makes the current key of every family, so that most are made by the hourly job, not by a reader's update.</summary>
    public async Task EnsureCurrentAsync(CancellationToken ct)
    {
        foreach (var family in families)
        {
            await CurrentAsync(family, ct);
        }
    }

    /// <summary>Deletes every key whose life is over. The caller erases the residue (<see cref="Storage.Residue"/>).</summary>
    public static Task<int> EraseExpiredAsync(BotDbContext db, TimeProvider time, CancellationToken ct)
    {
        var today = DayOf(time.GetUtcNow());
        return db.ErasableKeys.Where(k => k.FirstDay + (2 * k.Days) <= today).ExecuteDeleteAsync(ct);
    }

    /// <summary>Forgets the cached keys (wiping them): the next use reads the table again.</summary>
    public void Invalidate()
    {
        var old = Interlocked.Exchange(ref _snapshot, null);
        Wipe(old, keep: null);
    }

    private async ValueTask<Snapshot> SnapshotAsync(KeyScope? needed, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var today = DayOf(now);
        var snapshot = _snapshot;
        if (snapshot is not null && snapshot.Day == today && now < snapshot.RefreshAfter && (needed is null || HasCurrent(snapshot, needed, today)))
        {
            return snapshot;
        }

        await _lock.WaitAsync(ct);
        try
        {
            snapshot = _snapshot;
            if (snapshot is not null && snapshot.Day == today && now < snapshot.RefreshAfter && (needed is null || HasCurrent(snapshot, needed, today)))
            {
                return snapshot;
            }

            var next = new Snapshot(today, now.Add(Refresh), await LoadAsync(needed, today, snapshot, ct));
            Wipe(snapshot, keep: next);
            _snapshot = next;
            return next;
        }
        finally
        {
            _lock.Release();
        }
    }

    private static bool HasCurrent(Snapshot snapshot, KeyScope scope, int today) =>
        snapshot.Keys.ContainsKey(PeriodKey.KeyIdOf(scope.Id, FirstDayOf(scope, today)));

    private static int FirstDayOf(KeyScope scope, int day) => day - (((day % scope.PeriodDays) + scope.PeriodDays) % scope.PeriodDays);

    /// <summary>Reads the live keys, making the needed family's current key if it is missing. Keys already in memory are reused, so
    /// a key in use by another update is never wiped under it; only keys that are no longer live are wiped.</summary>
    private async Task<Dictionary<uint, PeriodKey>> LoadAsync(KeyScope? needed, int today, Snapshot? previous, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        if (needed is not null)
        {
            var first = FirstDayOf(needed, today);
            if (!await db.ErasableKeys.AnyAsync(k => k.Scope == needed.Id && k.FirstDay == first, ct))
            {
                var material = RandomNumberGenerator.GetBytes(32);
                db.ErasableKeys.Add(new ErasableKey { Scope = needed.Id, FirstDay = first, Days = needed.PeriodDays, SealedKey = sealer.Seal(material, Purpose) });
                CryptographicOperations.ZeroMemory(material);
                try
                {
                    // Not logged: the first key of a period is often made by the first update that needs it, and a log line
                    // would date that update.
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateException)
                {
                    db.ChangeTracker.Clear(); // another instance made it a moment ago: use theirs
                }
            }
        }

        var rows = await db.ErasableKeys.AsNoTracking().Where(k => k.FirstDay + (2 * k.Days) > today).ToListAsync(ct);
        var keys = new Dictionary<uint, PeriodKey>();
        foreach (var row in rows)
        {
            var id = PeriodKey.KeyIdOf(row.Scope, row.FirstDay);
            keys[id] = previous is not null && previous.Keys.TryGetValue(id, out var known)
                ? known
                : new PeriodKey(new KeyScope(row.Scope, "", row.Days), row.FirstDay, row.Days, sealer.Open(row.SealedKey, Purpose));
        }

        return keys;
    }

    private static void Wipe(Snapshot? old, Snapshot? keep)
    {
        if (old is null)
        {
            return;
        }

        foreach (var (id, key) in old.Keys)
        {
            if (keep is null || !keep.Keys.TryGetValue(id, out var kept) || !ReferenceEquals(kept, key))
            {
                CryptographicOperations.ZeroMemory(key.Material);
            }
        }
    }

    public void Dispose()
    {
        Invalidate();
        _lock.Dispose();
    }
}

/// <summary>An erasable key at rest: sealed under the DataKey, deleted when its life is over (see <see cref="ErasableKeys"/>).</summary>
internal sealed class ErasableKey
{
    public byte Scope { get; set; }

    /// <summary>The first day of the key's period, in days since 1970-01-01 (UTC).</summary>
    public int FirstDay { get; set; }

    /// <summary>The period's length when the key was made.</summary>
    public int Days { get; set; }

    public required byte[] SealedKey { get; set; }
}

internal sealed class ErasableKeyConfiguration : IEntityTypeConfiguration<ErasableKey>
{
    public void Configure(EntityTypeBuilder<ErasableKey> builder)
    {
        builder.ToTable("erasable_keys");
        builder.HasKey(k => new { k.Scope, k.FirstDay });
        builder.Property(k => k.SealedKey).HasMaxLength(80);
    }
}
