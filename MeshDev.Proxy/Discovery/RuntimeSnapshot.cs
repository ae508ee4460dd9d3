using System.Collections.Frozen;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Identity;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Proxy.Discovery;

/// <summary>
/// The configuration the proxy serves with, immutable once built. A request reads the current instance once and
/// uses only it, so it never sees half of a push.
/// </summary>
public sealed class RuntimeSnapshot : Outbound.IOutboundSnapshot, Inbound.IInboundSnapshot
{
    public static readonly RuntimeSnapshot Empty = new(
        null, null, FrozenDictionary<string, UpstreamCluster>.Empty, FrozenDictionary<string, CompiledRouteTable>.Empty, RegexCache.Empty);

    private RuntimeSnapshot(
        string? version,
        DateTimeOffset? appliedAt,
        FrozenDictionary<string, UpstreamCluster> clusters,
        FrozenDictionary<string, CompiledRouteTable> routeTables,
        RegexCache regexes)
    {
        Version = version;
        AppliedAt = appliedAt;
        Clusters = clusters;
        RouteTables = routeTables;
        Regexes = regexes;
    }

    /// <summary>Version of the applied snapshot; null until the control plane has sent a valid one.</summary>
    public string? Version { get; }

    public DateTimeOffset? AppliedAt { get; }

    public FrozenDictionary<string, UpstreamCluster> Clusters { get; }

    /// <summary>Compiled route tables by listener name: an outbound service ("reviews") or the gateway's port ("80").</summary>
    public FrozenDictionary<string, CompiledRouteTable> RouteTables { get; }

    /// <summary>The compiled expressions the route tables use, handed on to the next snapshot.</summary>
    public RegexCache Regexes { get; }

    /// <summary>Trust bundle, inbound PeerAuthentication mode and the upstream addresses dialled with mTLS.</summary>
    public TransportSecurity Security { get; private init; } = TransportSecurity.None;

    /// <summary>The listener's PeerAuthentication mode, JWT rules and authorization policies.</summary>
    public Inbound.InboundPolicy InboundPolicy { get; private init; } = Inbound.InboundPolicy.None;

    /// <summary>Builds the runtime form of a snapshot that <see cref="SnapshotValidator"/> accepted.</summary>
    /// <param name="stats">When given, the clusters' outlier detectors sweep on their interval from now on, until
    /// <see cref="Retire"/>; without it (a snapshot that only a test looks at) nothing runs in the background.</param>
    /// <exception cref="InvalidSnapshotException">A route's regex does not compile, a policy holds a bad value, or the security part is malformed.</exception>
    public static RuntimeSnapshot Build(ProxySnapshot snapshot, RuntimeSnapshot previous, DateTimeOffset appliedAt, StatsRegistry? stats = null, TimeProvider? time = null)
    {
        var clusters = new Dictionary<string, UpstreamCluster>(StringComparer.Ordinal);
        foreach (var cluster in snapshot.Clusters)
        {
            previous.Clusters.TryGetValue(cluster.Name, out var previousCluster);
            var endpoints = cluster.Endpoints
                .Select(e =>
                {
                    var kept = previousCluster?.Endpoints.FirstOrDefault(p => p.Address == e.Address);
                    return new UpstreamEndpoint(
                        e.ProxyId,
                        e.Address,
                        e.Labels.ToFrozenDictionary(StringComparer.Ordinal),
                        e.Healthy,
                        kept?.Load ?? new EndpointLoad(),
                        kept?.Outlier,
                        // Auto mTLS reaches an endpoint that has an identity over mTLS; DISABLE never does.
                        cluster.Tls?.Mode == ClusterTlsMode.Disable ? "" : e.Identity);
                })
                .ToArray();
            var traffic = new TrafficPolicy(cluster.ConnectionPool, cluster.OutlierDetection, cluster.ConsistentHash);
            clusters[cluster.Name] = new UpstreamCluster(cluster.Name, cluster.LoadBalancer, cluster.Protocol, endpoints, cluster.Subsets, traffic, previousCluster);
        }

        if (stats is not null)
        {
            foreach (var cluster in clusters.Values)
            {
                cluster.StartOutlierSweeps(stats.Cluster(cluster.Name), time ?? TimeProvider.System);
            }
        }

        var regexes = new RegexCache(previous.Regexes);
        var routeTables = snapshot.RouteTables.ToFrozenDictionary(t => t.Name, t => RouteTableCompiler.Compile(t, regexes), StringComparer.Ordinal);
        return new RuntimeSnapshot(snapshot.Version, appliedAt, clusters.ToFrozenDictionary(StringComparer.Ordinal), routeTables, regexes)
        {
            Security = TransportSecurity.Build(snapshot),
            InboundPolicy = Inbound.InboundPolicy.Compile(snapshot.InboundSecurity),
        };
    }

    /// <summary>Stops this snapshot's background work once another has replaced it. Requests still using it finish normally.</summary>
    public void Retire()
    {
        foreach (var cluster in Clusters.Values)
        {
            cluster.StopOutlierSweeps();
        }
    }
}
