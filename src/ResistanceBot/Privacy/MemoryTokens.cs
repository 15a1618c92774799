using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace ResistanceBot.Privacy;

/// <summary>
/// Values behind random tokens, in memory only, each redeemable once before it expires: what a button points to when the
/// database must not tie it to a chat (a receipt's tip, a file's name before it is kept, a rejection's reason). A restart
/// forgets them, and the button then does nothing.
/// </summary>
/// <param name="time">The clock.</param>
/// <param name="bytes">Random bytes per token (written as hex; callback data holds 64 bytes in all).</param>
internal sealed class MemoryTokens<T>(TimeProvider time, int bytes = 12)
{
    private readonly ConcurrentDictionary<string, (T Value, DateTimeOffset Expires)> _entries = new(StringComparer.Ordinal);

    public string Issue(T value, TimeSpan lifetime)
    {
        var now = time.GetUtcNow();
        foreach (var stale in _entries.Where(e => e.Value.Expires < now).Select(e => e.Key).ToList())
        {
            _entries.TryRemove(stale, out _);
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
        _entries[token] = (value, now.Add(lifetime));
        return token;
    }

    public bool TryRedeem(string token, [MaybeNullWhen(false)] out T value)
    {
        if (_entries.TryRemove(token, out var entry) && entry.Expires >= time.GetUtcNow())
        {
            value = entry.Value;
            return true;
        }

        value = default;
        return false;
    }
}
