using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

[Collection(ProxyProcessCollection.Name)]
public sealed class GatewayTests
{
    [Fact]
    public async Task Routes_match_exact_and_prefix_paths_in_order_and_anything_else_is_404()
    {
        await using var productpage = await TestBackend.StartAsync(c => c.Response.WriteAsync($"productpage {c.Request.Path} host={c.Request.Host}"));
        await using var details = await TestBackend.StartAsync(c => c.Response.WriteAsync($"details {c.Request.Path}"));
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => Snapshots.Of("v1",
            Snapshots.Cluster("productpage", LoadBalancerPolicy.LeastRequest, productpage.Address),
            Snapshots.Cluster("details", LoadBalancerPolicy.LeastRequest, details.Address)));
        var gatewayPort = FreePort.Next();
        await using var gateway = await ProxyProcess.StartAsync(
            ProxySettings.Gateway("ingressgateway-1", controlPlane.Address, gatewayPort)
                .WithRoute(0, "Exact", "/productpage", "productpage")
                .WithRoute(1, "Prefix", "/static", "productpage")
                .WithRoute(2, "Prefix", "/api/v1/products", "details")
                // Never reached for /api/v1/products/*: the earlier route wins.
                .WithRoute(3, "Prefix", "/api", "productpage"));

        var stream = await controlPlane.NextStreamAsync("ingressgateway-1");
        Assert.Equal(ProxyMode.Gateway, stream.Hello.Mode);
        Assert.Equal(new[] { "productpage", "details" }, stream.Hello.UpstreamServices.ToArray());
        Assert.Equal("", stream.Hello.InboundAddress);
        await stream.NextAckAsync();
        await gateway.WaitUntilAsync(async () => (await gateway.GetAdminAsync("/ready")).Status == HttpStatusCode.OK, "the gateway to be ready");

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}") };
        Assert.Equal($"productpage /productpage host=127.0.0.1:{gatewayPort}", await client.GetStringAsync("/productpage"));
        Assert.Equal("productpage /static/style.css", (await client.GetStringAsync("/static/style.css")).Split(" host=")[0]);
        Assert.Equal("details /api/v1/products/0", await client.GetStringAsync("/api/v1/products/0"));
        Assert.Equal("productpage /api/v1/other", (await client.GetStringAsync("/api/v1/other")).Split(" host=")[0]);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/productpage/extra")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/")).StatusCode);

        var counters = (await gateway.StatsAsync()).GetProperty("counters");
        Assert.Equal(6, counters.GetProperty("gateway.rq_total").GetInt64());
        Assert.Equal(2, counters.GetProperty("gateway.no_route").GetInt64());
        Assert.Equal(3, counters.GetProperty("cluster.productpage.upstream_rq_200").GetInt64());
        Assert.Equal(1, counters.GetProperty("cluster.details.upstream_rq_total").GetInt64());

        var listener = (await gateway.ConfigDumpAsync()).GetProperty("listeners")[0];
        Assert.Equal("gateway", listener.GetProperty("direction").GetString());
        Assert.Equal($"127.0.0.1:{gatewayPort}", listener.GetProperty("address").GetString());
    }
}
