using System.Diagnostics;
using System.Net;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Telemetry;
using MeshDev.Tests.Telemetry.Infrastructure;

namespace MeshDev.Tests.EndToEnd;

/// <summary>Istio's standard metrics on Bookinfo's sidecars after real traffic through the gateway.</summary>
[Collection(AppHostCollection.Name)]
public sealed class TelemetryTests(BookinfoAppFixture mesh) : IClassFixture<BookinfoAppFixture>
{
    [Fact]
    public async Task Productpage_and_reviews_sidecars_report_Bookinfo_traffic_in_istio_requests_total_with_a_duration_histogram()
    {
        for (var i = 0; i < 30; i++)
        {
            await mesh.GetPageAsync();
        }

        // A proxy records a request as it finishes it, a moment after the caller has the response: wait until each
        // reviews version's series has its duration recorded as often as it was counted.
        var productPage = await Eventually.ValueAsync(() => ScrapeAsync("productpage-v1-sidecar"), samples =>
            new[] { "v1", "v2", "v3" }.All(version =>
                samples.SingleOrDefault(s => s.Metric == "istio_requests_total" && s.Labels.GetValueOrDefault("reporter") == "source"
                    && s.Labels.GetValueOrDefault("destination_workload") == $"reviews-{version}") is { Value: > 0 } counted
                && samples.Any(s => s.Metric == "istio_request_duration_milliseconds_bucket" && s.Labels.GetValueOrDefault("le") == "+Inf"
                    && s.Labels.GetValueOrDefault("reporter") == "source" && s.Labels.GetValueOrDefault("destination_workload") == $"reviews-{version}"
                    && s.Value == counted.Value)),
            TimeSpan.FromSeconds(20), "productpage's sidecar to record its calls to every reviews version");

        // productpage's sidecar reports its calls to reviews as their source, one series per reviews version.
        foreach (var version in new[] { "v1", "v2", "v3" })
        {
            var calls = new Dictionary<string, string>
            {
                ["reporter"] = "source",
                ["source_workload"] = "productpage-v1",
                ["source_app"] = "productpage",
                ["source_version"] = "v1",
                ["destination_workload"] = $"reviews-{version}",
                ["destination_app"] = "reviews",
                ["destination_version"] = version,
                ["destination_service"] = "reviews.default.svc.cluster.local",
                ["request_protocol"] = "http",
                ["response_code"] = "200",
                ["destination_principal"] = "spiffe://cluster.local/ns/default/sa/bookinfo-reviews",
            };
            var requests = Assert.Single(productPage, s => s.Metric == "istio_requests_total" && s.Has(calls));
            Assert.True(requests.Value > 0, $"no request to reviews-{version}");
            Assert.Contains(productPage, s => s.Metric == "istio_request_duration_milliseconds_bucket" && s.Has(calls) && s.Labels["le"] == "+Inf" && s.Value == requests.Value);
        }

        // reviews-v2's sidecar reports the same requests as their destination, and knows they came over mTLS.
        var reviews = await ScrapeAsync("reviews-v2-sidecar");
        var received = new Dictionary<string, string>
        {
            ["reporter"] = "destination",
            ["source_workload"] = "productpage-v1",
            ["source_app"] = "productpage",
            ["source_version"] = "v1",
            ["source_principal"] = "spiffe://cluster.local/ns/default/sa/bookinfo-productpage",
            ["destination_workload"] = "reviews-v2",
            ["destination_app"] = "reviews",
            ["destination_version"] = "v2",
            ["destination_service"] = "reviews.default.svc.cluster.local",
            ["destination_principal"] = "spiffe://cluster.local/ns/default/sa/bookinfo-reviews",
            ["response_code"] = "200",
            ["response_flags"] = "-",
            ["connection_security_policy"] = "mutual_tls",
        };
        var inbound = Assert.Single(reviews, s => s.Metric == "istio_requests_total" && s.Has(received));
        Assert.True(inbound.Value > 0);
        var count = Assert.Single(reviews, s => s.Metric == "istio_request_duration_milliseconds_count" && s.Has(received));
        Assert.Equal(inbound.Value, count.Value);

        // Its calls to ratings are Istio's GET /ratings/{id} over HTTP/2, reported as it reports them: http, 200.
        var ratings = Assert.Single(reviews, s => s.Metric == "istio_requests_total" && s.Labels["reporter"] == "source" && s.Labels["destination_workload"] == "ratings-v1");
        Assert.Equal("http", ratings.Labels["request_protocol"]);
        Assert.Equal("200", ratings.Labels["response_code"]);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/bookinfo-ratings", ratings.Labels["destination_principal"]);
    }

