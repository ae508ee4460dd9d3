using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using MeshDev.Core.Identity;
using MeshDev.Core.Telemetry;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Telemetry.AccessLog;
using MeshDev.Proxy.Telemetry.Tracing;
using Microsoft.AspNetCore.Http.Features;

namespace MeshDev.Proxy.Telemetry.Mesh;

/// <summary>
/// The proxy's telemetry of HTTP requests, Istio's way: each listener begins a <see cref="RequestTelemetry"/> when a
/// request arrives and ends it when the request is done. Beginning reads the caller's trace context and peer
/// metadata, starts the server span and passes both on; ending records Istio's standard metrics (reporter
/// "destination" on a sidecar's inbound side, "source" on its outbound side and at the gateway), closes the span and
/// writes the access log line.
/// </summary>
public sealed class MeshTelemetry
{
    private readonly ProxyOptions _options;
    private readonly IstioMetrics _metrics;
    private readonly AccessLogWriter _accessLog;
    private readonly IstioWorkloadLabels _self;
    private readonly string _selfPeerHeader;
    private readonly string _selfPrincipal;
    private readonly DestinationService? _inboundService;
    private readonly string _inboundSpanName;
    private readonly string _inboundCluster;
    private readonly string? _appAddress;
    private readonly ConcurrentDictionary<string, DestinationService> _services = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _clientSpanNames = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<IUpstreamPeer, IstioWorkloadLabels> _endpointLabels = new();

    public MeshTelemetry(ProxyOptions options, IstioMetrics metrics, AccessLogWriter accessLog)
    {
        _options = options;
        _metrics = metrics;
        _accessLog = accessLog;
        _self = IstioWorkloadLabels.From(options.Telemetry.Workload, options.Namespace, options.Labels);
        _selfPeerHeader = PeerMetadata.Format(_self);
        _selfPrincipal = options.Telemetry.Identity.ToString();
        if (options.Inbound is { } inbound)
        {
            _inboundService = DestinationService.Of(options.Service, options.Namespace);
            var port = inbound.ServicePort.ToString(CultureInfo.InvariantCulture);
            _inboundSpanName = $"{_inboundService.Host}:{port}/*";
            _inboundCluster = $"inbound|{port}||";
            _appAddress = inbound.AppAddress.Authority;
        }
        else
        {
            _inboundSpanName = "";
            _inboundCluster = "";
        }
    }

    public bool Enabled => _options.Telemetry.Enabled;

    /// <summary>A request arrived on the sidecar's inbound listener, for the app behind it.</summary>
    public RequestTelemetry? BeginInbound(HttpContext context)
    {
        if (!Enabled)
        {
            // The peer-metadata header is for this hop only, whatever this proxy does with it.
            context.Request.Headers.Remove(PeerMetadata.HeaderName);
            return null;
        }

        var request = Begin(context, ListenerDirection.Inbound, _options.Service);
        var headers = context.Request.Headers;
        if (headers.TryGetValue(PeerMetadata.HeaderName, out var peer))
        {
            request.Peer = PeerMetadata.Parse(peer.ToString());
            // The header is for this hop only: the app never sees it.
            headers.Remove(PeerMetadata.HeaderName);
        }

        request.PeerPrincipal = SpiffeId.FromCertificate(context.Connection.ClientCertificate)?.ToString();
        TraceContext.TryExtract(headers, out var parent);
        request.ServerSpan = ProxySpans.Start(_inboundSpanName, ActivityKind.Server, parent);
        if (request.ServerSpan is { } span)
        {
            request.TraceId = span.TraceId;
            TagServerSpan(span, context);
            span.SetTag("upstream_cluster", _inboundCluster);
            TraceContext.Inject(headers, span);
        }

        return request;
    }

