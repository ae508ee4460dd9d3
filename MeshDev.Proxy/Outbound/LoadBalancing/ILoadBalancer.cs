using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Proxy.Outbound.LoadBalancing;

/// <summary>Picks the endpoint a request goes to. One instance per cluster per snapshot, shared by all requests.</summary>
public interface ILoadBalancer
{
    /// <param name="candidates">Healthy endpoints to choose from; never empty.</param>
    UpstreamEndpoint Pick(UpstreamEndpoint[] candidates);
}
