using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Discovery;
using Endpoint = MeshDev.Core.Discovery.Endpoint;

namespace MeshDev.ControlPlane.Push;

public interface ISnapshotCompiler
{
    /// <summary>Compiles the snapshot for <paramref name="proxy"/> from the registry's current workloads.</summary>
    ProxySnapshot Compile(Workload proxy, IReadOnlyCollection<Workload> workloads);
}

/// <summary>
/// One cluster per upstream service the proxy declared, whose endpoints are that service's sidecars, connected
/// or within their grace period (a proxy keeps a briefly disconnected peer with its last reported health
/// rather than dropping it on a blip). Everything is emitted in a canonical order so the version hash is stable.
/// </summary>
public sealed class SnapshotCompiler(InvalidSnapshotFaults faults) : ISnapshotCompiler
{
    public ProxySnapshot Compile(Workload proxy, IReadOnlyCollection<Workload> workloads)
    {
        var snapshot = new ProxySnapshot();
        foreach (var upstream in proxy.UpstreamServices.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            snapshot.Clusters.Add(CompileCluster(upstream, proxy.Namespace, workloads));
        }

        faults.ApplyTo(proxy.ProxyId, snapshot);
        snapshot.Version = SnapshotVersion.Compute(snapshot);
        return snapshot;
    }

    private static Cluster CompileCluster(string upstream, string proxyNamespace, IReadOnlyCollection<Workload> workloads)
    {
        var (service, @namespace) = ResolveUpstream(upstream, proxyNamespace);
        var instances = workloads
            .Where(w => w.IsSidecar && w.Service == service && w.Namespace == @namespace)
            .OrderBy(w => w.ProxyId, StringComparer.Ordinal)
            .ToList();

        var cluster = new Cluster
        {
            Name = upstream,
            // Traffic policy comes from DestinationRules; until one applies, the proxy uses Istio's default.
            LoadBalancer = LoadBalancerPolicy.Unspecified,
            Protocol = instances.Count > 0 ? instances[0].Protocol : ServiceProtocol.Unspecified,
        };

        foreach (var instance in instances)
        {
            var endpoint = new Endpoint { ProxyId = instance.ProxyId, Address = instance.InboundAddress, Healthy = instance.Healthy };
            // Workload labels are a sorted dictionary: insertion order is canonical.
            foreach (var (key, value) in instance.Labels)
            {
                endpoint.Labels.Add(key, value);
            }

            cluster.Endpoints.Add(endpoint);
        }

        return cluster;
    }

    /// <summary>"reviews" is the service in the proxy's own namespace; "reviews.other" names the namespace, as in Istio.</summary>
    private static (string Service, string Namespace) ResolveUpstream(string upstream, string proxyNamespace)
    {
        var dot = upstream.IndexOf('.');
        return dot < 0 ? (upstream, proxyNamespace) : (upstream[..dot], upstream[(dot + 1)..]);
    }
}
