using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Fabric.Api.Auth;

/// <summary>
/// Validated tokens, each kept until min(its expiry, the cache time), at most <c>size</c> of them; keyed by the token's
/// SHA-256 so that no token is kept in memory in the clear.
/// </summary>
public sealed class TokenCache(int size, TimeSpan keep, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, (Caller Caller, DateTimeOffset Until)> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public Caller? Get(string token)
    {
        var key = Key(token);
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.Until > clock.GetUtcNow())
        {
            return entry.Caller;
        }

        _entries.TryRemove(key, out _);
        return null;
    }

    public void Put(string token, Caller caller, DateTimeOffset expires)
    {
        var until = clock.GetUtcNow() + keep;
        if (expires < until)
        {
            until = expires;
        }

        if (size == 0 || until <= clock.GetUtcNow())
        {
            return;
        }

        if (_entries.Count >= size)
        {
            Evict();
        }

        _entries[Key(token)] = (caller, until);
    }

    /// <summary>Drops the expired entries; when that frees nothing, the half that expires first.</summary>
    private void Evict()
    {
        var now = clock.GetUtcNow();
        foreach (var (key, entry) in _entries)
        {
            if (entry.Until <= now)
            {
                _entries.TryRemove(key, out _);
            }
        }

        if (_entries.Count >= size)
        {
            foreach (var (key, _) in _entries.OrderBy(e => e.Value.Until).Take(Math.Max(1, _entries.Count / 2)).ToArray())
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private static string Key(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
