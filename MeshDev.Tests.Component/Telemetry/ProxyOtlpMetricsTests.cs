using MeshDev.Tests.Proxy;
using MeshDev.Tests.Telemetry.Infrastructure;

namespace MeshDev.Tests.Telemetry;

/// <summary>Istio's standard metrics as an OTLP receiver gets them from real proxies.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class ProxyOtlpMetricsTests
{
    [Fact]
    public async Task Proxies_export_istio_requests_total_and_the_duration_histogram_by_OTLP()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var mesh = await TelemetryMesh.StartAsync(receiver.ExporterEnvironment);
        using var client = new HttpClient { BaseAddress = mesh.GatewayUrl };
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("productpage <- reviews-v2", await client.GetStringAsync("/productpage"));
        }

        var toReviews = new Dictionary<string, string>
        {
            ["reporter"] = "destination",
            ["source_workload"] = "productpage-v1",
            ["source_app"] = "productpage",
            ["source_version"] = "v1",
            ["destination_workload"] = "reviews-v2",
            ["destination_app"] = "reviews",
            ["destination_version"] = "v2",
            ["destination_service"] = "reviews.default.svc.cluster.local",
            ["response_code"] = "200",
            ["connection_security_policy"] = "none",
        };
        await receiver.WaitUntilAsync(
            r => r.LatestPoints("istio_requests_total").Any(p => p.Service == TelemetryMesh.ReviewsProxy && Matches(p, toReviews) && p.Value >= 2),
            "reviews' sidecar to export istio_requests_total for both requests");
        var requests = Assert.Single(receiver.LatestPoints("istio_requests_total"), p => p.Service == TelemetryMesh.ReviewsProxy && Matches(p, toReviews));
        Assert.Equal(2, requests.Value);

        await receiver.WaitUntilAsync(
            r => r.LatestPoints("istio_request_duration_milliseconds").Any(p => p.Service == TelemetryMesh.ReviewsProxy && Matches(p, toReviews) && p.Count >= 2),
            "reviews' sidecar to export the duration histogram");
        var duration = Assert.Single(receiver.LatestPoints("istio_request_duration_milliseconds"), p => p.Service == TelemetryMesh.ReviewsProxy && Matches(p, toReviews));
        Assert.Equal(2, duration.Count);
        Assert.Equal([0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000], duration.ExplicitBounds);
        Assert.Equal(2, duration.BucketCounts.Sum());

        // The gateway reports as a source: itself calling productpage.
        var fromGateway = new Dictionary<string, string>
        {
            ["reporter"] = "source",
            ["source_workload"] = "gateway",
            ["destination_workload"] = "productpage-v1",
            ["destination_service_name"] = "productpage",
            ["response_code"] = "200",
        };
        await receiver.WaitUntilAsync(
            r => r.LatestPoints("istio_requests_total").Any(p => p.Service == TelemetryMesh.GatewayProxy && Matches(p, fromGateway) && p.Value >= 2),
            "the gateway to export istio_requests_total");
    }

    private static bool Matches(ReceivedPoint point, IReadOnlyDictionary<string, string> expected) =>
        expected.All(e => point.Attributes.TryGetValue(e.Key, out var value) && value == e.Value);
}
