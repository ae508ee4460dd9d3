using System.Diagnostics;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Telemetry.Mesh;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Inbound;

/// <summary>
/// The sidecar's inbound listener: the instance's address in the mesh. Everything arriving here goes to the app on
/// loopback, in the service's protocol, as it was sent, once it has passed the workload's JWT and authorization
/// policies (<see cref="InboundPolicyEnforcer"/>).
/// </summary>
public sealed class InboundListener : IListenerHandler
{
    private readonly IHttpForwarder _forwarder;
    private readonly UpstreamClient _client;
    private readonly InboundStats _stats;
    private readonly string _appPrefix;
    private readonly HttpTransformer _transformer;
    private readonly MeshTelemetry _telemetry;

    private readonly ILogger<InboundListener> _logger;
    private readonly InboundPolicyEnforcer _policy;

    public InboundListener(ProxyOptions options, IHttpForwarder forwarder, UpstreamClients clients, StatsRegistry stats, ISnapshotSource<IInboundSnapshot> snapshots, MeshTelemetry telemetry, ILogger<InboundListener> logger)
    {
        _logger = logger;
        _telemetry = telemetry;
        var inbound = options.Inbound ?? throw new InvalidOperationException("The inbound listener exists in sidecar mode only.");
        _forwarder = forwarder;
        _client = clients.For(inbound.Protocol);
        _stats = stats.Inbound(options.Service);
        _appPrefix = inbound.AppAddress.GetLeftPart(UriPartial.Authority);
        _transformer = new Tls.ForwardedClientCertificateTransformer(options.Identity?.Id);
        // Policies see the service port peers address (Istio's destination.port), not the port bound on this machine.
        _policy = new InboundPolicyEnforcer(snapshots, new SecurityStats(stats, $"inbound.{options.Service}.", "inbound"), inbound.ServicePort, logger);
        Description = new ListenerDescription("inbound", inbound.BindAddress, inbound.Port, inbound.Protocol, ListenerDirection.Inbound, options.Service);
    }

    public ListenerDescription Description { get; }

    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        _stats.RequestsTotal.Increment();
        var telemetry = _telemetry.BeginInbound(context);
        try
        {
            if (!await _policy.AllowAsync(context))
            {
                return;
            }

            var error = await _forwarder.SendAsync(context, _appPrefix, _client.Invoker, _client.RequestConfig, _transformer);
            if (ForwardingOutcome.IsConnectFailure(context, error))
            {
                _logger.LogWarning("Inbound request could not reach the app at {App}.", _appPrefix);
                telemetry?.Flag(ResponseFlags.UpstreamConnectionFailure);
                await ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status503ServiceUnavailable, ForwardingOutcome.ConnectFailureBody);
            }
        }
        finally
        {
            _stats.ResponseCodes.Record(context.Response.StatusCode);
            _stats.RequestTime.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _telemetry.End(context, telemetry);
        }
    }
}
