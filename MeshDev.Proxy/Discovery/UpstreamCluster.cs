using MeshDev.Core.Discovery;
using MeshDev.Proxy.Outbound.LoadBalancing;

namespace MeshDev.Proxy.Discovery;

/// <summary>An upstream mesh service in the running snapshot: its endpoints, the healthy ones, and how to pick one.</summary>
public sealed class UpstreamCluster(
    string name,
    LoadBalancerPolicy policy,
    ServiceProtocol protocol,
    IReadOnlyList<UpstreamEndpoint> endpoints)
{
    public string Name { get; } = name;

    /// <summary>The policy in effect: UNSPECIFIED has already become Istio's default, LEAST_REQUEST.</summary>
    public LoadBalancerPolicy Policy { get; } = policy == LoadBalancerPolicy.Unspecified ? LoadBalancerPolicy.LeastRequest : policy;

    /// <summary>Protocol of the service's port; UNSPECIFIED means the caller's listener protocol decides.</summary>
    public ServiceProtocol Protocol { get; } = protocol;

    public IReadOnlyList<UpstreamEndpoint> Endpoints { get; } = endpoints;

    public UpstreamEndpoint[] HealthyEndpoints { get; } = endpoints.Where(e => e.Healthy).ToArray();

    public ILoadBalancer LoadBalancer { get; } = LoadBalancers.Create(policy);
}
