using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

/// <summary>The proxy's side of the configuration stream, against a scripted control plane.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class DiscoveryTests
{
    [Fact]
    public async Task Applied_snapshot_is_acked_and_routes_outbound_requests_to_the_cluster()
    {
        await using var reviews = await TestBackend.StartAsync(c => c.Response.WriteAsync($"reviews saw host={c.Request.Host} path={c.Request.Path}{c.Request.QueryString}"));
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var controlPlane = await ScriptedControlPlane.StartAsync();
        var outboundPort = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("productpage-1", "productpage", controlPlane.Address, app.Url)
                .Set("Mesh:Labels:version", "v1")
                .WithOutbound("reviews", outboundPort));

        var stream = await controlPlane.NextStreamAsync("productpage-1");
        Assert.Equal(ProxyMode.Sidecar, stream.Hello.Mode);
        Assert.Equal("productpage", stream.Hello.Service);
        Assert.Equal("default", stream.Hello.Namespace);
        Assert.Equal("v1", stream.Hello.Labels["version"]);
        Assert.Equal(new[] { "reviews" }, stream.Hello.UpstreamServices.ToArray());
        Assert.Equal($"127.0.0.1:{proxy.Settings.InboundPort}", stream.Hello.InboundAddress);
        Assert.Equal(9080u, stream.Hello.ServicePort);
        Assert.Equal($"http://127.0.0.1:{proxy.Settings.AdminPort}", stream.Hello.AdminUrl);
        Assert.Equal("", stream.Hello.AppliedVersion);

        var nonce = stream.Push(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, reviews.Address)));
        var ack = await stream.NextAckAsync();
        Assert.Equal("v1", ack.Version);
        Assert.Equal(nonce, ack.Nonce);

        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{outboundPort}/reviews/0?x=1");
        request.Headers.Host = "reviews";
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("reviews saw host=reviews path=/reviews/0?x=1", await response.Content.ReadAsStringAsync());

        var dump = await proxy.ConfigDumpAsync();
        Assert.Equal("v1", dump.GetProperty("version").GetString());
        var cluster = dump.GetProperty("snapshot").GetProperty("clusters")[0];
        Assert.Equal("reviews", cluster.GetProperty("name").GetString());
        Assert.Equal("ROUND_ROBIN", cluster.GetProperty("loadBalancer").GetString());
        Assert.Equal(reviews.Address, cluster.GetProperty("endpoints")[0].GetProperty("address").GetString());
    }

    [Fact]
    public async Task Invalid_snapshot_is_nacked_with_the_reason_and_the_last_good_snapshot_keeps_serving()
    {
        await using var reviews = await TestBackend.StartAsync(c => c.Response.WriteAsync("reviews"));
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var controlPlane = await ScriptedControlPlane.StartAsync();
        var outboundPort = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("productpage-1", "productpage", controlPlane.Address, app.Url).WithOutbound("reviews", outboundPort));
        var stream = await controlPlane.NextStreamAsync("productpage-1");
        stream.Push(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.LeastRequest, reviews.Address)));
        await stream.NextAckAsync();

        var nonce = stream.Push(Snapshots.Of("v2",
            Snapshots.Cluster("reviews", LoadBalancerPolicy.LeastRequest, ServiceProtocol.Http,
                Snapshots.Endpoint(reviews.Address), Snapshots.Endpoint("reviews-v2:notaport", proxyId: "reviews-v2-1"))));
        var nack = await stream.NextNackAsync();
        Assert.Equal("v2", nack.Version);
        Assert.Equal(nonce, nack.Nonce);
        Assert.Contains("cluster 'reviews' endpoint 1 (proxy 'reviews-v2-1')", nack.Reason);
        Assert.Contains("'reviews-v2:notaport'", nack.Reason);

        using var client = new HttpClient();
        Assert.Equal("reviews", await client.GetStringAsync($"http://127.0.0.1:{outboundPort}/"));
        var dump = await proxy.ConfigDumpAsync();
        Assert.Equal("v1", dump.GetProperty("version").GetString());
        Assert.Equal("v2", dump.GetProperty("lastNack").GetProperty("version").GetString());
        Assert.Equal(nack.Reason, dump.GetProperty("lastNack").GetProperty("reason").GetString());
        Assert.Equal(1, await proxy.CounterAsync("control_plane.snapshots_applied"));
        Assert.Equal(1, await proxy.CounterAsync("control_plane.snapshots_rejected"));
    }

    [Fact]
    public async Task Without_a_control_plane_the_proxy_stays_up_not_ready_and_connects_once_it_appears()
    {
        await using var app = await TestBackend.StartHealthyAppAsync();
        var controlPlanePort = FreePort.Next();
        var controlPlaneAddress = new Uri($"http://127.0.0.1:{controlPlanePort}");
        await using var proxy = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("reviews-1", "reviews", controlPlaneAddress, app.Url).WithOutbound("ratings", FreePort.Next()));

        // It keeps trying, with backoff, and stays up meanwhile.
        await proxy.WaitUntilAsync(async () => await proxy.CounterAsync("control_plane.connect_attempts") >= 3,
            "three attempts to reach the missing control plane");
        Assert.False(proxy.HasExited, proxy.Output);
        var (status, body) = await proxy.GetAdminAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains($"no configuration snapshot yet: control plane http://127.0.0.1:{controlPlanePort} unreachable (connection refused), attempt ", body);
        Assert.Contains("next retry in ", body);
        Assert.Contains("\"ready\":false", body);

        // The control plane appears on the address the proxy keeps trying: the proxy connects, applies and is ready.
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => Snapshots.Of("v1"), controlPlanePort);
        var stream = await controlPlane.NextStreamAsync("reviews-1", TimeSpan.FromSeconds(20));
        await stream.NextAckAsync();
        await proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Status == HttpStatusCode.OK, "/ready to answer 200");
        Assert.Equal(1, (await proxy.StatsAsync()).GetProperty("gauges").GetProperty("control_plane.connected").GetInt64());
    }

    [Fact]
    public async Task After_the_control_plane_restarts_the_proxy_reconnects_and_reports_the_version_it_serves()
    {
        await using var reviews = await TestBackend.StartAsync(c => c.Response.WriteAsync("reviews"));
        await using var app = await TestBackend.StartHealthyAppAsync();
        var controlPlanePort = FreePort.Next();
        var controlPlane = await ScriptedControlPlane.StartAsync(port: controlPlanePort);
        var outboundPort = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("productpage-1", "productpage", controlPlane.Address, app.Url).WithOutbound("reviews", outboundPort));
        var stream = await controlPlane.NextStreamAsync("productpage-1");
        stream.Push(Snapshots.Of("v7", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, reviews.Address)));
        await stream.NextAckAsync();

        await controlPlane.DisposeAsync();
        using var client = new HttpClient();
        Assert.Equal("reviews", await client.GetStringAsync($"http://127.0.0.1:{outboundPort}/"));

        await using var restarted = await ScriptedControlPlane.StartAsync(port: controlPlanePort);
        var second = await restarted.NextStreamAsync("productpage-1", TimeSpan.FromSeconds(20));
        Assert.Equal("v7", second.Hello.AppliedVersion);
        Assert.True(await proxy.CounterAsync("control_plane.connect_failures") >= 1);
    }
}
