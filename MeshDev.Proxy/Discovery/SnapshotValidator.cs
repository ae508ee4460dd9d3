using System.Globalization;
using MeshDev.Core.Discovery;

namespace MeshDev.Proxy.Discovery;

/// <summary>
/// Checks a pushed snapshot as a whole before any of it is used. The reason names the cluster, the endpoint and the
/// field, because it travels back to the control plane in the NACK and ends up in front of a person.
/// A declared upstream without a cluster is not an error: its requests get 503 "no healthy upstream".
/// </summary>
public static class SnapshotValidator
{
    /// <returns>Null when the snapshot can be applied; otherwise why not.</returns>
    public static string? Validate(ProxySnapshot? snapshot)
    {
        if (snapshot is null)
        {
            return "the message carries no snapshot";
        }

        if (string.IsNullOrWhiteSpace(snapshot.Version))
        {
            return "snapshot.version is empty";
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var c = 0; c < snapshot.Clusters.Count; c++)
        {
            var cluster = snapshot.Clusters[c];
            if (string.IsNullOrWhiteSpace(cluster.Name))
            {
                return $"clusters[{c}].name is empty";
            }

            if (!names.Add(cluster.Name))
            {
                return $"cluster '{cluster.Name}' appears more than once";
            }

            if (!Enum.IsDefined(cluster.LoadBalancer))
            {
                return $"cluster '{cluster.Name}': load_balancer {(int)cluster.LoadBalancer} is not a known policy";
            }

            if (!Enum.IsDefined(cluster.Protocol))
            {
                return $"cluster '{cluster.Name}': protocol {(int)cluster.Protocol} is not a known protocol";
            }

            for (var e = 0; e < cluster.Endpoints.Count; e++)
            {
                var endpoint = cluster.Endpoints[e];
                if (!IsHostAndPort(endpoint.Address))
                {
                    var who = string.IsNullOrEmpty(endpoint.ProxyId) ? "" : $" (proxy '{endpoint.ProxyId}')";
                    return $"cluster '{cluster.Name}' endpoint {e}{who}: address '{endpoint.Address}' is not host:port with a port from 1 to 65535";
                }
            }
        }

        return null;
    }

    /// <summary>host:port, [ipv6]:port; the host a name or an IP address.</summary>
    public static bool IsHostAndPort(string? address)
    {
        if (string.IsNullOrEmpty(address))
        {
            return false;
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1)
        {
            return false;
        }

        var host = address[..colon];
        var portText = address[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            return Uri.CheckHostName(host[1..^1]) == UriHostNameType.IPv6;
        }

        return Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4;
    }
}
