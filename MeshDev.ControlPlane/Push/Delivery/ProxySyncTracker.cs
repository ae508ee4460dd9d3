using System.Collections.Concurrent;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>
/// Per-proxy record of pushes, ACKs and NACKs. An ACK or NACK counts only for the latest nonce: an answer to an
/// older push says nothing about what the proxy runs now.
/// </summary>
public sealed partial class ProxySyncTracker
{
    private readonly ConcurrentDictionary<string, ProxySyncStatus> _statuses = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger<ProxySyncTracker> _logger;

    public ProxySyncTracker(IWorkloadRegistry registry, TimeProvider time, ILogger<ProxySyncTracker> logger)
    {
        _time = time;
        _logger = logger;
        registry.Changed += change =>
        {
            if (change.Kind == RegistryChangeKind.Removed)
            {
                _statuses.TryRemove(change.ProxyId, out _);
            }
        };
    }

    public ProxySyncStatus Get(string proxyId) => _statuses.GetValueOrDefault(proxyId, ProxySyncStatus.Empty);

    /// <summary>A new stream starts with nothing sent; what the proxy says it applied counts as acknowledged.</summary>
    public void OnConnected(string proxyId, string appliedVersion) =>
        _statuses.AddOrUpdate(proxyId,
            _ => Connected(ProxySyncStatus.Empty, appliedVersion),
            (_, current) => Connected(current, appliedVersion));

    public void OnCompiled(string proxyId, long configVersion) =>
        _statuses.AddOrUpdate(proxyId,
            _ => new ProxySyncStatus { ConfigVersion = configVersion },
            (_, current) => current with { ConfigVersion = Math.Max(configVersion, current.ConfigVersion ?? 0) });

    public void OnSent(string proxyId, string version, string nonce)
    {
        var now = _time.GetUtcNow();
        _statuses.AddOrUpdate(proxyId,
            _ => new ProxySyncStatus { SentVersion = version, SentNonce = nonce, SentAt = now, LastPushAt = now },
            (_, current) => current with { SentVersion = version, SentNonce = nonce, SentAt = now, LastPushAt = now });
    }

    /// <returns>false when the ACK answers an older push and was ignored.</returns>
    public bool OnAck(string proxyId, SnapshotAck ack)
    {
        var now = _time.GetUtcNow();
        if (!TryUpdateForNonce(proxyId, ack.Nonce, current => current with { AckedVersion = ack.Version, AckedAt = now }))
        {
            LogStale(proxyId, "ACK", ack.Version, ack.Nonce);
            return false;
        }

        LogAck(proxyId, ack.Version);
        return true;
    }

    /// <returns>false when the NACK answers an older push and was ignored.</returns>
    public bool OnNack(string proxyId, SnapshotNack nack)
    {
        var rejection = new SnapshotRejection(nack.Version, nack.Reason, _time.GetUtcNow());
        if (!TryUpdateForNonce(proxyId, nack.Nonce, current => current with { LastNack = rejection }))
        {
            LogStale(proxyId, "NACK", nack.Version, nack.Nonce);
            return false;
        }

        LogNack(proxyId, nack.Version, nack.Reason);
        return true;
    }

    private ProxySyncStatus Connected(ProxySyncStatus current, string appliedVersion) => current with
    {
        SentVersion = null,
        SentNonce = null,
        SentAt = null,
        AckedVersion = string.IsNullOrEmpty(appliedVersion) ? null : appliedVersion,
        AckedAt = string.IsNullOrEmpty(appliedVersion) ? null : _time.GetUtcNow(),
    };

    private bool TryUpdateForNonce(string proxyId, string nonce, Func<ProxySyncStatus, ProxySyncStatus> update)
    {
        while (_statuses.TryGetValue(proxyId, out var current))
        {
            if (current.SentNonce is null || current.SentNonce != nonce)
            {
                return false;
            }

            if (_statuses.TryUpdate(proxyId, update(current), current))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Proxy {ProxyId} ACKed version {Version}")]
    private partial void LogAck(string proxyId, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy {ProxyId} rejected (NACK) version {Version}: {Reason}")]
    private partial void LogNack(string proxyId, string version, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignoring stale {Kind} from proxy {ProxyId} for version {Version} (nonce {Nonce} is not the latest)")]
    private partial void LogStale(string proxyId, string kind, string version, string nonce);
}
