using System.Diagnostics;

namespace MeshDev.Proxy.Telemetry.Tracing;

/// <summary>
/// The proxy's spans, on the "MeshDev.Proxy" activity source: a server span where a request enters the mesh's care
/// (a sidecar's inbound side, the gateway) and a client span for every try sent upstream. Attributes carry Envoy's
/// and Istio's names (http.method, http.url, http.status_code, upstream_cluster, node_id, response_flags,
/// peer.address) next to OpenTelemetry's semantic ones.
/// </summary>
public static class ProxySpans
{
    public const string SourceName = "MeshDev.Proxy";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts a span whose parent is exactly <paramref name="parent"/>, or a new trace when there is none.</summary>
    public static Activity? Start(string name, ActivityKind kind, ActivityContext parent)
    {
        if (parent == default)
        {
            // Otherwise the hosting layer's own request activity would become the parent of a span nobody exports.
            Activity.Current = null;
        }

        return Source.StartActivity(name, kind, parent);
    }
}
