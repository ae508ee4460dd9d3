using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Routing;
using Microsoft.AspNetCore.Connections;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// The loopback listener a sidecar opens for one upstream TCP service. A TCP connection carries no Host header, so the
/// port alone says which service the app meant (the app's service discovery points the service's name here); the
/// snapshot's route table named after the service decides where the connection goes.
/// </summary>
public sealed class TcpOutboundListener(OutboundServiceOptions service, TcpForwarder forwarder) : ITcpListenerHandler
{
    private readonly CompiledTcpRoute _defaultRoute = CompiledTcpRoute.CatchAll(service.Service);

    public ListenerDescription Description { get; } = new(
        $"outbound|{service.Service}", "127.0.0.1", service.Port, ServiceProtocol.Tcp, ListenerDirection.Outbound, service.Service);

    public Task HandleConnectionAsync(ConnectionContext connection) => forwarder.ForwardAsync(connection, service.Service, _defaultRoute);
}
