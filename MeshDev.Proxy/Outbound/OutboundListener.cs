using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// The loopback listener a sidecar opens for one upstream service. The app's service discovery points
/// "http://reviews" here, so everything arriving on this port is for that service, Host header untouched.
/// </summary>
public sealed class OutboundListener(OutboundServiceOptions service, ClusterForwarder forwarder, StatsRegistry stats) : IListenerHandler
{
    private readonly ClusterStats _stats = stats.Cluster(service.Service);

    public ListenerDescription Description { get; } = new(
        $"outbound|{service.Service}", "127.0.0.1", service.Port, service.Protocol, ListenerDirection.Outbound, service.Service);

    public Task HandleAsync(HttpContext context) => forwarder.ForwardAsync(context, service.Service, _stats, service.Protocol);
}
