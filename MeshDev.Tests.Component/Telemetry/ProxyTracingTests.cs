using MeshDev.Tests.Proxy;
using MeshDev.Tests.Telemetry.Infrastructure;
using MeshDev.Tests.Telemetry.Otlp;

namespace MeshDev.Tests.Telemetry;

/// <summary>The proxies' spans as an OTLP receiver gets them: one trace across gateway and sidecars, linked hop by hop.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class ProxyTracingTests
{
    [Fact]
    public async Task One_request_through_gateway_and_two_sidecars_is_one_trace_with_each_hop_the_parent_of_the_next()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var mesh = await TelemetryMesh.StartAsync(receiver.ExporterEnvironment);
        using var client = new HttpClient { BaseAddress = mesh.GatewayUrl };

        Assert.Equal("productpage <- reviews-v2", await client.GetStringAsync("/productpage"));

        // The trace id the reviews app was handed is the one every proxy span must carry.
        var reviewsTraceParent = Assert.Single(mesh.ReviewsAppRequests)["traceparent"].ToString().Split('-');
        var traceId = reviewsTraceParent[1];
        await receiver.WaitUntilAsync(r => r.Spans.Count(s => s.TraceId == traceId) >= 5, "five proxy spans of the trace");
        var spans = receiver.Spans.Where(s => s.TraceId == traceId).ToArray();
        Assert.All(spans, s => Assert.Equal("MeshDev.Proxy", s.Scope));

        var gatewayServer = Assert.Single(spans, s => s.Service == TelemetryMesh.GatewayProxy && s.Span.Kind == Span.Types.SpanKind.Server);
        var gatewayClient = Assert.Single(spans, s => s.Service == TelemetryMesh.GatewayProxy && s.Span.Kind == Span.Types.SpanKind.Client);
        var productPageInbound = Assert.Single(spans, s => s.Service == TelemetryMesh.ProductPageProxy && s.Span.Kind == Span.Types.SpanKind.Server);
        var productPageOutbound = Assert.Single(spans, s => s.Service == TelemetryMesh.ProductPageProxy && s.Span.Kind == Span.Types.SpanKind.Client);
        var reviewsInbound = Assert.Single(spans, s => s.Service == TelemetryMesh.ReviewsProxy && s.Span.Kind == Span.Types.SpanKind.Server);

        // The client's request started the trace at the gateway; every hop is the child of the one before.
        Assert.Equal("", gatewayServer.ParentSpanId);
        Assert.Equal(gatewayServer.SpanId, gatewayClient.ParentSpanId);
        Assert.Equal(gatewayClient.SpanId, productPageInbound.ParentSpanId);
        // The productpage app passed on the context its sidecar gave it, so its call's parent is the inbound span.
        Assert.Equal(productPageInbound.SpanId, productPageOutbound.ParentSpanId);
        Assert.Equal(productPageOutbound.SpanId, reviewsInbound.ParentSpanId);
        // And the reviews app's parent is its sidecar's span.
        Assert.Equal(reviewsInbound.SpanId, reviewsTraceParent[2]);

        // Envoy's and Istio's attribute names, next to OpenTelemetry's.
        Assert.Equal("GET", gatewayServer.Attributes["http.method"]);
        Assert.Equal("200", gatewayServer.Attributes["http.status_code"]);
        Assert.Equal("-", gatewayServer.Attributes["response_flags"]);
        Assert.Equal(TelemetryMesh.GatewayProxy, gatewayServer.Attributes["node_id"]);
        Assert.Equal("outbound|||reviews.default.svc.cluster.local", productPageOutbound.Attributes["upstream_cluster"]);
        Assert.Equal("http://reviews/reviews/0", productPageOutbound.Attributes["http.url"]);
        Assert.Equal("200", productPageOutbound.Attributes["http.status_code"]);
        Assert.Equal("reviews.default.svc.cluster.local:9080/*", reviewsInbound.Span.Name);
        Assert.Equal("inbound|9080||", reviewsInbound.Attributes["upstream_cluster"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_B3_trace_context_at_the_gateway_continues_as_W3C_through_the_mesh(bool singleHeader)
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var mesh = await TelemetryMesh.StartAsync(receiver.ExporterEnvironment);
        using var client = new HttpClient { BaseAddress = mesh.GatewayUrl };
        const string b3TraceId = "463ac35c9f6413ad";
        const string b3SpanId = "a2fb4a1d1a96d312";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/productpage");
        if (singleHeader)
        {
            request.Headers.Add("b3", $"{b3TraceId}-{b3SpanId}-1");
        }
        else
        {
            request.Headers.Add("x-b3-traceid", b3TraceId);
            request.Headers.Add("x-b3-spanid", b3SpanId);
            request.Headers.Add("x-b3-sampled", "1");
        }

        using var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode);

        // A 64-bit B3 trace id is the low half of the W3C one.
        var traceId = "0000000000000000" + b3TraceId;
        var seenByApp = Assert.Single(mesh.ReviewsAppRequests);
        Assert.Equal(traceId, seenByApp["traceparent"].ToString().Split('-')[1]);
        Assert.False(seenByApp.ContainsKey("x-b3-traceid") || seenByApp.ContainsKey("b3"), "B3 headers must not reach the apps next to traceparent");

        await receiver.WaitUntilAsync(r => r.Spans.Any(s => s.TraceId == traceId && s.Service == TelemetryMesh.GatewayProxy && s.Span.Kind == Span.Types.SpanKind.Server),
            "the gateway's server span");
        var gatewayServer = receiver.Spans.Single(s => s.TraceId == traceId && s.Service == TelemetryMesh.GatewayProxy && s.Span.Kind == Span.Types.SpanKind.Server);
        Assert.Equal(b3SpanId, gatewayServer.ParentSpanId);
    }
}
