using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Compiling.Security;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;
using Endpoint = MeshDev.Core.Discovery.Endpoint;

namespace MeshDev.ControlPlane.Push.Compiling;

public interface ISnapshotCompiler
{
    /// <summary>Compiles the snapshot for <paramref name="proxy"/> from <paramref name="inputs"/> and nothing else.</summary>
    ProxySnapshot Compile(Workload proxy, SnapshotInputs inputs);
}

/// <summary>
/// The proxy's route tables (see <see cref="RouteCompiler"/>, and <see cref="TcpRouteCompiler"/> for their tcp routes) and one cluster per service it sends traffic to: each
/// upstream service it declared and each service its routes name (a gateway declares none, its routes name them).
/// A cluster's endpoints are that service's sidecars, connected or within their grace period (a proxy keeps a
/// briefly disconnected peer with its last reported health rather than dropping it on a blip) unless the registry
/// knows the peer's process is gone, which takes it out at once; its subsets and
/// policies (load balancer or consistent hash, connection pool, outlier detection) come from the service's
/// DestinationRule, see <see cref="TrafficPolicyCompiler"/>. Its inbound security (PeerAuthentication,
/// AuthorizationPolicy, RequestAuthentication) comes from <see cref="SecurityCompiler"/>. Everything is emitted in a canonical order so the
/// version hash is stable.
/// A compile is a function of its inputs alone: no store, no registry, no clock, no I/O, so the same inputs give the
/// same snapshot bytes. Reading the inputs (and deciding when) is the delivering side's part.
/// </summary>
public sealed class SnapshotCompiler : ISnapshotCompiler
{
    public ProxySnapshot Compile(Workload proxy, SnapshotInputs inputs)
    {
        var current = inputs.Config;
        var workloads = inputs.Workloads;
        var snapshot = new ProxySnapshot();
        snapshot.RouteTables.AddRange(RouteCompiler.Compile(proxy, current));
        TcpRouteCompiler.AddTo(snapshot.RouteTables, proxy, current, workloads);

        var clusterNames = proxy.UpstreamServices
            .Concat(snapshot.RouteTables.SelectMany(t => t.Routes).SelectMany(r => r.Destinations).Select(d => d.Service))
            .Concat(snapshot.RouteTables.SelectMany(t => t.Routes).Where(r => r.Mirror is not null).Select(r => r.Mirror.Service))
            .Concat(snapshot.RouteTables.SelectMany(t => t.TcpRoutes).SelectMany(r => r.Destinations).Select(d => d.Service))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        foreach (var name in clusterNames)
        {
            snapshot.Clusters.Add(CompileCluster(name, proxy.Namespace, workloads, current));
        }

        snapshot.TrustBundlePem.AddRange(inputs.TrustBundlePem);
        snapshot.InboundSecurity = SecurityCompiler.Compile(proxy, current, inputs.KeySets);

        snapshot.Version = SnapshotVersion.Compute(snapshot);
        return snapshot;
    }

    private static Cluster CompileCluster(string upstream, string proxyNamespace, IReadOnlyCollection<Workload> workloads, MeshConfig config)
    {
        var (service, @namespace) = ServiceHost.Resolve(upstream, proxyNamespace);
        var instances = workloads
            .Where(w => w.IsSidecar && w.Service == service && w.Namespace == @namespace && !w.ProcessGone)
            .OrderBy(w => w.ProxyId, StringComparer.Ordinal)
            .ToList();
        var rule = config.OfKind<DestinationRuleResource>().FirstOrDefault(r =>
            r.Spec.Host is { } host && ServiceHost.Names(host, r.Metadata.Namespace, service, @namespace));
        // portLevelSettings resolved for the service's one port: the proxy sees only the policy in effect.
        uint? servicePort = instances.Count > 0 && instances[0].ServicePort != 0 ? instances[0].ServicePort : null;
        var policy = PortTrafficPolicy.ForPort(rule?.Spec.TrafficPolicy, servicePort);

        var cluster = new Cluster
        {
            Name = upstream,
            // Without a DestinationRule policy the proxy uses Istio's default.
            LoadBalancer = TrafficPolicyCompiler.LoadBalancer(policy),
            Protocol = instances.Count > 0 ? instances[0].Protocol : ServiceProtocol.Unspecified,
            ConnectionPool = TrafficPolicyCompiler.ConnectionPool(policy),
            OutlierDetection = TrafficPolicyCompiler.OutlierDetection(policy),
            ConsistentHash = TrafficPolicyCompiler.ConsistentHash(policy),
            // Absent: auto mTLS, as Istio does without a DestinationRule tls setting; port-level tls resolved with the rest.
            Tls = ClusterTlsCompiler.Compile(policy),
        };

        foreach (var subset in rule?.Spec.Subsets ?? [])
        {
            var subsetPolicy = PortTrafficPolicy.ForPort(subset.TrafficPolicy, servicePort);
            var compiled = new Subset
            {
                Name = subset.Name ?? "",
                LoadBalancer = TrafficPolicyCompiler.LoadBalancer(subsetPolicy),
                ConnectionPool = TrafficPolicyCompiler.ConnectionPool(subsetPolicy),
                OutlierDetection = TrafficPolicyCompiler.OutlierDetection(subsetPolicy),
                ConsistentHash = TrafficPolicyCompiler.ConsistentHash(subsetPolicy),
            };
            foreach (var (key, value) in subset.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                compiled.Labels.Add(key, value);
            }

            cluster.Subsets.Add(compiled);
        }

        foreach (var instance in instances)
        {
            var endpoint = new Endpoint
            {
                ProxyId = instance.ProxyId, Address = instance.InboundAddress, Healthy = instance.Healthy, Identity = instance.Identity,
            };
            // Workload labels are a sorted dictionary: insertion order is canonical.
            foreach (var (key, value) in instance.Labels)
            {
                endpoint.Labels.Add(key, value);
            }

            cluster.Endpoints.Add(endpoint);
        }

        return cluster;
    }
}
