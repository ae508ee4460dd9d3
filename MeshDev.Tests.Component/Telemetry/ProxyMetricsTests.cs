using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy;
using MeshDev.Tests.Proxy.Infrastructure;
using MeshDev.Tests.Telemetry.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Tests.Telemetry;

/// <summary>Istio's standard metrics on the admin port of real proxies, after traffic through two sidecars.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class ProxyMetricsTests
{
    private static readonly Dictionary<string, string> ProductPageToReviews = new()
    {
        ["source_workload"] = "productpage-v1",
        ["source_app"] = "productpage",
        ["source_version"] = "v1",
        ["source_canonical_service"] = "productpage",
        ["source_workload_namespace"] = "default",
        ["destination_workload"] = "reviews-v2",
        ["destination_app"] = "reviews",
        ["destination_version"] = "v2",
        ["destination_canonical_service"] = "reviews",
        ["destination_workload_namespace"] = "default",
        ["destination_service"] = "reviews.default.svc.cluster.local",
        ["destination_service_name"] = "reviews",
        ["request_protocol"] = "http",
        ["response_code"] = "200",
        ["response_flags"] = "-",
        ["grpc_response_status"] = "",
    };

    [Fact]
    public async Task Both_sidecars_count_the_requests_with_Istios_labels_from_their_own_side()
    {
        await using var mesh = await TelemetryMesh.StartAsync();
        using var app = new HttpClient { BaseAddress = mesh.ReviewsOutboundUrl };
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("reviews-v2", await app.GetStringAsync($"/reviews/{i}"));
        }

        // Each proxy records a request as it finishes it, a moment after the caller has the response.
        var source = await ScrapeUntilAsync(mesh.ProductPage, samples => samples.Any(s => s.Metric == "istio_requests_total" && s.Has(ProductPageToReviews) && s.Value == 3));
        var sent = Assert.Single(source, s => s.Metric == "istio_requests_total" && s.Has(ProductPageToReviews));
        Assert.Equal("source", sent.Labels["reporter"]);
        Assert.Equal(3, sent.Value);
        // The source side cannot see how the destination took the connection, and says so as Istio's does.
        Assert.Equal("unknown", sent.Labels["connection_security_policy"]);
        AssertDurationHistogram(source, "source", 3);

        var destination = await ScrapeUntilAsync(mesh.Reviews, samples => samples.Any(s => s.Metric == "istio_requests_total" && s.Has(ProductPageToReviews) && s.Value == 3));
        var received = Assert.Single(destination, s => s.Metric == "istio_requests_total" && s.Has(ProductPageToReviews));
        Assert.Equal("destination", received.Labels["reporter"]);
        Assert.Equal(3, received.Value);
        // Plaintext between the sidecars: no mTLS, no principal.
        Assert.Equal("none", received.Labels["connection_security_policy"]);
        Assert.Equal("unknown", received.Labels["source_principal"]);
        Assert.Equal("unknown", received.Labels["destination_principal"]);
        AssertDurationHistogram(destination, "destination", 3);

        var responseBytes = Assert.Single(destination, s => s.Metric == "istio_response_bytes_sum" && s.Has(ProductPageToReviews));
        Assert.Equal(3 * "reviews-v2".Length, responseBytes.Value);

        // The peer-metadata header is the sidecars' business: the reviews app never sees it.
        Assert.Equal(3, mesh.ReviewsAppRequests.Count);
        Assert.All(mesh.ReviewsAppRequests, headers => Assert.False(headers.ContainsKey("x-meshdev-peer")));
    }

    [Fact]
    public async Task A_request_the_proxy_answers_itself_carries_its_response_flag()
    {
        await using var mesh = await TelemetryMesh.StartAsync();
        using var app = new HttpClient { BaseAddress = mesh.RatingsOutboundUrl };

        // ratings has no endpoints: Envoy's 503 with flag UH, and nothing about a destination workload.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.GetAsync("/ratings/0")).StatusCode);

        var samples = await ScrapeUntilAsync(mesh.ProductPage, all => all.Any(s => s.Metric == "istio_requests_total"));
        var failed = Assert.Single(samples, s => s.Metric == "istio_requests_total" && s.Labels["response_flags"] == "UH");
        Assert.Equal("503", failed.Labels["response_code"]);
        Assert.Equal("source", failed.Labels["reporter"]);
        Assert.Equal("productpage-v1", failed.Labels["source_workload"]);
        Assert.Equal("ratings.default.svc.cluster.local", failed.Labels["destination_service"]);
        Assert.Equal("unknown", failed.Labels["destination_workload"]);
    }

    [Fact]
    public async Task With_telemetry_off_there_are_no_istio_series_no_access_log_and_the_trace_context_passes_through()
    {
        await using var mesh = await TelemetryMesh.StartAsync(new Dictionary<string, string> { [Core.MeshEnvironment.Proxy.TelemetryEnabled] = "false" });
        using var app = new HttpClient { BaseAddress = mesh.ReviewsOutboundUrl };
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/reviews/0");
        request.Headers.Add("traceparent", traceParent);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(request)).StatusCode);

        var exposition = (await mesh.ProductPage.GetAdminAsync("/stats/prometheus")).Body;
        Assert.DoesNotContain("istio_", exposition);
        Assert.Contains("meshdev_cluster_upstream_rq_total", exposition);
        Assert.Equal(traceParent, Assert.Single(mesh.ReviewsAppRequests)["traceparent"].ToString());
        Assert.DoesNotContain("\"GET /reviews/0 HTTP/1.1\"", mesh.ProductPage.Output);
    }

    [Fact]
    public async Task A_gRPC_call_is_counted_as_grpc_with_its_status_from_the_trailers()
    {
        // A real gRPC service (HTTP/2 only) that turns every call down with NOT_FOUND after the first message.
        await using var app = await TestBackend.StartAsync(
            http2: true,
            services => services.AddGrpc(),
            web =>
            {
                web.MapGrpcService<NotFoundService>();
                web.MapGet("/health", () => "ok");
            });
        await using var clientApp = await TestBackend.StartHealthyAppAsync();
        var inboundPort = FreePort.Next();
        var outboundPort = FreePort.Next();
        await using var controlPlane = await ScriptedControlPlane.StartAsync(hello => hello.Service == "client"
            ? Snapshots.Of("v1", Snapshots.Cluster("lookup", LoadBalancerPolicy.LeastRequest, ServiceProtocol.Grpc,
                Snapshots.Endpoint($"127.0.0.1:{inboundPort}", proxyId: "lookup-v1-sidecar")))
            : Snapshots.Of("v1"));
        await using var server = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("lookup-v1-sidecar", "lookup", controlPlane.Address, app.Url, inboundPort, protocol: "grpc"));
        await using var client = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("client-v1-sidecar", "client", controlPlane.Address, clientApp.Url).WithOutbound("lookup", outboundPort, "grpc"));
        foreach (var proxy in new[] { server, client })
        {
            await proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Status == HttpStatusCode.OK, $"{proxy.Settings.ProxyId} to be ready");
        }

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{outboundPort}");
        using var call = new MeshDiscovery.MeshDiscoveryClient(channel).StreamConfig();
        await call.RequestStream.WriteAsync(new ProxyMessage { Hello = new ProxyHello { ProxyId = "x" } });
        var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.NotFound, refused.StatusCode);

        foreach (var (proxy, reporter) in new[] { (client, "source"), (server, "destination") })
        {
            // The caller has its status as soon as the trailers pass; the proxy records the call as it finishes it.
            var samples = await ScrapeUntilAsync(proxy, all => all.Any(s => s.Metric == "istio_requests_total"));
            var grpc = Assert.Single(samples, s => s.Metric == "istio_requests_total");
            Assert.Equal(reporter, grpc.Labels["reporter"]);
            Assert.Equal("grpc", grpc.Labels["request_protocol"]);
            Assert.Equal("200", grpc.Labels["response_code"]);
            Assert.Equal("5", grpc.Labels["grpc_response_status"]);
            Assert.Equal("client-v1", grpc.Labels["source_workload"]);
            Assert.Equal("lookup-v1", grpc.Labels["destination_workload"]);
        }
    }

    private sealed class NotFoundService : MeshDiscovery.MeshDiscoveryBase
    {
        public override async Task StreamConfig(IAsyncStreamReader<ProxyMessage> requestStream, IServerStreamWriter<ControlPlaneMessage> responseStream, ServerCallContext context)
        {
            await requestStream.MoveNext(context.CancellationToken);
            throw new RpcException(new Status(StatusCode.NotFound, "nothing here"));
        }
    }

    private static async Task<IReadOnlyList<PrometheusSample>> ScrapeUntilAsync(Proxy.Infrastructure.ProxyProcess proxy, Func<IReadOnlyList<PrometheusSample>, bool> ready)
    {
        IReadOnlyList<PrometheusSample> samples = [];
        await proxy.WaitUntilAsync(async () => ready(samples = await ScrapeAsync(proxy)), $"{proxy.Settings.ProxyId}'s /stats/prometheus to show the requests");
        return samples;
    }

    private static async Task<IReadOnlyList<PrometheusSample>> ScrapeAsync(Proxy.Infrastructure.ProxyProcess proxy)
    {
        var (status, body) = await proxy.GetAdminAsync("/stats/prometheus");
        Assert.Equal(HttpStatusCode.OK, status);
        PrometheusFormat.AssertWellFormed(body);
        return PrometheusSample.Parse(body);
    }

    private static void AssertDurationHistogram(IReadOnlyList<PrometheusSample> samples, string reporter, int count)
    {
        var series = ProductPageToReviews.Append(KeyValuePair.Create("reporter", reporter)).ToDictionary();
        var buckets = samples.Where(s => s.Metric == "istio_request_duration_milliseconds_bucket" && s.Has(series)).ToArray();
        // Istio's (Envoy's) bounds from 0.5 ms to one hour, then +Inf.
        Assert.Equal(["0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "30000", "60000", "300000", "600000", "1800000", "3600000", "+Inf"],
            buckets.Select(b => b.Labels["le"]));
        Assert.Equal(count, buckets[^1].Value);
        Assert.Equal(count, Assert.Single(samples, s => s.Metric == "istio_request_duration_milliseconds_count" && s.Has(series)).Value);
        Assert.True(Assert.Single(samples, s => s.Metric == "istio_request_duration_milliseconds_sum" && s.Has(series)).Value > 0);
    }
}
