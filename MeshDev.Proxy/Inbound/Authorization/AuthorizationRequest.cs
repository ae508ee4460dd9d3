using System.Net;
using MeshDev.Core.Identity;
using MeshDev.Proxy.Inbound.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace MeshDev.Proxy.Inbound.Authorization;

/// <summary>
/// What an AuthorizationPolicy can look at, read once per request: the peer's identity (from its client
/// certificate, absent on plaintext), the JWT identity, addresses, ports and the HTTP request itself.
/// </summary>
public sealed class AuthorizationRequest
{
    /// <summary>Peer identity without the scheme, e.g. "cluster.local/ns/default/sa/productpage"; null without mTLS.</summary>
    public string? Principal { get; init; }
    public string? PeerNamespace { get; init; }
    public string? PeerServiceAccount { get; init; }
    public RequestIdentity? Identity { get; init; }
    public IPAddress? SourceIp { get; init; }
    /// <summary>The original client: the last X-Forwarded-For address (Envoy with no trusted hops), else the peer.</summary>
    public IPAddress? RemoteIp { get; init; }
    public IPAddress? DestinationIp { get; init; }
    public int DestinationPort { get; init; }
    public string Host { get; init; } = "";
    public string Method { get; init; } = "";
    public string Path { get; init; } = "";
    public string? Sni { get; init; }
    public Func<string, string?> Header { get; init; } = _ => null;

    public static AuthorizationRequest From(HttpContext context, int destinationPort, RequestIdentity? identity)
    {
        var peer = SpiffeId.FromCertificate(context.Connection.ClientCertificate);
        var headers = context.Request.Headers;
        return new AuthorizationRequest
        {
            Principal = peer?.Principal,
            PeerNamespace = peer?.Namespace,
            PeerServiceAccount = peer?.ServiceAccount,
            Identity = identity,
            SourceIp = Unmapped(context.Connection.RemoteIpAddress),
            RemoteIp = LastForwardedFor(headers["X-Forwarded-For"]) ?? Unmapped(context.Connection.RemoteIpAddress),
            DestinationIp = Unmapped(context.Connection.LocalIpAddress),
            DestinationPort = destinationPort,
            Host = context.Request.Host.Value ?? "",
            Method = context.Request.Method,
            Path = context.Request.Path.HasValue ? context.Request.PathBase.Add(context.Request.Path).Value! : "/",
            Sni = context.Features.Get<ITlsHandshakeFeature>()?.HostName is { Length: > 0 } sni ? sni : null,
            // Envoy joins repeated headers with ',' before matching.
            Header = name => headers.TryGetValue(name, out var values) ? string.Join(',', values.ToArray()) : null,
        };
    }

    private static IPAddress? LastForwardedFor(Microsoft.Extensions.Primitives.StringValues values)
    {
        var last = values.Count == 0 ? null : values[^1]?.Split(',')[^1].Trim();
        return last is not null && IPAddress.TryParse(last, out var address) ? Unmapped(address) : null;
    }

    private static IPAddress? Unmapped(IPAddress? address) => address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