    /// <summary>A request arrived on a sidecar's outbound listener for <paramref name="service"/>, from the app.</summary>
    public RequestTelemetry? BeginOutbound(HttpContext context, string service)
    {
        if (!Enabled)
        {
            // Only a proxy speaks for a workload: an app's own header never goes on.
            context.Request.Headers.Remove(PeerMetadata.HeaderName);
            return null;
        }

        var request = Begin(context, ListenerDirection.Outbound, service);
        context.Request.Headers[PeerMetadata.HeaderName] = _selfPeerHeader;
        // No span of its own: the app's client span is the parent of each try's span, as with Istio's sidecars.
        if (TraceContext.TryExtract(context.Request.Headers, out var parent))
        {
            request.TryParent = parent;
            request.TraceId = parent.TraceId;
        }

        return request;
    }

    /// <summary>A request arrived at the gateway from outside the mesh.</summary>
    public RequestTelemetry? BeginGateway(HttpContext context)
    {
        if (!Enabled)
        {
            // An outside client never speaks for a workload.
            context.Request.Headers.Remove(PeerMetadata.HeaderName);
            return null;
        }

        var request = Begin(context, ListenerDirection.Gateway, service: null);
        var headers = context.Request.Headers;
        headers[PeerMetadata.HeaderName] = _selfPeerHeader;
        TraceContext.TryExtract(headers, out var parent);
        request.ServerSpan = ProxySpans.Start($"{context.Request.Host.Value}/*", ActivityKind.Server, parent);
        if (request.ServerSpan is { } span)
        {
            request.TraceId = span.TraceId;
            request.TryParent = span.Context;
            TagServerSpan(span, context);
        }

        return request;
    }

    internal Activity? StartTry(RequestTelemetry request, HttpContext context, string cluster, IUpstreamPeer endpoint)
    {
        var name = _clientSpanNames.GetOrAdd(cluster, static (c, self) => $"{self.Service(c).Host}/*", this);
        var span = ProxySpans.Start(name, ActivityKind.Client, request.TryParent);
        if (span is null)
        {
            return null;
        }

        if (request.TryParent == default)
        {
            // The app sent no trace context: the first try starts the trace and any retry joins it under that try.
            request.TryParent = span.Context;
            request.TraceId = span.TraceId;
        }

        TraceContext.Inject(context.Request.Headers, span);
        if (span.IsAllDataRequested)
        {
            var http = context.Request;
            span.SetTag("node_id", _options.ProxyId);
            span.SetTag("component", "proxy");
            span.SetTag("upstream_cluster", UpstreamClusterName(cluster, request.Subset));
            span.SetTag("upstream_cluster.name", cluster);
            span.SetTag("peer.address", endpoint.Address);
            span.SetTag("network.peer.address", endpoint.Address);
            span.SetTag("http.method", http.Method);
            span.SetTag("http.request.method", http.Method);
            var url = $"http://{Service(cluster).Name}{SafeRequestText.PathAndQuery(http)}";
            span.SetTag("http.url", url);
            span.SetTag("url.full", url);
            span.SetTag("server.address", Service(cluster).Host);
            span.SetTag("retry.attempt", request.Tries - 1);
            if (Destination(endpoint) is { } destination)
            {
                span.SetTag("istio.canonical_service", destination.CanonicalService);
                span.SetTag("istio.canonical_revision", destination.CanonicalRevision);
            }
        }

        return span;
    }

