using System.Collections.Frozen;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Outbound.LoadBalancing;

namespace MeshDev.Proxy.Discovery;

/// <summary>An upstream mesh service in the running snapshot: its endpoints, its subsets, and how to pick one.</summary>
public sealed class UpstreamCluster
{
    public UpstreamCluster(
        string name,
        LoadBalancerPolicy policy,
        ServiceProtocol protocol,
        IReadOnlyList<UpstreamEndpoint> endpoints,
        IEnumerable<Subset>? subsets = null)
    {
        Name = name;
        Policy = policy == LoadBalancerPolicy.Unspecified ? LoadBalancerPolicy.LeastRequest : policy;
        Protocol = protocol;
        Endpoints = endpoints;
        All = new EndpointSet("", FrozenDictionary<string, string>.Empty, Policy, endpoints.Where(e => e.Healthy).ToArray());
        Subsets = (subsets ?? [])
            .Select(s =>
            {
                var subsetPolicy = s.LoadBalancer == LoadBalancerPolicy.Unspecified ? Policy : s.LoadBalancer;
                var labels = s.Labels.ToFrozenDictionary(StringComparer.Ordinal);
                var members = endpoints.Where(e => e.Healthy && labels.All(l => e.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToArray();
                return new EndpointSet(s.Name, labels, subsetPolicy, members);
            })
            .ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
    }

    public string Name { get; }

    /// <summary>The policy in effect: UNSPECIFIED has already become Istio's default, LEAST_REQUEST.</summary>
    public LoadBalancerPolicy Policy { get; }

    /// <summary>Protocol of the service's port; UNSPECIFIED means the caller's listener protocol decides.</summary>
    public ServiceProtocol Protocol { get; }

    public IReadOnlyList<UpstreamEndpoint> Endpoints { get; }

    /// <summary>Every healthy endpoint, with the cluster's policy.</summary>
    public EndpointSet All { get; }

    /// <summary>DestinationRule subsets by name: the healthy endpoints whose labels include the subset's.</summary>
    public FrozenDictionary<string, EndpointSet> Subsets { get; }

    public UpstreamEndpoint[] HealthyEndpoints => All.HealthyEndpoints;

    public ILoadBalancer LoadBalancer => All.LoadBalancer;

    /// <summary>The endpoints a destination names: the whole cluster for an empty subset; null for an unknown one.</summary>
    public EndpointSet? Select(string subset) =>
        subset.Length == 0 ? All : Subsets.GetValueOrDefault(subset);
}

/// <summary>Healthy endpoints to pick from and the balancer that picks, for a cluster or one of its subsets.</summary>
public sealed class EndpointSet(string name, IReadOnlyDictionary<string, string> labels, LoadBalancerPolicy policy, UpstreamEndpoint[] healthyEndpoints)
{
    public string Name { get; } = name;

    public IReadOnlyDictionary<string, string> Labels { get; } = labels;

    public LoadBalancerPolicy Policy { get; } = policy;

    public UpstreamEndpoint[] HealthyEndpoints { get; } = healthyEndpoints;

    public ILoadBalancer LoadBalancer { get; } = LoadBalancers.Create(policy);
}
