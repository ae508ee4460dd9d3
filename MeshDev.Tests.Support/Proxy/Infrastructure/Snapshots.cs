using MeshDev.Core.Discovery;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>Terse builders for the snapshots tests push.</summary>
public static class Snapshots
{
    public static ProxySnapshot Of(string version, params Cluster[] clusters)
    {
        var snapshot = new ProxySnapshot { Version = version };
        snapshot.Clusters.Add(clusters);
        return snapshot;
    }

    public static Cluster Cluster(string name, LoadBalancerPolicy policy, params string[] endpointAddresses) =>
        Cluster(name, policy, ServiceProtocol.Http, endpointAddresses.Select(a => Endpoint(a)).ToArray());

    public static Cluster Cluster(string name, LoadBalancerPolicy policy, ServiceProtocol protocol, params Endpoint[] endpoints)
    {
        var cluster = new Cluster { Name = name, LoadBalancer = policy, Protocol = protocol };
        cluster.Endpoints.Add(endpoints);
        return cluster;
    }

    public static Endpoint Endpoint(string address, bool healthy = true, string? proxyId = null) =>
        new() { Address = address, Healthy = healthy, ProxyId = proxyId ?? $"instance-{address}" };
}