    /// <summary>The request is done: metrics, the server span's outcome and the access log line.</summary>
    public void End(HttpContext context, RequestTelemetry? request)
    {
        if (request is null)
        {
            return;
        }

        var response = context.Response;
        if (context.RequestAborted.IsCancellationRequested)
        {
            request.Flag(ResponseFlags.DownstreamConnectionTermination);
        }

        var elapsed = Stopwatch.GetElapsedTime(request.StartTimestamp);
        var durationMilliseconds = elapsed.TotalMilliseconds;
        var statusCode = response.StatusCode;
        var grpcStatus = GrpcStatus(context);
        var requestBytes = request.RequestBody?.BytesRead ?? 0;
        var responseBytes = request.ResponseBody?.BytesWritten ?? 0;
        var isGrpc = context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

        var labels = Labels(request, isGrpc ? IstioLabels.ProtocolGrpc : IstioLabels.ProtocolHttp);
        _metrics.RecordRequest(IstioLabels.ForRequest(labels, statusCode, grpcStatus, request.Flags), durationMilliseconds, requestBytes, responseBytes);

        if (request.ServerSpan is { } span)
        {
            if (span.IsAllDataRequested)
            {
                span.SetTag("http.status_code", statusCode);
                span.SetTag("http.response.status_code", statusCode);
                span.SetTag("response_flags", request.Flags.ToEnvoyString());
                span.SetTag("request_size", requestBytes);
                span.SetTag("response_size", responseBytes);
                if (grpcStatus.Length > 0)
                {
                    span.SetTag("grpc.status_code", grpcStatus);
                }

                if (request.Service is { } service)
                {
                    span.SetTag("upstream_cluster", request.Direction == ListenerDirection.Inbound ? _inboundCluster : UpstreamClusterName(service, request.Subset));
                }

                if (statusCode >= 500)
                {
                    span.SetStatus(ActivityStatusCode.Error);
                }
            }

            span.Dispose();
        }

        if (_options.Telemetry.WritesAccessLog)
        {
            _accessLog.Write(AccessLogEntryOf(context, request, statusCode, requestBytes, responseBytes, (long)elapsed.TotalMilliseconds));
        }
    }

    private RequestTelemetry Begin(HttpContext context, ListenerDirection direction, string? service)
    {
        var request = new RequestTelemetry(this, direction, service);
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is not { CanHaveBody: false })
        {
            request.RequestBody = new CountingReadStream(context.Request.Body);
            context.Request.Body = request.RequestBody;
        }

