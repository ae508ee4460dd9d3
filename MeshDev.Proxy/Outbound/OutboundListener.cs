using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Telemetry.Mesh;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// The loopback listener a sidecar opens for one upstream service. The app's service discovery points
/// "http://reviews" here, so everything arriving on this port is for that service, Host header untouched. The
/// snapshot's route table named after the service decides where it goes; without one, all of it goes to the service.
/// </summary>
public sealed class OutboundListener(OutboundServiceOptions service, RouteForwarder forwarder, StatsRegistry stats, MeshTelemetry telemetry) : IListenerHandler
{
    private readonly RouteScope _scope = new(service.Service, CompiledRoute.CatchAll(service.Service), service.Protocol, stats.Route(service.Service));

    public ListenerDescription Description { get; } = new(
        $"outbound|{service.Service}", "127.0.0.1", service.Port, service.Protocol, ListenerDirection.Outbound, service.Service);

    public async Task HandleAsync(HttpContext context)
    {
        var request = telemetry.BeginOutbound(context, service.Service);
        try
        {
            await forwarder.ForwardAsync(context, _scope);
        }
        finally
        {
            telemetry.End(context, request);
        }
    }
}
