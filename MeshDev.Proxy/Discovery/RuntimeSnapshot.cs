using System.Collections.Frozen;
using MeshDev.Core.Discovery;

namespace MeshDev.Proxy.Discovery;

/// <summary>
/// The configuration the proxy serves with, immutable once built. A request reads the current instance once and
/// uses only it, so it never sees half of a push.
/// </summary>
public sealed class RuntimeSnapshot
{
    public static readonly RuntimeSnapshot Empty = new(null, null, FrozenDictionary<string, UpstreamCluster>.Empty);

    private RuntimeSnapshot(string? version, DateTimeOffset? appliedAt, FrozenDictionary<string, UpstreamCluster> clusters)
    {
        Version = version;
        AppliedAt = appliedAt;
        Clusters = clusters;
    }

    /// <summary>Version of the applied snapshot; null until the control plane has sent a valid one.</summary>
    public string? Version { get; }

    public DateTimeOffset? AppliedAt { get; }

    public FrozenDictionary<string, UpstreamCluster> Clusters { get; }

    /// <summary>Builds the runtime form of a snapshot that <see cref="SnapshotValidator"/> accepted.</summary>
    public static RuntimeSnapshot Build(ProxySnapshot snapshot, RuntimeSnapshot previous, DateTimeOffset appliedAt)
    {
        var clusters = new Dictionary<string, UpstreamCluster>(StringComparer.Ordinal);
        foreach (var cluster in snapshot.Clusters)
        {
            previous.Clusters.TryGetValue(cluster.Name, out var previousCluster);
            var endpoints = cluster.Endpoints
                .Select(e => new UpstreamEndpoint(
                    e.ProxyId,
                    e.Address,
                    e.Labels.ToFrozenDictionary(StringComparer.Ordinal),
                    e.Healthy,
                    previousCluster?.Endpoints.FirstOrDefault(p => p.Address == e.Address)?.Load ?? new EndpointLoad()))
                .ToArray();
            clusters[cluster.Name] = new UpstreamCluster(cluster.Name, cluster.LoadBalancer, cluster.Protocol, endpoints);
        }

        return new RuntimeSnapshot(snapshot.Version, appliedAt, clusters.ToFrozenDictionary(StringComparer.Ordinal));
    }
}