    private async Task<IReadOnlyList<PrometheusSample>> ScrapeAsync(string proxyId)
    {
        var adminUrl = (await mesh.GetProxyAsync(proxyId)).GetProperty("adminUrl").GetString()!;
        using var response = await mesh.Http.GetAsync(new Uri(new Uri(adminUrl), "/stats/prometheus"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return PrometheusSample.Parse(await response.Content.ReadAsStringAsync());
    }
}

/// <summary>The whole of Bookinfo's telemetry at an OTLP receiver: metrics from the sidecars, one trace per page load.</summary>
[Collection(AppHostCollection.Name)]
public sealed class TelemetryExportTests(TelemetryExportFixture mesh) : IClassFixture<TelemetryExportFixture>
{
    [Fact]
    public async Task One_page_load_is_one_trace_through_gateway_productpage_reviews_and_ratings()
    {
        // Pages served by reviews v2 or v3 call ratings; the caller picks the trace id, so the trace is known.
        string? traceId = null;
        for (var attempt = 0; attempt < 30 && traceId is null; attempt++)
        {
            var candidate = ActivityTraceId.CreateRandom();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BookinfoAppFixture.Gateway, "/productpage"));
            request.Headers.Add("traceparent", $"00-{candidate.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            using var response = await mesh.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // A page whose reviews call timed out in productpage has no ratings hop: not a candidate, try another.
            if (BookinfoPage.TryParse(await response.Content.ReadAsStringAsync())?.ServedBy is "reviews-v2" or "reviews-v3")
            {
                traceId = candidate.ToHexString();
            }
        }

        Assert.NotNull(traceId);
        string[] hops = ["gateway", "productpage-v1-sidecar", "productpage-v1", "ratings-v1-sidecar", "ratings-v1"];
        await mesh.Receiver.WaitUntilAsync(
            r => hops.All(hop => r.Spans.Any(s => s.TraceId == traceId && s.Service == hop))
                // A server span ends after the calls it made, so it can be exported after them: wait for the whole tree.
                && r.Spans.Where(s => s.TraceId == traceId).Count(s => !r.Spans.Any(p => p.TraceId == traceId && p.SpanId == s.ParentSpanId)) == 1
                && r.Spans.Any(s => s.TraceId == traceId && s.Service.StartsWith("reviews-v", StringComparison.Ordinal) && !s.Service.EndsWith("-sidecar", StringComparison.Ordinal))
                && r.Spans.Any(s => s.TraceId == traceId && s.Service.StartsWith("reviews-v", StringComparison.Ordinal) && s.Service.EndsWith("-sidecar", StringComparison.Ordinal)),
            "spans of the page load from every hop", TimeSpan.FromSeconds(30));

        // Every span's parent is in the trace, except the gateway's first, whose parent is the caller's.
        var spans = mesh.Receiver.Spans.Where(s => s.TraceId == traceId).ToArray();
        var ids = spans.Select(s => s.SpanId).ToHashSet();
        var roots = spans.Where(s => !ids.Contains(s.ParentSpanId)).ToArray();
        var root = Assert.Single(roots);
        Assert.Equal("gateway", root.Service);

        // The sidecars' spans come from the proxy; the apps' from their own instrumentation, nested inside them. A trace
        // can hold ratings twice (productpage tries reviews again when its first call outlives 3 s): each nests alike.
        var ratingsAppSpans = spans.Where(s => s.Service == "ratings-v1").Select(s => s.SpanId).ToHashSet();
        var ratingsSidecarServerSpans = spans
            .Where(s => s.Service == "ratings-v1-sidecar" && s.Span.Kind == Telemetry.Otlp.Span.Types.SpanKind.Server)
            .Select(s => s.SpanId).ToHashSet();
        var ratingsAppEntries = spans.Where(s => s.Service == "ratings-v1" && !ratingsAppSpans.Contains(s.ParentSpanId)).ToArray();
        Assert.NotEmpty(ratingsAppEntries);
        Assert.All(ratingsAppEntries, entry => Assert.Contains(entry.ParentSpanId, ratingsSidecarServerSpans));
    }

    [Fact]
    public async Task Sidecars_export_istio_requests_total_with_Bookinfos_workloads_and_versions()
    {
        for (var i = 0; i < 10; i++)
        {
            await mesh.GetPageAsync();
        }

        await mesh.Receiver.WaitUntilAsync(
            r => r.LatestPoints("istio_requests_total").Any(p => p.Service == "productpage-v1-sidecar"
                && p.Attributes["reporter"] == "destination"
                && p.Attributes["source_workload"] == "gateway"
                && p.Attributes["destination_workload"] == "productpage-v1"
                && p.Attributes["destination_version"] == "v1"
                && p.Attributes["response_code"] == "200"
                && p.Value >= 10),
            "productpage's sidecar to export the page loads", TimeSpan.FromSeconds(30));
        await mesh.Receiver.WaitUntilAsync(
            r => r.LatestPoints("istio_request_duration_milliseconds").Any(p => p.Service == "productpage-v1-sidecar" && p.Count >= 10),
            "productpage's sidecar to export the duration histogram", TimeSpan.FromSeconds(30));
    }
}
