using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// How each hop of the proxy travels, for /config_dump: per cluster its TLS mode ("tls": "AUTO", "ISTIO_MUTUAL" or
/// "DISABLE"), per endpoint the SPIFFE ID the snapshot gives it ("identity", null without one) and whether a connection
/// to it is made with mTLS ("mtls"), and on the sidecar's inbound listener the PeerAuthentication mode new
/// connections meet ("mtlsMode"). These are the decisions the handshakes make, not only what the snapshot asked for:
/// a proxy without a workload identity dials in plaintext and cannot terminate mTLS, so its mtls is false and its
/// inbound listener's mode is DISABLE.
/// </summary>
public static class TransportSecurityJson
{
    public static string? ProxyIdentity(ProxyOptions options) => options.Identity?.Id.ToString();

    public static string ClusterTls(RuntimeSnapshot snapshot, UpstreamCluster cluster) => snapshot.Security.ClusterMode(cluster.Name) switch
    {
        ClusterTlsMode.IstioMutual => "ISTIO_MUTUAL",
        ClusterTlsMode.Disable => "DISABLE",
        _ => "AUTO",
    };

    public static string? EndpointIdentity(RuntimeSnapshot snapshot, UpstreamEndpoint endpoint) =>
        snapshot.Security.EndpointIdentity(endpoint.Address)?.ToString();

    public static bool EndpointMtls(ProxyOptions options, RuntimeSnapshot snapshot, UpstreamEndpoint endpoint) =>
        options.Identity is not null && snapshot.Security.Upstream(endpoint.Address) is not null;

    /// <summary>The mode on the sidecar's inbound listener; null for every other listener (the field is left out).</summary>
    public static string? ListenerMtlsMode(ProxyOptions options, RuntimeSnapshot snapshot, ListenerDescription listener)
    {
        if (listener.Direction != ListenerDirection.Inbound || options.Inbound is not { } inbound)
        {
            return null;
        }

        return Mode(options.Identity is null ? MtlsMode.Disable : snapshot.Security.InboundMode(inbound.ServicePort));
    }

    /// <summary>PeerAuthentication's names for the modes.</summary>
    public static string Mode(MtlsMode mode) => mode switch
    {
        MtlsMode.Strict => "STRICT",
        MtlsMode.Disable => "DISABLE",
        _ => "PERMISSIVE",
    };
}
