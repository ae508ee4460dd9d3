using MeshDev.Core.Discovery;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Proxy.Outbound.LoadBalancing;

public static class LoadBalancers
{
    public static ILoadBalancer Create(LoadBalancerPolicy policy) => policy switch
    {
        LoadBalancerPolicy.RoundRobin => new RoundRobinLoadBalancer(),
        LoadBalancerPolicy.Random => RandomLoadBalancer.Instance,
        // PASSTHROUGH sends to the caller's original destination in Istio; a port-based listener has no original
        // destination to keep, so the endpoints are spread at random instead.
        LoadBalancerPolicy.Passthrough => RandomLoadBalancer.Instance,
        // UNSPECIFIED is Istio's (and Envoy's) default.
        _ => LeastRequestLoadBalancer.Instance,
    };
}

/// <summary>
/// Envoy's LEAST_REQUEST with equal weights: the power of two choices. Two endpoints drawn at random, the one with
/// fewer requests in flight wins; cheaper than a full scan and it avoids every proxy piling onto the same idle host.
/// </summary>
public sealed class LeastRequestLoadBalancer : ILoadBalancer
{
    public static readonly LeastRequestLoadBalancer Instance = new();

    public UpstreamEndpoint Pick(UpstreamEndpoint[] candidates)
    {
        if (candidates.Length == 1)
        {
            return candidates[0];
        }

        var first = Random.Shared.Next(candidates.Length);
        var second = Random.Shared.Next(candidates.Length - 1);
        if (second >= first)
        {
            second++;
        }

        var a = candidates[first];
        var b = candidates[second];
        return b.Load.ActiveRequests < a.Load.ActiveRequests ? b : a;
    }
}

public sealed class RoundRobinLoadBalancer : ILoadBalancer
{
    // Starting at a random offset keeps many callers that start together from walking the endpoints in lockstep.
    private uint _next = (uint)Random.Shared.Next();

    public UpstreamEndpoint Pick(UpstreamEndpoint[] candidates) =>
        candidates[(int)(Interlocked.Increment(ref _next) % (uint)candidates.Length)];
}

public sealed class RandomLoadBalancer : ILoadBalancer
{
    public static readonly RandomLoadBalancer Instance = new();

    public UpstreamEndpoint Pick(UpstreamEndpoint[] candidates) => candidates[Random.Shared.Next(candidates.Length)];
}
