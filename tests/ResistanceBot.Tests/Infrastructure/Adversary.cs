using System.Buffers.Binary;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>
/// Whoever seizes the server whole: the database's files (with their WAL), a dump, every log line, the metrics page and every
/// configuration value. It does what the bot's own code could do with all of that: opens every sealed value it finds under every
/// key it has or can recover, and recomputes every keyed hash of a Telegram id under every such key.
/// </summary>
internal sealed partial class Adversary
{
    private readonly List<(string Where, byte[] Bytes)> _evidence = [];
    private readonly List<(string Where, byte[] Value)> _columns = [];
    private readonly List<byte[]> _dataKeys;
    private readonly Pseudonyms _pseudonyms;
    private readonly List<byte[]> _erasableKeys = [];
    private List<(string Where, byte[] Value)>? _candidates;

    private Adversary(List<byte[]> dataKeys, string pseudonymKey)
    {
        _dataKeys = dataKeys;
        _pseudonyms = new Pseudonyms(Options.Create(new SecurityOptions { PseudonymKey = pseudonymKey }));
    }

    /// <summary>Every configuration value the bot ran with (the command line of the test host).</summary>
    public static Adversary WithConfiguration(string[] settings)
    {
        string? Setting(string key) => settings.FirstOrDefault(s => s.StartsWith($"--{key}=", StringComparison.Ordinal))?[(key.Length + 3)..];
        var dataKeys = settings.Where(s => s.StartsWith("--Security:DataKey=", StringComparison.Ordinal) || s.StartsWith("--Security:PreviousDataKeys:", StringComparison.Ordinal))
            .Select(s => Convert.FromBase64String(s[(s.IndexOf('=', StringComparison.Ordinal) + 1)..])).ToList();
        return new Adversary(dataKeys, Setting("Security:PseudonymKey")!);
    }

    /// <summary>Whether the database's raw files could be read (on PostgreSQL: a local, readable data directory).</summary>
    public bool HasRawFiles { get; private set; }

    public int SealedValuesOpened { get; private set; }

    public IReadOnlyList<byte[]> ErasableKeysFound => _erasableKeys;

    /// <summary>
    /// Every purpose string of the bot's code (sealing and keyed hashes alike): the source is public, so the adversary knows them.
    /// </summary>
    public static IReadOnlyList<string> Purposes { get; } = typeof(DataSealer).Assembly.GetTypes()
        .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
        .Where(f => f.IsLiteral && f.FieldType == typeof(string) && (f.Name.Contains("Purpose", StringComparison.Ordinal) || f.DeclaringType == typeof(ResistanceBot.Privacy.Purposes)))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Distinct()
        .ToList();

