using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Proxy.Outbound.Tls;

/// <summary>How a request's try to an upstream travelled: Istio's connection_security_policy label.</summary>
public enum ConnectionSecurity
{
    None,
    MutualTls,
}

/// <summary>The upstream peer of the last try of a request, for telemetry that reports on it afterwards.</summary>
public sealed record UpstreamPeerFeature(string Cluster, string Address, ConnectionSecurity Security);

/// <summary>Records, for each try a RouteForwarder makes, whether it went over mTLS.</summary>
public sealed class UpstreamConnectionSecurity(UpstreamTlsConnector? connector = null)
{
    public void Record(HttpContext context, string cluster, UpstreamEndpoint endpoint)
    {
        var security = connector is not null && connector.UsesMutualTls(endpoint.Address)
            ? ConnectionSecurity.MutualTls
            : ConnectionSecurity.None;
        if (connector is not null)
        {
            var stats = connector.Stats(cluster);
            (security == ConnectionSecurity.MutualTls ? stats.MutualTlsRequests : stats.PlaintextRequests).Increment();
        }

        context.Features.Set(new UpstreamPeerFeature(cluster, endpoint.Address, security));
    }
}
