using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

[Collection(ProxyProcessCollection.Name)]
public sealed class GatewayTests
{
    [Fact]
    public async Task Route_table_80_matches_exact_and_prefix_paths_in_order_and_anything_else_is_404()
    {
        await using var productpage = await TestBackend.StartAsync(c => c.Response.WriteAsync($"productpage {c.Request.Path} host={c.Request.Host}"));
        await using var details = await TestBackend.StartAsync(c => c.Response.WriteAsync($"details {c.Request.Path}"));
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => Snapshots.Of("v1",
                Snapshots.Cluster("productpage", LoadBalancerPolicy.LeastRequest, productpage.Address),
                Snapshots.Cluster("details", LoadBalancerPolicy.LeastRequest, details.Address))
            .With(
                Routes.Table("80",
                    Routes.Route("exact", "productpage", match: Routes.Match(uri: new StringMatch { Exact = "/productpage" })),
                    Routes.Route("static", "productpage", match: Routes.Match(uri: new StringMatch { Prefix = "/static" })),
                    Routes.Route("products", "details", match: Routes.Match(uri: new StringMatch { Prefix = "/api/v1/products" })),
                    // Never reached for /api/v1/products/*: the earlier route wins.
                    Routes.Route("api", "productpage", match: Routes.Match(uri: new StringMatch { Prefix = "/api" }))),
                // A table for another gateway port is not this gateway's.
                Routes.Table("8080", Routes.Route("all", "details"))));
        var gatewayPort = FreePort.Next();
        await using var gateway = await ProxyProcess.StartAsync(ProxySettings.Gateway("ingressgateway-1", controlPlane.Address, gatewayPort));

        var stream = await controlPlane.NextStreamAsync("ingressgateway-1");
        Assert.Equal(ProxyMode.Gateway, stream.Hello.Mode);
        Assert.Empty(stream.Hello.UpstreamServices);
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
        Assert.Equal(2, counters.GetProperty("route.80.no_route").GetInt64());
        Assert.Equal(3, counters.GetProperty("cluster.productpage.upstream_rq_200").GetInt64());
        Assert.Equal(1, counters.GetProperty("cluster.details.upstream_rq_total").GetInt64());

        var listener = (await gateway.ConfigDumpAsync()).GetProperty("listeners")[0];
        Assert.Equal("gateway", listener.GetProperty("direction").GetString());
        Assert.Equal($"127.0.0.1:{gatewayPort}", listener.GetProperty("address").GetString());
    }

    [Fact]
    public async Task Gateway_without_its_route_table_answers_404()
    {
        await using var productpage = await TestBackend.StartAsync(c => c.Response.WriteAsync("productpage"));
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => Snapshots.Of("v1",
            Snapshots.Cluster("productpage", LoadBalancerPolicy.LeastRequest, productpage.Address)));
        var gatewayPort = FreePort.Next();
        await using var gateway = await ProxyProcess.StartAsync(ProxySettings.Gateway("ingressgateway-2", controlPlane.Address, gatewayPort));
        await (await controlPlane.NextStreamAsync("ingressgateway-2")).NextAckAsync();

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}") };
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/productpage")).StatusCode);
        Assert.Equal(1, await gateway.CounterAsync("route.80.no_route"));
    }
}
