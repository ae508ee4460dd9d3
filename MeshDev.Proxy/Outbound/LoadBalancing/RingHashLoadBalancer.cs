using System.Text;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Proxy.Outbound.LoadBalancing;

/// <summary>Where a consistent hash takes its key from (Istio's consistentHash: httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName).</summary>
public sealed record HashKeySource(ConsistentHash.KeyOneofCase Kind, string Name)
{
    /// <summary>Set for a cookie with a ttl: a request without the cookie gets one issued (see <see cref="HashCookie"/>).</summary>
    public HashCookie? IssuedCookie { get; init; }

    public static HashKeySource From(ConsistentHash hash) => hash.KeyCase switch
    {
        ConsistentHash.KeyOneofCase.HttpHeaderName => new(hash.KeyCase, hash.HttpHeaderName),
        ConsistentHash.KeyOneofCase.HttpCookieName => new(hash.KeyCase, hash.HttpCookieName)
        {
            IssuedCookie = hash.HttpCookieTtlSet ? new HashCookie(hash.HttpCookieName, TimeSpan.FromMilliseconds(hash.HttpCookieTtlMs), hash.HttpCookiePath) : null,
        },
        ConsistentHash.KeyOneofCase.HttpQueryParameterName => new(hash.KeyCase, hash.HttpQueryParameterName),
        _ => new(hash.KeyCase, ""),
    };

    /// <summary>The request's key; null when it has none (the pick then falls back to random).</summary>
    public string? KeyOf(HttpContext context) => Kind switch
    {
        ConsistentHash.KeyOneofCase.HttpHeaderName => context.Request.Headers.TryGetValue(Name, out var header) ? header.ToString() : null,
        ConsistentHash.KeyOneofCase.HttpCookieName => context.Request.Cookies.TryGetValue(Name, out var cookie) ? Unquoted(cookie) : null,
        ConsistentHash.KeyOneofCase.HttpQueryParameterName => context.Request.Query.TryGetValue(Name, out var query) ? query.ToString() : null,
        ConsistentHash.KeyOneofCase.UseSourceIp => context.Connection.RemoteIpAddress?.ToString(),
        _ => null,
    };

    // Envoy hashes a cookie's value without the quotes it may be sent in (and issues its own cookies quoted).
    private static string? Unquoted(string? value) =>
        value is { Length: >= 2 } && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
}

/// <summary>
/// Envoy's RING_HASH: every endpoint gets an equal share of at least minimum_ring_size points on a 64-bit ring, and a
/// key goes to the first point at or after its hash. The ring is built once per snapshot over the healthy endpoints;
/// a point whose endpoint is not a candidate right now (ejected, or already tried) passes the key on to the next
/// point, so keys of the other endpoints stay where they are.
/// </summary>
public sealed class RingHashLoadBalancer
{
    /// <summary>Envoy's default minimum_ring_size.</summary>
    public const int DefaultRingSize = 1024;

    private readonly ulong[] _points;
    private readonly UpstreamEndpoint[] _owners;

    public RingHashLoadBalancer(ConsistentHash hash, UpstreamEndpoint[] endpoints)
    {
        Key = HashKeySource.From(hash);
        var ringSize = hash.MinimumRingSize == 0 ? DefaultRingSize : (int)Math.Min(hash.MinimumRingSize, 1 << 20);
        var perEndpoint = endpoints.Length == 0 ? 0 : (ringSize + endpoints.Length - 1) / endpoints.Length;
        var points = new List<(ulong Hash, UpstreamEndpoint Owner)>(perEndpoint * endpoints.Length);
        foreach (var endpoint in endpoints)
        {
            for (var i = 0; i < perEndpoint; i++)
            {
                points.Add((Hash($"{endpoint.Address}_{i}"), endpoint));
            }
        }

        points.Sort((a, b) => a.Hash.CompareTo(b.Hash));
        _points = points.Select(p => p.Hash).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    public HashKeySource Key { get; }

    /// <returns>The endpoint for the key among <paramref name="candidates"/>; null when the ring has none of them.</returns>
    public UpstreamEndpoint? Pick(string key, UpstreamEndpoint[] candidates)
    {
        if (_points.Length == 0)
        {
            return null;
        }

        var start = Array.BinarySearch(_points, Hash(key));
        if (start < 0)
        {
            start = ~start;
        }

        for (var step = 0; step < _points.Length; step++)
        {
            var owner = _owners[(start + step) % _points.Length];
            if (Array.IndexOf(candidates, owner) >= 0)
            {
                return owner;
            }
        }

        return null;
    }

    /// <summary>FNV-1a over UTF-8 with a 64-bit finaliser, so that nearby keys land far apart on the ring.</summary>
    public static ulong Hash(string text)
    {
        var hash = 14695981039346656037UL;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(text) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(text, buffer)] : Encoding.UTF8.GetBytes(text);
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return hash;
    }
}
