using System.Text.Json;
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
    public static void WriteProxyIdentity(Utf8JsonWriter json, ProxyOptions options)
    {
        if (options.Identity is { } identity)
        {
            json.WriteString("identity", identity.Id.ToString());
        }
        else
        {
            json.WriteNull("identity");
        }
    }

    public static void WriteCluster(Utf8JsonWriter json, RuntimeSnapshot snapshot, UpstreamCluster cluster) =>
        json.WriteString("tls", snapshot.Security.ClusterMode(cluster.Name) switch
        {
            ClusterTlsMode.IstioMutual => "ISTIO_MUTUAL",
            ClusterTlsMode.Disable => "DISABLE",
            _ => "AUTO",
        });

    public static void WriteEndpoint(Utf8JsonWriter json, ProxyOptions options, RuntimeSnapshot snapshot, UpstreamEndpoint endpoint)
    {
        if (snapshot.Security.EndpointIdentity(endpoint.Address) is { } identity)
        {
            json.WriteString("identity", identity.ToString());
        }
        else
        {
            json.WriteNull("identity");
        }

        json.WriteBoolean("mtls", options.Identity is not null && snapshot.Security.Upstream(endpoint.Address) is not null);
    }

    public static void WriteListener(Utf8JsonWriter json, ProxyOptions options, RuntimeSnapshot snapshot, ListenerDescription listener)
    {
        if (listener.Direction != ListenerDirection.Inbound || options.Inbound is not { } inbound)
        {
            return;
        }

        var mode = options.Identity is null ? MtlsMode.Disable : snapshot.Security.InboundMode(inbound.ServicePort);
        json.WriteString("mtlsMode", Mode(mode));
    }

    /// <summary>PeerAuthentication's names for the modes.</summary>
    public static string Mode(MtlsMode mode) => mode switch
    {
        MtlsMode.Strict => "STRICT",
        MtlsMode.Disable => "DISABLE",
        _ => "PERMISSIVE",
    };
}
