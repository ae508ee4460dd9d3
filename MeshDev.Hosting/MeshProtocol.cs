namespace MeshDev.Hosting;

/// <summary>
/// Protocol of a mesh service's port, as Istio selects it from a port's name or appProtocol. Every hop of a
/// request to the service (the caller's outbound listener, the sidecar-to-sidecar hop, the hop to the app)
/// speaks it.
/// </summary>
public enum MeshProtocol
{
    /// <summary>HTTP/1.1.</summary>
    Http,
    /// <summary>HTTP/2 with prior knowledge (cleartext until mTLS brings ALPN).</summary>
    Http2,
    /// <summary>gRPC, carried over HTTP/2.</summary>
    Grpc,
    /// <summary>
    /// Raw TCP (a database, a message broker): the sidecars pipe connections without reading them, routed by a
    /// VirtualService's tcp routes. The app's endpoint is usually a tcp one: pass its name as appEndpointName.
    /// </summary>
    Tcp,
}

internal static class MeshProtocolExtensions
{
    /// <summary>The scheme of a listener endpoint for the protocol, and the endpoint name service discovery keys use.</summary>
    public static string ToEndpointScheme(this MeshProtocol protocol) => protocol == MeshProtocol.Tcp ? "tcp" : "http";

    public static string ToConfigValue(this MeshProtocol protocol) => protocol switch
    {
        MeshProtocol.Http => "http",
        MeshProtocol.Http2 => "http2",
        MeshProtocol.Grpc => "grpc",
        MeshProtocol.Tcp => "tcp",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown mesh protocol."),
    };
}
