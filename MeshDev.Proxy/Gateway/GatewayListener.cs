using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Outbound;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Gateway;

/// <summary>
/// The gateway's HTTP/1.1 listener: picks a route by path and sends the request to the route's service through the
/// same outbound path a sidecar uses. No route: 404.
/// </summary>
public sealed class GatewayListener : IListenerHandler
{
    private readonly GatewayRouteTable _routes;
    private readonly ClusterForwarder _forwarder;
    private readonly GatewayStats _stats;

    public GatewayListener(ProxyOptions options, GatewayRouteTable routes, ClusterForwarder forwarder, StatsRegistry stats)
    {
        var gateway = options.Gateway ?? throw new InvalidOperationException("The gateway listener exists in gateway mode only.");
        _routes = routes;
        _forwarder = forwarder;
        _stats = stats.Gateway;
        // Listed from the start, so a quiet gateway shows zeros rather than nothing.
        _ = _stats.RequestsTotal;
        _ = _stats.NoRoute;
        Description = new ListenerDescription("gateway", gateway.BindAddress, gateway.Port, ServiceProtocol.Http, ListenerDirection.Gateway, options.Service);
    }

    public ListenerDescription Description { get; }

    public Task HandleAsync(HttpContext context)
    {
        _stats.RequestsTotal.Increment();
        var route = _routes.Match(context.Request.Path.Value ?? "/");
        if (route is null)
        {
            _stats.NoRoute.Increment();
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return _forwarder.ForwardAsync(context, route.Service, route.Stats, ServiceProtocol.Http);
    }
}
