using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MeshDev.Tests.Cli;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// How the control plane follows a proxy's process: a new instance under a known proxy id is a restart, and a proxy
/// whose process is gone leaves its peers' load balancing at once rather than after the grace period.
/// </summary>
public sealed class ProxyLifecycleTests
{
    [Fact]
    public async Task A_new_instance_under_a_known_proxy_id_counts_as_a_restart_and_a_reconnect_of_the_same_instance_does_not()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync(gracePeriod: TimeSpan.FromMilliseconds(300));

        await ReconnectAsync("first");
        Assert.Equal(0, await RestartsAsync());
        await ReconnectAsync("first"); // the same process after a blip
        Assert.Equal(0, await RestartsAsync());
        await ReconnectAsync("second");
        Assert.Equal(1, await RestartsAsync());

        // Back after its grace period removed it from the registry: still the same proxy, restarted once more.
        await Eventually.ValueAsync(() => controlPlane.FindProxyAsync("reviews-v1"), p => p is null);
        await using var third = await Connect("third");
        await third.NextAsync();
        Assert.Equal(2, await RestartsAsync());
        var proxy = (await controlPlane.FindProxyAsync("reviews-v1"))!;
        Assert.Equal("third", (string?)proxy["instanceId"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), (DateTimeOffset)proxy["startedAt"]!);

        async Task ReconnectAsync(string instance)
        {
            await using var proxy = await Connect(instance);
            await proxy.NextAsync();
            await proxy.CloseAsync();
        }

        Task<TestProxy> Connect(string instance)
        {
            var hello = TestProxy.Sidecar("reviews-v1", "reviews", "127.0.0.1:40101");
            hello.InstanceId = instance;
            hello.StartedAtUnixMs = 1_700_000_000_000;
            return controlPlane.ConnectAsync(hello);
        }

        async Task<int> RestartsAsync() => (int)(await controlPlane.FindProxyAsync("reviews-v1"))!["restarts"]!;
    }

    [Fact]
    public async Task A_proxy_whose_admin_listener_refuses_after_its_stream_broke_leaves_load_balancing_at_once_and_returns_on_reconnect()
    {
        // A grace period far longer than the test: only the liveness probe can take the endpoint out in time.
        await using var controlPlane = await ControlPlaneHost.StartAsync(gracePeriod: TimeSpan.FromSeconds(60));
        await using var productpage = await controlPlane.ConnectAsync(
            TestProxy.Sidecar("productpage-v1", "productpage", "127.0.0.1:40110", null, "reviews"));
        var deadReviews = ReviewsHello(ClosedPort.Url());
        var reviews = await controlPlane.ConnectAsync(deadReviews);
        await productpage.WaitForAsync(s => s.Clusters.Single().Endpoints.Count == 1);

        var disconnected = Stopwatch.StartNew();
        await reviews.CloseAsync();
        await reviews.DisposeAsync();

        await productpage.WaitForAsync(s => s.Clusters.Single().Endpoints.Count == 0, TimeSpan.FromSeconds(5));
        Assert.True(disconnected.Elapsed < TimeSpan.FromSeconds(5), $"the endpoint left after {disconnected.Elapsed}");
        var proxy = (await controlPlane.FindProxyAsync("reviews-v1"))!;
        Assert.False((bool)proxy["connected"]!);
        Assert.True((bool)proxy["processGone"]!);

        await using var restarted = await controlPlane.ConnectAsync(deadReviews);
        await productpage.WaitForAsync(s => s.Clusters.Single().Endpoints.Count == 1);
        Assert.False((bool)(await controlPlane.FindProxyAsync("reviews-v1"))!["processGone"]!);
    }

    [Fact]
    public async Task A_proxy_whose_admin_listener_still_answers_keeps_its_endpoint_through_the_grace_period()
    {
        using var liveAdmin = new TcpListener(IPAddress.Loopback, 0);
        liveAdmin.Start();
        await using var controlPlane = await ControlPlaneHost.StartAsync(gracePeriod: TimeSpan.FromSeconds(60));
        await using var productpage = await controlPlane.ConnectAsync(
            TestProxy.Sidecar("productpage-v1", "productpage", "127.0.0.1:40120", null, "reviews"));
        var reviews = await controlPlane.ConnectAsync(ReviewsHello(new Uri($"http://127.0.0.1:{((IPEndPoint)liveAdmin.LocalEndpoint).Port}")));
        await productpage.WaitForAsync(s => s.Clusters.Single().Endpoints.Count == 1);

        await reviews.CloseAsync();
        await reviews.DisposeAsync();

        // The process still listens, so the stream broke on its own: it will reconnect, and its peers keep it.
        await Eventually.ValueAsync(() => controlPlane.FindProxyAsync("reviews-v1"), p => p is not null && !(bool)p["connected"]!);
        Assert.True(await productpage.StaysQuietAsync(TimeSpan.FromSeconds(2)));
        Assert.False((bool)(await controlPlane.FindProxyAsync("reviews-v1"))!["processGone"]!);
    }

    private static Core.Discovery.ProxyHello ReviewsHello(Uri adminUrl)
    {
        var hello = TestProxy.Sidecar("reviews-v1", "reviews", "127.0.0.1:40111");
        hello.AdminUrl = adminUrl.ToString().TrimEnd('/');
        hello.InstanceId = "one";
        return hello;
    }
}
