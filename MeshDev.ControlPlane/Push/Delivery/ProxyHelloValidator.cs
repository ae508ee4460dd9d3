using System.Net;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>Checks a ProxyHello before it reaches the registry; the error names the field and what is wrong.</summary>
public static class ProxyHelloValidator
{
    /// <returns>null when valid, else the reason.</returns>
    public static string? Validate(ProxyHello hello)
    {
        if (string.IsNullOrWhiteSpace(hello.ProxyId))
        {
            return "ProxyHello.proxy_id is empty; every proxy needs a unique id.";
        }

        var who = $"ProxyHello from '{hello.ProxyId}'";
        if (hello.Mode is not (ProxyMode.Sidecar or ProxyMode.Gateway))
        {
            return $"{who}: mode is {hello.Mode}; expected PROXY_MODE_SIDECAR or PROXY_MODE_GATEWAY.";
        }

        if (string.IsNullOrWhiteSpace(hello.Service))
        {
            return $"{who}: service is empty; a sidecar names the service it fronts, a gateway its own name.";
        }

        if (hello.Mode == ProxyMode.Sidecar && !IsHostPort(hello.InboundAddress))
        {
            return $"{who}: inbound_address '{hello.InboundAddress}' is not host:port; peers could not reach this sidecar.";
        }

        var blankUpstream = hello.UpstreamServices.FirstOrDefault(string.IsNullOrWhiteSpace);
        if (blankUpstream is not null)
        {
            return $"{who}: upstream_services contains an empty name.";
        }

        if (hello.Identity.Length > 0 && !Core.Identity.SpiffeId.TryParse(hello.Identity, out _))
        {
            return $"{who}: identity '{hello.Identity}' is not a SPIFFE ID of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.";
        }

        return null;
    }

    private static bool IsHostPort(string address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return false;
        }

        // "[::1]:8080" and "127.0.0.1:8080" parse as endpoints; "localhost:8080" is a DNS name and a port.
        if (IPEndPoint.TryParse(address, out var ip))
        {
            return ip.Port > 0;
        }

        var colon = address.LastIndexOf(':');
        return colon > 0
            && Uri.CheckHostName(address[..colon]) == UriHostNameType.Dns
            && int.TryParse(address[(colon + 1)..], out var port) && port is > 0 and <= 65535;
    }
}