    public async Task SeizeDatabaseAsync(TestDatabase database)
    {
        await using (var db = StorageServices.CreateContext(database.Provider, database.ConnectionString))
        {
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync();
            var text = new StringBuilder();
            foreach (var table in db.Model.GetEntityTypes().Select(t => t.GetTableName()!).Distinct())
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT * FROM \"{table}\"";
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        switch (reader.GetValue(i))
                        {
                            case byte[] bytes:
                                _columns.Add(($"{table}.{reader.GetName(i)}", bytes));
                                break;
                            case DateTime time:
                                text.Append(time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).Append('\n');
                                break;
                            case var value when value is not DBNull:
                                text.Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
                                break;
                        }
                    }
                }
            }

            Take("every column as text", text.ToString());
        }

        _evidence.Add(("dump", await database.StoredBytesAsync()));
        _evidence.AddRange(_columns.Select(c => (c.Where, c.Value)));
        if (await database.RawFilesAsync() is { } files)
        {
            HasRawFiles = true;
            _evidence.AddRange(files);
        }

        // The erasable keys still stored, and any copy of an erased one the files still hold.
        foreach (var (_, plaintext) in Open(ErasableKeys.Purpose).Where(p => p.Plaintext.Length == 32))
        {
            if (!_erasableKeys.Any(k => k.AsSpan().SequenceEqual(plaintext)))
            {
                _erasableKeys.Add(plaintext);
            }
        }
    }

    public void Take(string where, string text)
    {
        _evidence.Add((where, Encoding.UTF8.GetBytes(text)));
        _candidates = null;
    }

    /// <summary>
    /// Every sealed value it can open: each stored value whole, and in the raw files every place that starts like a sealed value
    /// (version byte and key id), tried as 8 bytes (a chat id) and 32 bytes (a key) of plaintext.
    /// </summary>
    public List<(string Where, byte[] Plaintext)> OpenEverything()
    {
        var opened = Purposes.SelectMany(Open).ToList();
        SealedValuesOpened = opened.Count;
        return opened;
    }

    private IEnumerable<(string Where, byte[] Plaintext)> Open(string purpose)
    {
        foreach (var (where, value) in _columns.Concat(Candidates()))
        {
            foreach (var key in KeysFor(value))
            {
                if (TryOpen(key, value, purpose) is { } plaintext)
                {
                    yield return (where, plaintext);
                }
            }
        }
    }

    /// <summary>What might be sealed values in the raw bytes, found once: the data keys' headers and erasable families' headers.</summary>
    private List<(string Where, byte[] Value)> Candidates() => _candidates ??= [.. _evidence.SelectMany(e => Headers(e.Bytes).SelectMany(start =>
        new[] { 8, 32 }.Where(length => start + Aead.Overhead + length <= e.Bytes.Length)
            .Select(length => ($"{e.Where} at {start}", e.Bytes.AsSpan(start, Aead.Overhead + length).ToArray()))))];

    /// <summary>Offsets that begin a value sealed under a data key, or under an erasable key of a family the bot has.</summary>
    private IEnumerable<int> Headers(byte[] bytes)
    {
        var dataIds = _dataKeys.Select(DataSealer.KeyId).ToHashSet();
        for (var i = 0; i + Aead.Overhead <= bytes.Length; i++)
        {
            if (bytes[i] == 1 && dataIds.Contains(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(i + 1, 4))))
            {
                yield return i;
            }
            else if (bytes[i] == PeriodKey.SealVersion && bytes[i + 1] is 1 or 2 && bytes[i + 2] == 0)
            {
                yield return i; // family 1 or 2, and a day number below 65,536 (until the year 2149)
            }
        }
    }

    private List<byte[]> KeysFor(byte[] value) => value.Length < Aead.Overhead ? [] : value[0] switch
    {
        1 => _dataKeys,
        PeriodKey.SealVersion => _erasableKeys,
        _ => [],
    };

    private static byte[]? TryOpen(byte[] key, byte[] value, string purpose)
    {
        try
        {
            return Aead.Open(key, value, purpose);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Every keyed hash the bot's code computes of a Telegram id, under every key it has: found anywhere, it names the id.</summary>
    public IEnumerable<(string What, byte[] Hash)> HashesOf(long telegramId)
    {
        foreach (var purpose in Purposes)
        {
            yield return ($"pseudonym key, '{purpose}'", _pseudonyms.Of(purpose, telegramId));
            yield return ($"pseudonym key, '{purpose}' of the id as text", _pseudonyms.OfText(purpose, telegramId.ToString(CultureInfo.InvariantCulture)));
            foreach (var key in _erasableKeys)
            {
                yield return ($"erasable key, '{purpose}'", new PeriodKey(KeyScopes.Daily, 0, 1, key).Tag(purpose, telegramId));
            }
        }
    }

    /// <summary>Whether any evidence holds these bytes, as they are or as the hex a dump prints (a hash's short tag included).</summary>
    public bool Holds(byte[] needle) => WhereHeld(needle) is not null;

    /// <summary>The first piece of evidence that holds these bytes (as <see cref="Holds"/> looks for them), or null.</summary>
    public string? WhereHeld(byte[] needle)
    {
        var forms = new List<byte[]> { needle, Encoding.ASCII.GetBytes(Convert.ToHexStringLower(needle)), Encoding.ASCII.GetBytes(Convert.ToHexString(needle)) };
        if (needle.Length >= 16)
        {
            // The audit tag of earlier versions: the first four bytes of a keyed hash, in hex. Only a hash: the first four bytes of
            // an id are "00000001" for every id above 2^32, which a log line's hex dump of any value may hold by chance.
            forms.Add(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(needle, 0, 4)));
        }

        return _evidence.FirstOrDefault(e => forms.Any(f => e.Bytes.AsSpan().IndexOf(f) >= 0)).Where;
    }

    /// <summary>The id in every form a database or a log could hold it.</summary>
    public static IEnumerable<(string What, byte[] Needle)> FormsOf(long telegramId)
    {
        var text = telegramId.ToString(CultureInfo.InvariantCulture);
        yield return ("as text", Encoding.UTF8.GetBytes(text));
        yield return ("as UTF-16 text", Encoding.Unicode.GetBytes(text));
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, telegramId);
        yield return ("as a big-endian integer", bytes.ToArray());
        BinaryPrimitives.WriteInt64LittleEndian(bytes, telegramId);
        yield return ("as a little-endian integer", bytes);
    }

    /// <summary>
    /// Times within <paramref name="window"/> of <paramref name="instant"/> that any evidence holds: written out ("2031-07-23 14:05"),
    /// or as PostgreSQL stores a timestamp (microseconds since 2000-01-01, little-endian).
    /// </summary>
    public List<string> TimesNear(DateTimeOffset instant, TimeSpan window)
    {
        var found = new List<string>();
        foreach (var (where, bytes) in _evidence)
        {
            foreach (Match match in Written().Matches(Encoding.Latin1.GetString(bytes)))
            {
                if (DateTime.TryParse(match.Value.Replace('T', ' '), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
                    && (time - instant.UtcDateTime).Duration() <= window)
                {
                    found.Add($"{where}: {match.Value}");
                }
            }

            var target = (instant - new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero)).Ticks / 10;
            var span = window.Ticks / 10;
            for (var i = 0; i + 8 <= bytes.Length; i++)
            {
                var value = MemoryMarshal.Read<long>(bytes.AsSpan(i, 8));
                if (Math.Abs(value - target) <= span)
                {
                    found.Add($"{where} at {i}: a binary timestamp");
                }
            }
        }

        return found;
    }

    [GeneratedRegex(@"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?")]
    private static partial Regex Written();
}
