using MeshDev.Core.Discovery;
using Workload = MeshDev.Tests.ControlPlane.Telemetry.ScriptedIstioMetrics.Workload;

namespace MeshDev.Tests.ControlPlane.Telemetry;

/// <summary>
/// A real control plane whose registry holds Bookinfo's proxies (speaking StreamConfig from this process), each
/// registered with an admin listener of <see cref="ScriptedIstioMetrics"/>: Bookinfo's traffic as Istio's
/// metrics describe it, for the topology's scraper to read. The gateway's metrics name it as Istio's do
/// ("istio-ingressgateway"); the topology puts it on the gateway proxy's node all the same.
/// </summary>
public sealed class ScriptedBookinfoMesh : IAsyncDisposable
{
    public static readonly Workload Gateway = new("istio-ingressgateway", "istio-ingressgateway", "unknown", "gateway");
    public static readonly Workload ProductPage = new("productpage-v1", "productpage", "v1", "productpage-v1-sidecar");
    public static readonly Workload Details = new("details-v1", "details", "v1", "details-v1-sidecar");
    public static readonly Workload ReviewsV1 = new("reviews-v1", "reviews", "v1", "reviews-v1-sidecar");
    public static readonly Workload ReviewsV2 = new("reviews-v2", "reviews", "v2", "reviews-v2-sidecar");
    public static readonly Workload ReviewsV3 = new("reviews-v3", "reviews", "v3", "reviews-v3-sidecar");
    public static readonly Workload Ratings = new("ratings-v1", "ratings", "v1", "ratings-v1-sidecar");

    private readonly List<TestProxy> _proxies;

    private ScriptedBookinfoMesh(ControlPlaneHost controlPlane, ScriptedIstioMetrics metrics, List<TestProxy> proxies)
    {
        ControlPlane = controlPlane;
        Metrics = metrics;
        _proxies = proxies;
    }

    public ControlPlaneHost ControlPlane { get; }

    public ScriptedIstioMetrics Metrics { get; }

    /// <summary>Starts the control plane with a fast scrape and a short window, so numbers settle within seconds.</summary>
    public static async Task<ScriptedBookinfoMesh> StartAsync(params string[] extraArgs)
    {
        var controlPlane = await ControlPlaneHost.StartAsync(extraArgs:
        [
            "--Mesh:ControlPlane:Telemetry:ScrapeInterval=0.25",
            "--Mesh:ControlPlane:Telemetry:Window=3",
            .. extraArgs,
        ]);
        var metrics = await ScriptedIstioMetrics.StartAsync();
        var proxies = new List<TestProxy>();
        var gateway = new ProxyHello
        {
            ProxyId = Gateway.ProxyId, Mode = ProxyMode.Gateway, Service = "gateway", Namespace = "default",
            AdminUrl = metrics.AdminUrlOf(Gateway.ProxyId), Healthy = true,
        };
        gateway.Labels.Add("istio", "ingressgateway");
        proxies.Add(await controlPlane.ConnectAsync(gateway));

        var port = 41000;
        foreach (var (workload, upstreams) in new (Workload, string[])[]
        {
            (ProductPage, ["details", "reviews", "ratings"]), (Details, []), (ReviewsV1, []),
            (ReviewsV2, ["ratings"]), (ReviewsV3, ["ratings"]), (Ratings, []),
        })
        {
            var hello = TestProxy.Sidecar(workload.ProxyId, workload.App, $"127.0.0.1:{port++}",
                new Dictionary<string, string> { ["app"] = workload.App, ["version"] = workload.Version }, upstreams);
            hello.AdminUrl = metrics.AdminUrlOf(workload.ProxyId);
            proxies.Add(await controlPlane.ConnectAsync(hello));
        }

        return new ScriptedBookinfoMesh(controlPlane, metrics, proxies);
    }

    /// <summary>Bookinfo's calls at a steady rate: every page to productpage, details and one reviews version; v2 and v3 call ratings.</summary>
    public void StartBookinfoTraffic(double pagesPerSecond = 6)
    {
        var perVersion = pagesPerSecond / 3;
        Metrics.Flow(Gateway, ProductPage, pagesPerSecond, latencyMs: 40);
        Metrics.Flow(ProductPage, Details, pagesPerSecond, latencyMs: 4);
        Metrics.Flow(ProductPage, ReviewsV1, perVersion, latencyMs: 6);
        Metrics.Flow(ProductPage, ReviewsV2, perVersion, latencyMs: 14);
        Metrics.Flow(ProductPage, ReviewsV3, perVersion, latencyMs: 15);
        Metrics.Flow(ReviewsV2, Ratings, perVersion, latencyMs: 3);
        // One edge in trouble, as Istio's v-faulty ratings would be. It carries twice v2's rate so that a 3 s window
        // holds about a dozen of its requests: with six, one request more or less moves its 5xx share by ten points.
        Metrics.Flow(ReviewsV3, Ratings, perVersion * 2, errorShare: 0.25, latencyMs: 3);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }

        await Metrics.DisposeAsync();
        await ControlPlane.DisposeAsync();
    }
}
