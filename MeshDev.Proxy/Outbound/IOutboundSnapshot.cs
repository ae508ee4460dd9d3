using System.Collections.Frozen;
using MeshDev.Proxy.Identity;
using MeshDev.Proxy.Outbound.Clusters;
using MeshDev.Proxy.Routing;

namespace MeshDev.Proxy.Outbound;

/// <summary>What the outbound path reads from the snapshot in force: routes, clusters, and which upstreams take mTLS.</summary>
public interface IOutboundSnapshot : ISnapshotSecurity
{
    /// <summary>Compiled route tables by listener name: an outbound service ("reviews") or the gateway's port ("80").</summary>
    FrozenDictionary<string, CompiledRouteTable> RouteTables { get; }

    FrozenDictionary<string, UpstreamCluster> Clusters { get; }
}
