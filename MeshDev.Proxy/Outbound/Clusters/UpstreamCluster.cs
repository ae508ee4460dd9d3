using System.Collections.Frozen;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Outbound.CircuitBreaking;
using MeshDev.Proxy.Outbound.LoadBalancing;
using MeshDev.Proxy.Outbound.OutlierDetection;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Outbound.Clusters;

/// <summary>An upstream mesh service in the running snapshot: its endpoints, its subsets, and how to pick one.</summary>
public sealed class UpstreamCluster
{
    public UpstreamCluster(
        string name,
        LoadBalancerPolicy policy,
        ServiceProtocol protocol,
        IReadOnlyList<UpstreamEndpoint> endpoints,
        IEnumerable<Subset>? subsets = null,
        TrafficPolicy? trafficPolicy = null,
        UpstreamCluster? previous = null)
    {
        Name = name;
        Policy = policy == LoadBalancerPolicy.Unspecified ? LoadBalancerPolicy.LeastRequest : policy;
        Protocol = protocol;
        Endpoints = endpoints;
        Ejections = EjectionTracker.CountingFrom(endpoints);
        var clusterPolicy = trafficPolicy ?? TrafficPolicy.None;
        All = new EndpointSet("", FrozenDictionary<string, string>.Empty, Policy, endpoints.Where(e => e.Healthy).ToArray(),
            clusterPolicy, protocol, previous?.All.Breaker ?? new CircuitBreaker(), Ejections);
        Subsets = (subsets ?? [])
            .Select(s =>
            {
                var subsetPolicy = s.LoadBalancer == LoadBalancerPolicy.Unspecified ? Policy : s.LoadBalancer;
                var labels = s.Labels.ToFrozenDictionary(StringComparer.Ordinal);
                var members = endpoints.Where(e => e.Healthy && labels.All(l => e.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToArray();
                var traffic = clusterPolicy.OverriddenBy(s.ConnectionPool, s.OutlierDetection, s.ConsistentHash);

                // A subset with its own connectionPool has its own breaker; otherwise it counts against the cluster's.
                var breaker = s.ConnectionPool is null
                    ? All.Breaker
                    : previous?.Subsets.GetValueOrDefault(s.Name) is { OwnBreaker: true } old ? old.Breaker : new CircuitBreaker();
                return new EndpointSet(s.Name, labels, subsetPolicy, members, traffic, protocol, breaker, Ejections, ownBreaker: s.ConnectionPool is not null);
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

    /// <summary>Endpoints of this cluster that outlier detection has ejected, shared by the cluster and its subsets.</summary>
    public EjectionTracker Ejections { get; }

    public UpstreamEndpoint[] HealthyEndpoints => All.HealthyEndpoints;

    public ILoadBalancer LoadBalancer => All.LoadBalancer;

    /// <summary>The endpoints a destination names: the whole cluster for an empty subset; null for an unknown one.</summary>
    public EndpointSet? Select(string subset) =>
        subset.Length == 0 ? All : Subsets.GetValueOrDefault(subset);

    /// <summary>Starts the interval sweeps of the cluster's and its subsets' outlier detectors.</summary>
    public void StartOutlierSweeps(ClusterStats stats, TimeProvider time)
    {
        All.Outlier?.StartSweeping(stats, time);
        foreach (var subset in Subsets.Values)
        {
            subset.Outlier?.StartSweeping(stats, time);
        }
    }

    /// <summary>Stops them, once the cluster's snapshot is out of service.</summary>
    public void StopOutlierSweeps()
    {
        All.Outlier?.Dispose();
        foreach (var subset in Subsets.Values)
        {
            subset.Outlier?.Dispose();
        }
    }
}

/// <summary>The DestinationRule trafficPolicy parts beyond the load balancer; a subset's own parts replace the cluster's.</summary>
public sealed record TrafficPolicy(ConnectionPool? ConnectionPool, Core.Discovery.OutlierDetection? OutlierDetection, ConsistentHash? ConsistentHash)
{
    public static readonly TrafficPolicy None = new(null, null, null);

    public TrafficPolicy OverriddenBy(ConnectionPool? connectionPool, Core.Discovery.OutlierDetection? outlierDetection, ConsistentHash? consistentHash) =>
        new(connectionPool ?? ConnectionPool, outlierDetection ?? OutlierDetection, consistentHash ?? ConsistentHash);
}

/// <summary>Healthy endpoints to pick from and the balancer that picks, for a cluster or one of its subsets.</summary>
public sealed class EndpointSet
{
    public EndpointSet(
        string name,
        IReadOnlyDictionary<string, string> labels,
        LoadBalancerPolicy policy,
        UpstreamEndpoint[] healthyEndpoints,
        TrafficPolicy? traffic = null,
        ServiceProtocol protocol = ServiceProtocol.Unspecified,
        CircuitBreaker? breaker = null,
        EjectionTracker? ejections = null,
        bool ownBreaker = true)
    {
        traffic ??= TrafficPolicy.None;
        Name = name;
        Labels = labels;
        Policy = policy;
        HealthyEndpoints = healthyEndpoints;
        LoadBalancer = LoadBalancers.Create(policy);
        Traffic = traffic;
        Limits = CircuitBreakerLimits.From(traffic.ConnectionPool, protocol);
        Breaker = breaker ?? new CircuitBreaker();
        OwnBreaker = ownBreaker;
        Ejections = ejections ?? new EjectionTracker();
        Outlier = OutlierDetectionPolicy.From(traffic.OutlierDetection) is { Enabled: true } detection
            ? new OutlierDetector(detection, healthyEndpoints, Ejections)
            : null;
        RingHash = traffic.ConsistentHash is { KeyCase: not ConsistentHash.KeyOneofCase.None } hash
            ? new RingHashLoadBalancer(hash, healthyEndpoints)
            : null;
    }

    public string Name { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public LoadBalancerPolicy Policy { get; }

    public UpstreamEndpoint[] HealthyEndpoints { get; }

    public ILoadBalancer LoadBalancer { get; }

    public TrafficPolicy Traffic { get; }

    public CircuitBreakerLimits Limits { get; }

    public CircuitBreaker Breaker { get; }

    /// <summary>False for a subset that counts against its cluster's breaker.</summary>
    public bool OwnBreaker { get; }

    public EjectionTracker Ejections { get; }

    /// <summary>Null when the set has no outlier detection.</summary>
    public OutlierDetector? Outlier { get; }

    /// <summary>Null unless the set balances by consistent hash.</summary>
    public RingHashLoadBalancer? RingHash { get; }

    /// <summary>The healthy endpoints that outlier detection has not ejected.</summary>
    public UpstreamEndpoint[] Available(ClusterStats stats) => OutlierDetector.Available(HealthyEndpoints, Ejections, stats);

    /// <summary>The first try's endpoint: by the request's hash key when the set has one and the request carries it.</summary>
    public UpstreamEndpoint Pick(HttpContext context, UpstreamEndpoint[] candidates) => Pick(context, candidates, out _);

    /// <param name="setCookie">The Set-Cookie value for the response when the hash issued its cookie to this request; else null.</param>
    public UpstreamEndpoint Pick(HttpContext context, UpstreamEndpoint[] candidates, out string? setCookie)
    {
        setCookie = null;
        if (RingHash is not { } ring)
        {
            return LoadBalancer.Pick(candidates);
        }

        var key = ring.Key.KeyOf(context);
        if (key is null && ring.Key.IssuedCookie is { } cookie)
        {
            key = HashCookie.NewValue(context);
            setCookie = cookie.SetCookieHeader(key);
        }

        // Envoy's ring hash without a key picks at random.
        return key is not null && ring.Pick(key, candidates) is { } endpoint ? endpoint : RandomLoadBalancer.Instance.Pick(candidates);
    }

    /// <summary>A TCP connection's endpoint: a connection has no headers, so only useSourceIp hashes (Envoy's tcp_proxy).</summary>
    public UpstreamEndpoint Pick(System.Net.IPAddress? source, UpstreamEndpoint[] candidates)
    {
        if (RingHash is { Key.Kind: ConsistentHash.KeyOneofCase.UseSourceIp } ring && source is not null
            && ring.Pick(source.ToString(), candidates) is { } endpoint)
        {
            return endpoint;
        }

        return RingHash is null ? LoadBalancer.Pick(candidates) : RandomLoadBalancer.Instance.Pick(candidates);
    }
}
