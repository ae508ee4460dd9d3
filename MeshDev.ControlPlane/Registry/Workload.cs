using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Registry;

/// <summary>
/// What the registry knows about one proxy: the workload it announced in its ProxyHello, plus its connection
/// state. Immutable; the registry swaps in a new instance on every change so readers never see half an update.
/// </summary>
public sealed record Workload
{
    public required string ProxyId { get; init; }
    public required ProxyMode Mode { get; init; }
    public required string Service { get; init; }
    public required string Namespace { get; init; }
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    /// <summary>host:port of the sidecar's inbound listener; empty for gateways.</summary>
    public required string InboundAddress { get; init; }
    public required uint ServicePort { get; init; }
    public required ServiceProtocol Protocol { get; init; }
    public required string AdminUrl { get; init; }
    public required bool Healthy { get; init; }
    public required IReadOnlyList<string> UpstreamServices { get; init; }
    /// <summary>SPIFFE ID the proxy says it runs as (ProxyHello.identity); empty when it has none. Peers check it on TLS.</summary>
    public string Identity { get; init; } = "";
    public required bool Connected { get; init; }
    public required DateTimeOffset ConnectedAt { get; init; }
    public DateTimeOffset? DisconnectedAt { get; init; }

    /// <summary>
    /// Disconnected and its process known to be gone (its admin listener refuses connections): its endpoints leave
    /// every peer's load balancing at once instead of at the end of the grace period, and come back when it reconnects.
    /// </summary>
    public bool ProcessGone { get; init; }

    /// <summary>The run of the proxy process that registered (ProxyHello.instance_id); empty from older proxies.</summary>
    public string InstanceId { get; init; } = "";

    /// <summary>When that process started, as the proxy reported it; null when not reported.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>How many times this proxy id came back as a new process since the control plane started.</summary>
    public int Restarts { get; init; }

    /// <summary>
    /// Identifies the stream that currently owns this entry. A newer stream with the same proxy id takes a new
    /// session, so late events from the replaced stream (its disconnect, its health reports) are ignored.
    /// </summary>
    public required long Session { get; init; }

    public bool IsSidecar => Mode == ProxyMode.Sidecar;
}
