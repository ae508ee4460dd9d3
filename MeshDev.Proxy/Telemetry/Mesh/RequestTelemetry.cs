using System.Diagnostics;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Telemetry.Tracing;
using Yarp.ReverseProxy.Forwarder;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Telemetry.Mesh;

/// <summary>
/// What the proxy learns about one request while it handles it — where it was routed, each try's endpoint, Envoy's
/// response flags — kept on the request (as an HttpContext feature) until <see cref="MeshTelemetry.End"/> turns it
/// into Istio's metrics, the server span's outcome and an access log line. Absent when telemetry is off.
/// </summary>
public sealed class RequestTelemetry
{
    private readonly MeshTelemetry _owner;

    internal RequestTelemetry(MeshTelemetry owner, ListenerDirection direction, string? service)
    {
        _owner = owner;
        Direction = direction;
        Service = service;
        StartTimestamp = Stopwatch.GetTimestamp();
        StartTime = DateTime.UtcNow;
    }

    public ListenerDirection Direction { get; }

    public long StartTimestamp { get; }

    public DateTime StartTime { get; }

    public ResponseFlags Flags { get; private set; }

    /// <summary>The mesh service the request was sent to; null until routed (or when no route matched at the gateway).</summary>
    public string? Service { get; private set; }

    public string? RouteName { get; private set; }

    /// <summary>The subset of <see cref="Service"/> the route picked; empty for the whole service.</summary>
    public string Subset { get; private set; } = "";

    /// <summary>The endpoint of the last try; null when no try was made.</summary>
    public IUpstreamPeer? Endpoint { get; private set; }

    public int Tries { get; private set; }

    internal Activity? ServerSpan { get; set; }

    /// <summary>Parent of every try's client span: the server span, or the context the app sent (outbound).</summary>
    internal ActivityContext TryParent { get; set; }

    internal IstioWorkloadLabels? Peer { get; set; }

    internal string? PeerPrincipal { get; set; }

    internal CountingReadStream? RequestBody { get; set; }

    internal CountingWriteStream? ResponseBody { get; set; }

    /// <summary>The trace the request belongs to, for the access log.</summary>
    internal ActivityTraceId TraceId { get; set; }

    public static RequestTelemetry? Of(HttpContext context) => context.Features.Get<RequestTelemetry>();

    /// <summary>Records one of Envoy's response flags on the request, if telemetry is observing it.</summary>
    public static void Flag(HttpContext context, ResponseFlags flag)
    {
        if (Of(context) is { } telemetry)
        {
            telemetry.Flags |= flag;
        }
    }

    public void Flag(ResponseFlags flag) => Flags |= flag;

    /// <summary>The route matched and its destination was picked.</summary>
    public void Routed(string routeName, string service, string subset)
    {
        RouteName = routeName;
        Service = service;
        Subset = subset;
    }

    /// <summary>
    /// Starts the client span of one try to <paramref name="endpoint"/> and makes it the parent the upstream sees.
    /// Dispose the span when the try has ended.
    /// </summary>
    public Activity? StartTry(HttpContext context, string cluster, IUpstreamPeer endpoint)
    {
        Tries++;
        Endpoint = endpoint;
        return _owner.StartTry(this, context, cluster, endpoint);
    }

    /// <summary>Records how a try ended on its span.</summary>
    public static void EndTry(Activity? span, ForwarderError error, int statusCode)
    {
        if (span is null || !span.IsAllDataRequested)
        {
            return;
        }

        if (statusCode != 0)
        {
            span.SetTag("http.status_code", statusCode);
            span.SetTag("http.response.status_code", statusCode);
        }

        if (error != ForwarderError.None)
        {
            span.SetTag("error.type", error.ToString());
            span.SetStatus(ActivityStatusCode.Error, error.ToString());
        }
        else if (statusCode >= 500)
        {
            span.SetStatus(ActivityStatusCode.Error);
        }
    }
}
