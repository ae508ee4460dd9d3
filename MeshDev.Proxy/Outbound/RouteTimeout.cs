using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Telemetry.Mesh;

namespace MeshDev.Proxy.Outbound;

/// <summary>The answer when a route's overall timeout runs out, wherever the request then is (admission, a try, a back-off).</summary>
public static class RouteTimeout
{
    /// <summary>Envoy's local reply for response flag UT.</summary>
    public const string Body = "upstream request timeout";

    /// <summary>Starts the route's clock; null when the route has no timeout.</summary>
    public static CancellationTokenSource? Start(TimeSpan timeout) => timeout > TimeSpan.Zero ? new CancellationTokenSource(timeout) : null;

    public static Task ReplyAsync(HttpContext context, ClusterStats clusterStats)
    {
        clusterStats.Timeouts.Increment();
        RequestTelemetry.Flag(context, ResponseFlags.UpstreamRequestTimeout);
        return ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status504GatewayTimeout, Body);
    }
}
