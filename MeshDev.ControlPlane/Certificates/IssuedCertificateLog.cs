using System.Security.Cryptography.X509Certificates;

namespace MeshDev.ControlPlane.Certificates;

/// <summary>The latest certificate issued to a proxy, and how many it has had since the control plane started.</summary>
public sealed record IssuedCertificate(
    string ProxyId,
    string Identity,
    string SerialNumber,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    DateTimeOffset IssuedAt,
    long IssuedCount);

/// <summary>
/// Remembers the latest certificate per proxy id (a proxy renews at half of its lifetime, so keeping every one
/// would only grow). Bounded: past <see cref="Capacity"/> proxies the one served longest ago is forgotten.
/// </summary>
public sealed class IssuedCertificateLog
{
    public const int Capacity = 4096;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, IssuedCertificate> _latest = new(StringComparer.Ordinal);

    public void Record(string proxyId, X509Certificate2 certificate, string identity, DateTimeOffset issuedAt)
    {
        lock (_lock)
        {
            var count = _latest.TryGetValue(proxyId, out var previous) ? previous.IssuedCount + 1 : 1;
            if (previous is null && _latest.Count >= Capacity)
            {
                _latest.Remove(_latest.Values.MinBy(c => c.IssuedAt)!.ProxyId);
            }

            _latest[proxyId] = new IssuedCertificate(
                proxyId,
                identity,
                certificate.SerialNumber,
                new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
                new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
                issuedAt,
                count);
        }
    }

    public IReadOnlyList<IssuedCertificate> Latest()
    {
        lock (_lock)
        {
            return [.. _latest.Values.OrderBy(c => c.ProxyId, StringComparer.Ordinal)];
        }
    }
}
