using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Outbound.Clusters;

/// <summary>One instance of an upstream service, as the current snapshot describes it.</summary>
public sealed class UpstreamEndpoint(
    string proxyId,
    string address,
    IReadOnlyDictionary<string, string> labels,
    bool healthy,
    EndpointLoad load,
    Outbound.OutlierDetection.EndpointOutlierState? outlier = null,
    string peerIdentity = "") : IUpstreamPeer
{
    public string ProxyId { get; } = proxyId;

    /// <summary>host:port of the instance's inbound listener.</summary>
    public string Address { get; } = address;

    public IReadOnlyDictionary<string, string> Labels { get; } = labels;

    public bool Healthy { get; } = healthy;

    /// <summary>The SPIFFE ID the endpoint presents when its cluster reaches it over mutual TLS; empty when it does not.</summary>
    public string PeerIdentity { get; } = peerIdentity;

    /// <summary>What YARP's forwarder puts in front of the request path.</summary>
    public string DestinationPrefix { get; } = "http://" + address;

    public EndpointLoad Load { get; } = load;

    /// <summary>Consecutive errors and ejections; carried over to the next snapshot with the in-flight count.</summary>
    public Outbound.OutlierDetection.EndpointOutlierState Outlier { get; } = outlier ?? new();
}

/// <summary>
/// Requests in flight to one endpoint. It outlives snapshots (a new snapshot takes over the instance of an address it
/// keeps), so a push in the middle of traffic does not make least-request forget where requests are.
/// </summary>
public sealed class EndpointLoad
{
    private int _activeRequests;

    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    public void Started() => Interlocked.Increment(ref _activeRequests);

    public void Finished() => Interlocked.Decrement(ref _activeRequests);
}
