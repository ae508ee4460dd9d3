using System.Collections.Concurrent;
using MeshDev.Core;
using MeshDev.Core.Discovery;
using Endpoint = MeshDev.Core.Discovery.Endpoint;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Telemetry.Infrastructure;

/// <summary>
/// A small real mesh for telemetry tests, Bookinfo's shape in miniature: a gateway routes everything to
/// productpage-v1; productpage's app calls reviews through its sidecar's outbound listener, passing on the trace
/// context it was given; reviews-v2's sidecar fronts the reviews app. Each proxy is its own process with the labels
/// and workload names the hosting integration gives, fed by a scripted control plane. productpage's sidecar also has
/// an outbound listener for "ratings", a service without endpoints.
/// </summary>
public sealed class TelemetryMesh : IAsyncDisposable
{
    public const string ProductPageProxy = "productpage-v1-sidecar";
    public const string ReviewsProxy = "reviews-v2-sidecar";
    public const string GatewayProxy = "gateway";

    private readonly List<IAsyncDisposable> _parts = [];

    private TelemetryMesh()
    {
    }

    public ProxyProcess Gateway { get; private set; } = null!;
    public ProxyProcess ProductPage { get; private set; } = null!;
    public ProxyProcess Reviews { get; private set; } = null!;

    /// <summary>Where the gateway listens.</summary>
    public Uri GatewayUrl { get; private set; } = null!;

    /// <summary>productpage's sidecar's outbound listener for reviews: where the productpage app sends.</summary>
    public Uri ReviewsOutboundUrl { get; private set; } = null!;

    public Uri RatingsOutboundUrl { get; private set; } = null!;

    /// <summary>The headers of every request the reviews app received.</summary>
    public ConcurrentQueue<IHeaderDictionary> ReviewsAppRequests { get; } = new();

    /// <summary>The headers of every request the productpage app received.</summary>
    public ConcurrentQueue<IHeaderDictionary> ProductPageAppRequests { get; } = new();

    /// <param name="configure">Extra keys for every proxy (e.g. the OTLP exporter's environment).</param>
    public static async Task<TelemetryMesh> StartAsync(IReadOnlyDictionary<string, string>? environment = null, Action<string, ProxySettings>? configure = null)
    {
        var mesh = new TelemetryMesh();
        try
        {
            await mesh.StartPartsAsync(environment ?? new Dictionary<string, string>(), configure);
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    private async Task StartPartsAsync(IReadOnlyDictionary<string, string> environment, Action<string, ProxySettings>? configure)
    {
        var gatewayPort = FreePort.Next();
        var productPageInbound = FreePort.Next();
        var reviewsInbound = FreePort.Next();
        var reviewsOutbound = FreePort.Next();
        var ratingsOutbound = FreePort.Next();
        GatewayUrl = new Uri($"http://127.0.0.1:{gatewayPort}");
        ReviewsOutboundUrl = new Uri($"http://127.0.0.1:{reviewsOutbound}");
        RatingsOutboundUrl = new Uri($"http://127.0.0.1:{ratingsOutbound}");

        var reviewsApp = await TestBackend.StartAsync(context =>
        {
            if (context.Request.Path == "/health")
            {
                return context.Response.WriteAsync("healthy");
            }

            ReviewsAppRequests.Enqueue(Copy(context.Request.Headers));
            return context.Response.WriteAsync("reviews-v2");
        });
        _parts.Add(reviewsApp);

        var appClient = new HttpClient();
        var productPageApp = await TestBackend.StartAsync(async context =>
        {
            if (context.Request.Path == "/health")
            {
                await context.Response.WriteAsync("healthy");
                return;
            }

            ProductPageAppRequests.Enqueue(Copy(context.Request.Headers));
            // An app that takes part in no trace of its own but passes on the context it was given, as any
            // instrumented app's client call does.
            using var call = new HttpRequestMessage(HttpMethod.Get, new Uri(ReviewsOutboundUrl, "/reviews/0"));
            if (context.Request.Headers.TryGetValue("traceparent", out var traceParent))
            {
                call.Headers.TryAddWithoutValidation("traceparent", traceParent.ToString());
            }

            using var response = await appClient.SendAsync(call);
            await context.Response.WriteAsync("productpage <- " + await response.Content.ReadAsStringAsync());
        });
        _parts.Add(productPageApp);

        var controlPlane = await ScriptedControlPlane.StartAsync(hello => hello.ProxyId switch
        {
            GatewayProxy => Snapshots.Of("v1",
                    Snapshots.Cluster("productpage", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Http,
                        Endpoint($"127.0.0.1:{productPageInbound}", ProductPageProxy, "productpage", "v1")))
                .With(Routes.Table("80", Routes.Route("productpage", "productpage"))),
            ProductPageProxy => Snapshots.Of("v1",
                Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Http,
                    Endpoint($"127.0.0.1:{reviewsInbound}", ReviewsProxy, "reviews", "v2")),
                Snapshots.Cluster("ratings", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Http)),
            _ => Snapshots.Of("v1"),
        });
        _parts.Add(controlPlane);

        Reviews = await StartProxyAsync(ProxySettings.Sidecar(ReviewsProxy, "reviews", controlPlane.Address, reviewsApp.Url, reviewsInbound)
            .Set(MeshEnvironment.Proxy.Workload, "reviews-v2")
            .Set($"{MeshEnvironment.Proxy.Labels}:app", "reviews")
            .Set($"{MeshEnvironment.Proxy.Labels}:version", "v2"), environment, configure);
        ProductPage = await StartProxyAsync(ProxySettings.Sidecar(ProductPageProxy, "productpage", controlPlane.Address, productPageApp.Url, productPageInbound)
            .WithOutbound("reviews", reviewsOutbound)
            .WithOutbound("ratings", ratingsOutbound)
            .Set(MeshEnvironment.Proxy.Workload, "productpage-v1")
            .Set($"{MeshEnvironment.Proxy.Labels}:app", "productpage")
            .Set($"{MeshEnvironment.Proxy.Labels}:version", "v1"), environment, configure);
        Gateway = await StartProxyAsync(ProxySettings.Gateway(GatewayProxy, controlPlane.Address, gatewayPort)
            .Set($"{MeshEnvironment.Proxy.Labels}:istio", "ingressgateway"), environment, configure);

        foreach (var proxy in new[] { Reviews, ProductPage, Gateway })
        {
            // Every proxy has applied its snapshot (and the sidecars see their apps healthy) before traffic starts.
            await proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Status == System.Net.HttpStatusCode.OK,
                $"{proxy.Settings.ProxyId} to be ready");
        }
    }

    private async Task<ProxyProcess> StartProxyAsync(ProxySettings settings, IReadOnlyDictionary<string, string> environment, Action<string, ProxySettings>? configure)
    {
        foreach (var (key, value) in environment)
        {
            settings.Set(key, value);
        }

        configure?.Invoke(settings.ProxyId, settings);
        var proxy = await ProxyProcess.StartAsync(settings);
        _parts.Add(proxy);
        return proxy;
    }

    private static Endpoint Endpoint(string address, string proxyId, string app, string version)
    {
        var endpoint = Snapshots.Endpoint(address, proxyId: proxyId);
        endpoint.Labels["app"] = app;
        endpoint.Labels["version"] = version;
        return endpoint;
    }

    private static HeaderDictionary Copy(IHeaderDictionary headers) => new(headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase));

    public async ValueTask DisposeAsync()
    {
        // Proxies first, so that their last exports and log lines go out while the rest still runs.
        foreach (var part in Enumerable.Reverse(_parts))
        {
            await part.DisposeAsync();
        }
    }
}