        request.ResponseBody = new CountingWriteStream(context.Response.Body);
        context.Response.Body = request.ResponseBody;
        context.Features.Set(request);
        return request;
    }

    private IstioLabelValues Labels(RequestTelemetry request, string protocol) =>
        request.Direction == ListenerDirection.Inbound
            ? DestinationLabels(request.Peer, request.PeerPrincipal, protocol)
            : SourceLabels(request.Service, request.Endpoint, protocol);

    /// <summary>
    /// Istio's destination reporter: the caller as its peer metadata and certificate say, this workload as itself.
    /// A caller with a certificate came over mutual TLS.
    /// </summary>
    internal IstioLabelValues DestinationLabels(IstioWorkloadLabels? peer, string? peerPrincipal, string protocol)
    {
        var mutualTls = peerPrincipal is not null;
        return new IstioLabelValues(
            Reporter.Destination,
            peer ?? IstioWorkloadLabels.None,
            peerPrincipal ?? IstioLabelNames.Unknown,
            _self,
            mutualTls ? _selfPrincipal : IstioLabelNames.Unknown,
            _inboundService ?? DestinationService.Unknown,
            protocol,
            mutualTls ? IstioLabelNames.MutualTls : IstioLabelNames.NoTls);
    }

    /// <summary>
    /// Istio's source reporter: this workload, and the destination as the endpoint it was sent to describes it.
    /// Whether the hop was mutual TLS is the destination's to report; the source says "unknown", as Istio's does.
    /// </summary>
    internal IstioLabelValues SourceLabels(string? service, IUpstreamPeer? endpoint, string protocol)
    {
        var viaMutualTls = endpoint is { PeerIdentity.Length: > 0 };
        return new IstioLabelValues(
            Reporter.Source,
            _self,
            viaMutualTls ? _selfPrincipal : IstioLabelNames.Unknown,
            endpoint is null ? IstioWorkloadLabels.None : Destination(endpoint)!,
            viaMutualTls ? endpoint!.PeerIdentity : IstioLabelNames.Unknown,
            service is null ? DestinationService.Unknown : Service(service),
            protocol,
            IstioLabelNames.Unknown);
    }

    private IstioWorkloadLabels? Destination(IUpstreamPeer endpoint) =>
        _endpointLabels.GetValue(endpoint, e => IstioWorkloadLabels.From(Core.MeshWorkloads.FromProxyId(e.ProxyId), _options.Namespace, e.Labels));

    private DestinationService Service(string cluster) =>
        _services.GetOrAdd(cluster, static (c, ns) => DestinationService.Of(c, ns), _options.Namespace);

    /// <summary>Envoy's cluster name as Istio spells it, e.g. outbound||v2|reviews.default.svc.cluster.local.</summary>
    private string UpstreamClusterName(string cluster, string subset) => $"outbound||{subset}|{Service(cluster).Host}";

    private static string GrpcStatus(HttpContext context)
    {
        if (context.Response.Headers.TryGetValue("grpc-status", out var status))
        {
            return status.ToString();
        }

        return context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { } trailers && trailers.TryGetValue("grpc-status", out var trailer)
            ? trailer.ToString()
            : "";
    }

    private void TagServerSpan(Activity span, HttpContext context)
    {
        if (!span.IsAllDataRequested)
        {
            return;
        }

        var http = context.Request;
        var url = $"{http.Scheme}://{http.Host.Value}{SafeRequestText.PathAndQuery(http)}";
        var peer = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        span.SetTag("node_id", _options.ProxyId);
        span.SetTag("component", "proxy");
        span.SetTag("http.method", http.Method);
        span.SetTag("http.request.method", http.Method);
        span.SetTag("http.url", url);
        span.SetTag("url.full", url);
        span.SetTag("http.protocol", http.Protocol);
        span.SetTag("network.protocol.version", http.Protocol.StartsWith("HTTP/", StringComparison.Ordinal) ? http.Protocol[5..] : http.Protocol);
        span.SetTag("peer.address", peer);
        span.SetTag("client.address", context.Connection.RemoteIpAddress?.ToString());
        span.SetTag("user_agent", http.Headers.UserAgent.ToString());
        span.SetTag("user_agent.original", http.Headers.UserAgent.ToString());
        span.SetTag("istio.canonical_service", _self.CanonicalService);
        span.SetTag("istio.canonical_revision", _self.CanonicalRevision);
        span.SetTag("istio.namespace", _self.Namespace);
    }

    private AccessLogEntry AccessLogEntryOf(HttpContext context, RequestTelemetry request, int statusCode, long requestBytes, long responseBytes, long durationMilliseconds)
    {
        var http = context.Request;
        var headers = http.Headers;
        var inbound = request.Direction == ListenerDirection.Inbound;
        var fromUpstream = inbound ? statusCode != 0 && (request.Flags & ~ResponseFlags.DownstreamConnectionTermination) == 0 : request.Tries > 0;
        return new AccessLogEntry(
            request.StartTime,
            http.Method,
            SafeRequestText.PathAndQuery(http),
            http.Protocol,
            statusCode,
            request.Flags.ToEnvoyString(),
            ResponseFlagsText.ResponseCodeDetails(request.Flags, fromUpstream),
            requestBytes,
            responseBytes,
            durationMilliseconds,
            headers["x-forwarded-for"].ToString(),
            headers.UserAgent.ToString(),
            headers["x-request-id"].ToString(),
            http.Host.Value,
            inbound ? _appAddress : request.Endpoint?.Address,
            inbound ? _inboundCluster : request.Service is { } service ? UpstreamClusterName(service, request.Subset) : null,
            $"{context.Connection.LocalIpAddress}:{context.Connection.LocalPort}",
            $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}",
            inbound ? "default" : request.RouteName,
            request.TraceId == default ? null : request.TraceId.ToHexString());
    }
}
