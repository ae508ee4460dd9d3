using System.Collections.Concurrent;
using MeshDev.Core.Discovery;
using Endpoint = MeshDev.Core.Discovery.Endpoint;

namespace MeshDev.ControlPlane.Push;

/// <summary>
/// Deliberate fault injection for testing: the snapshots of the listed proxies get an endpoint whose address
/// cannot be parsed, so a test can drive a real proxy down its NACK path (reject, report the reason, keep the
/// last good snapshot) and back. Seeded from <see cref="ControlPlaneOptions.InvalidSnapshotForKey"/> and
/// switchable at runtime through the HTTP API. Nothing else in the control plane produces invalid snapshots.
/// </summary>
public sealed class InvalidSnapshotFaults
{
    public const string InvalidAddress = "not-an-address";
    public const string FaultClusterName = "fault-injected";
    public const string FaultEndpointId = "fault-injected";

    private readonly ConcurrentDictionary<string, bool> _proxyIds = new(StringComparer.Ordinal);

    public InvalidSnapshotFaults(ControlPlaneOptions options)
    {
        foreach (var proxyId in options.InvalidSnapshotFor)
        {
            _proxyIds[proxyId] = true;
        }
    }

    public IReadOnlyList<string> ProxyIds => [.. _proxyIds.Keys.Order(StringComparer.Ordinal)];

    /// <returns>Whether the set changed.</returns>
    public bool Enable(string proxyId) => _proxyIds.TryAdd(proxyId, true);

    /// <returns>Whether the set changed.</returns>
    public bool Disable(string proxyId) => _proxyIds.TryRemove(proxyId, out _);

    public void ApplyTo(string proxyId, ProxySnapshot snapshot)
    {
        if (!_proxyIds.ContainsKey(proxyId))
        {
            return;
        }

        var cluster = snapshot.Clusters.FirstOrDefault();
        if (cluster is null)
        {
            cluster = new Cluster { Name = FaultClusterName };
            snapshot.Clusters.Add(cluster);
        }

        cluster.Endpoints.Add(new Endpoint { ProxyId = FaultEndpointId, Address = InvalidAddress, Healthy = true });
    }
}
