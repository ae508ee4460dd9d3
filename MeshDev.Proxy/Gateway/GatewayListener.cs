using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Inbound;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Outbound;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Gateway;

/// <summary>
/// The gateway's HTTP/1.1 listener. Its routes are the snapshot's route table named by the gateway's logical port
/// ("80" unless configured), evaluated by the same forwarder as a sidecar's outbound routes. No table or no match: 404.
/// </summary>
public sealed class GatewayListener : IListenerHandler
{
    private readonly RouteForwarder _forwarder;
    private readonly GatewayStats _stats;
    private readonly RouteScope _scope;

    private readonly InboundPolicyEnforcer _policy;

    public GatewayListener(ProxyOptions options, RouteForwarder forwarder, StatsRegistry stats, SnapshotStore snapshots, ILogger<GatewayListener> logger)
    {
        var gateway = options.Gateway ?? throw new InvalidOperationException("The gateway listener exists in gateway mode only.");
        _forwarder = forwarder;
        _stats = stats.Gateway;
        // The gateway's own policies (istio: ingressgateway); its destination port is its logical port, e.g. 80.
        _policy = new InboundPolicyEnforcer(snapshots, new SecurityStats(stats, "gateway.", "gateway"), gateway.ServicePort, logger);
        _scope = new RouteScope(gateway.RouteTableName, DefaultRoute: null, ServiceProtocol.Http, stats.Route(gateway.RouteTableName));
        // Listed from the start, so a quiet gateway shows zeros rather than nothing.
        _ = _stats.RequestsTotal;
        _ = _stats.NoRoute;
        Description = new ListenerDescription("gateway", gateway.BindAddress, gateway.Port, ServiceProtocol.Http, ListenerDirection.Gateway, options.Service);
    }

    public ListenerDescription Description { get; }

    public async Task HandleAsync(HttpContext context)
    {
        _stats.RequestsTotal.Increment();
        if (!await _policy.AllowAsync(context))
        {
            return;
        }

        if (!await _forwarder.ForwardAsync(context, _scope))
        {
            _stats.NoRoute.Increment();
        }
    }
}
