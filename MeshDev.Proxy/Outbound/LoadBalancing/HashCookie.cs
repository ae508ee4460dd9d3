using System.Globalization;
using System.Text;

namespace MeshDev.Proxy.Outbound.LoadBalancing;

/// <summary>
/// The cookie a consistent hash issues when Istio's httpCookie has a ttl and the request carries none, as Envoy does:
/// the value is made from the client connection's addresses (so requests racing on one connection get the same one),
/// the request is hashed on it, and the response tells the client to send it from now on.
/// </summary>
/// <param name="Ttl">Max-Age, in whole seconds; zero makes a session cookie.</param>
/// <param name="Path">Empty: no Path attribute.</param>
public sealed record HashCookie(string Name, TimeSpan Ttl, string Path)
{
    /// <summary>A value for the client of this connection: hex of a hash of its remote and local address.</summary>
    public static string NewValue(HttpContext context)
    {
        var connection = context.Connection;
        var addresses = string.Create(CultureInfo.InvariantCulture,
            $"{connection.RemoteIpAddress}:{connection.RemotePort}{connection.LocalIpAddress}:{connection.LocalPort}");
        return RingHashLoadBalancer.Hash(addresses).ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>The Set-Cookie value for <paramref name="value"/>, in Envoy's form: quoted value, Max-Age, Path, HttpOnly.</summary>
    public string SetCookieHeader(string value)
    {
        var header = new StringBuilder().Append(Name).Append("=\"").Append(value).Append('"');
        var maxAge = (long)Ttl.TotalSeconds;
        if (maxAge > 0)
        {
            header.Append("; Max-Age=").Append(maxAge.ToString(CultureInfo.InvariantCulture));
        }

        if (Path.Length > 0)
        {
            header.Append("; Path=").Append(Path);
        }

        return header.Append("; HttpOnly").ToString();
    }
}
