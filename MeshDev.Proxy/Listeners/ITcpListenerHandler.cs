using Microsoft.AspNetCore.Connections;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// What serves the connections that arrive on a listener for a TCP service port: Kestrel hands over the accepted
/// connection itself, no HTTP is parsed, and the connection closes when the handler returns.
/// </summary>
public interface ITcpListenerHandler
{
    ListenerDescription Description { get; }

    Task HandleConnectionAsync(ConnectionContext connection);
}
