using Microsoft.AspNetCore.Connections;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// What a listener puts in front of its connections before any protocol sees them: the inbound listener's mutual TLS
/// and PeerAuthentication (Inbound's <c>InboundConnectionSecurity</c>).
/// </summary>
public interface IConnectionSecurity
{
    ConnectionDelegate Wrap(ConnectionDelegate next);
}
