namespace MeshDev.Proxy.Telemetry;

/// <summary>
/// The endpoint a request or connection went to, as telemetry labels and traces describe it. Outbound's upstream
/// endpoints are these; telemetry names only what it reports, so it does not depend on how outbound picks them.
/// </summary>
public interface IUpstreamPeer
{
    /// <summary>The peer sidecar's proxy id, which names its workload.</summary>
    string ProxyId { get; }

    /// <summary>host:port the request was sent to.</summary>
    string Address { get; }

    IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>The SPIFFE ID the peer presents over mutual TLS; empty when the hop is plaintext.</summary>
    string PeerIdentity { get; }
}
