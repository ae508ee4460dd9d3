using MeshDev.ControlPlane;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

public sealed class PushTests
{
    private static ProxyHello ReviewsV1 => TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40101",
        new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v1" });

    private static ProxyHello ReviewsV2 => TestProxy.Sidecar("reviews-v2-sidecar", "reviews", "127.0.0.1:40102",
        new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v2" });

    private static ProxyHello ProductPage => TestProxy.Sidecar("productpage-v1-sidecar", "productpage", "127.0.0.1:40100",
        new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }, "reviews");

    [Fact]
    public async Task UpstreamCluster_HoldsEverySidecarOfThatService()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var v1 = await controlPlane.ConnectAsync(ReviewsV1);
        await using var v2 = await controlPlane.ConnectAsync(ReviewsV2);
        await using var productpage = await controlPlane.ConnectAsync(ProductPage);

        var message = await productpage.WaitForAsync(s => s.Clusters.Count == 1 && s.Clusters[0].Endpoints.Count == 2);

        var cluster = message.Snapshot.Clusters.Single();
        Assert.Equal("reviews", cluster.Name);
        Assert.Equal(ServiceProtocol.Http, cluster.Protocol);
        Assert.Equal(LoadBalancerPolicy.Unspecified, cluster.LoadBalancer);
        Assert.Collection(cluster.Endpoints,
            e =>
            {
                Assert.Equal(("reviews-v1-sidecar", "127.0.0.1:40101", true), (e.ProxyId, e.Address, e.Healthy));
                Assert.Equal("v1", e.Labels["version"]);
            },
            e =>
            {
                Assert.Equal(("reviews-v2-sidecar", "127.0.0.1:40102", true), (e.ProxyId, e.Address, e.Healthy));
                Assert.Equal("v2", e.Labels["version"]);
            });

        // A reviews sidecar declares no upstreams, so its snapshot stays empty however the mesh changes.
        Assert.Empty((await v1.NextAsync()).Snapshot.Clusters);
        Assert.True(await v1.StaysQuietAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Ack_OfTheLatestPush_PutsTheProxyInSync()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var proxy = await controlPlane.ConnectAsync(ProductPage);
        var message = await proxy.NextAsync();

        var before = (await controlPlane.FindProxyAsync(ProductPage.ProxyId))!;
        Assert.Equal(message.Snapshot.Version, (string?)before["sentVersion"]);
        Assert.Null((string?)before["ackedVersion"]);
        Assert.False((bool)before["inSync"]!);

        await proxy.AckAsync(message);

        var after = await Eventually.ValueAsync(
            () => controlPlane.FindProxyAsync(ProductPage.ProxyId), p => (bool)p!["inSync"]!);
        Assert.Equal(message.Snapshot.Version, (string?)after!["ackedVersion"]);
        Assert.Equal((string?)after["sentVersion"], (string?)after["ackedVersion"]);
        Assert.NotNull((string?)after["ackedAt"]);
        Assert.Null(after["lastNack"]);
    }

    [Fact]
    public async Task AckWithAnOldNonce_IsIgnored()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var proxy = await controlPlane.ConnectAsync(ProductPage);
        var first = await proxy.NextAsync();
        await using var reviews = await controlPlane.ConnectAsync(ReviewsV1);
        await proxy.WaitForAsync(s => s.Clusters[0].Endpoints.Count == 1);

        await proxy.AckAsync(first);
        await proxy.NackAsync(first, "stale rejection");
        // The stream is ordered: once the health report behind them is seen, the ACK and NACK have been handled.
        await proxy.ReportHealthAsync(false);
        var status = await Eventually.ValueAsync(async () => (await controlPlane.FindProxyAsync(ProductPage.ProxyId))!,
            p => !(bool)p["healthy"]!, what: "the health report sent after the stale ACK and NACK");
        Assert.Null((string?)status["ackedVersion"]);
        Assert.Null(status["lastNack"]);
        Assert.False((bool)status["inSync"]!);
    }

    [Fact]
    public async Task Nack_IsShownWithItsReason()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var proxy = await controlPlane.ConnectAsync(ProductPage);
        var message = await proxy.NextAsync();

        await proxy.NackAsync(message, "cluster reviews: endpoint address 'x' is not host:port");

        var status = await Eventually.ValueAsync(
            () => controlPlane.FindProxyAsync(ProductPage.ProxyId), p => p!["lastNack"] is not null);
        var nack = status!["lastNack"]!;
        Assert.Equal("cluster reviews: endpoint address 'x' is not host:port", (string?)nack["reason"]);
        Assert.Equal(message.Snapshot.Version, (string?)nack["version"]);
        Assert.NotNull((string?)nack["at"]);
        Assert.False((bool)status["inSync"]!);
    }

    [Fact]
    public async Task UnhealthyReport_MarksTheEndpointUnhealthyInTheNextSnapshot()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var reviews = await controlPlane.ConnectAsync(ReviewsV1);
        await using var productpage = await controlPlane.ConnectAsync(ProductPage);
        await productpage.WaitForAsync(s => s.Clusters[0].Endpoints.Count == 1 && s.Clusters[0].Endpoints[0].Healthy);

        await reviews.ReportHealthAsync(false);

        var next = await productpage.NextAsync();
        Assert.False(next.Snapshot.Clusters[0].Endpoints.Single().Healthy);
        var instance = (await controlPlane.FindServiceAsync("reviews"))!["instances"]![0]!;
        Assert.False((bool)instance["healthy"]!);

        await reviews.ReportHealthAsync(true);
        Assert.True((await productpage.NextAsync()).Snapshot.Clusters[0].Endpoints.Single().Healthy);
    }

    [Fact]
    public async Task BurstOfRegistrations_IsCoalescedIntoFewPushes()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync(debounce: TimeSpan.FromMilliseconds(500));
        await using var productpage = await controlPlane.ConnectAsync(ProductPage);
        await productpage.NextAsync();

        const int burst = 8;
        var instances = new List<TestProxy>();
        for (var i = 0; i < burst; i++)
        {
            // Each registration has landed (its own snapshot came back) before the next one: without the
            // debounce, every one of them would be its own push to productpage.
            var instance = await controlPlane.ConnectAsync(TestProxy.Sidecar($"reviews-{i}", "reviews", $"127.0.0.1:{41000 + i}"));
            await instance.NextAsync();
            instances.Add(instance);
            await Task.Delay(40);
        }

        await productpage.WaitForAsync(s => s.Clusters[0].Endpoints.Count == burst);
        Assert.True(await productpage.StaysQuietAsync(TimeSpan.FromMilliseconds(800)));
        // One snapshot on connect, then one (at most two, if the burst straddled a window) for the whole burst.
        Assert.InRange(productpage.ReceivedCount, 2, 3);

        foreach (var instance in instances)
        {
            await instance.DisposeAsync();
        }
    }

    [Fact]
    public async Task UnchangedMesh_IsNotPushedAgain()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var productpage = await controlPlane.ConnectAsync(ProductPage);
        await productpage.NextAsync();

        // Another productpage instance changes the registry but not what this proxy needs.
        await using var other = await controlPlane.ConnectAsync(
            TestProxy.Sidecar("productpage-v2-sidecar", "productpage", "127.0.0.1:40199", null, "reviews"));
        await other.NextAsync();

        Assert.True(await productpage.StaysQuietAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task Version_IsTheSameOnTwoControlPlanesWithTheSameMesh()
    {
        // The same mesh has the same CA: both control planes keep their root in one folder, so the trust bundles agree.
        var dataDirectory = Directory.CreateTempSubdirectory("meshdev-push-tests-");
        async Task<string> FinalVersionAsync(bool reversed)
        {
            await using var controlPlane = await ControlPlaneHost.StartAsync(
                extraArgs: [$"--{MeshDev.Core.MeshEnvironment.ControlPlane.DataDirectory}={dataDirectory.FullName}"]);
            var hellos = reversed ? new[] { ReviewsV2, ReviewsV1 } : [ReviewsV1, ReviewsV2];
            await using var a = await controlPlane.ConnectAsync(hellos[0]);
            await using var b = await controlPlane.ConnectAsync(hellos[1]);
            await using var productpage = await controlPlane.ConnectAsync(ProductPage);
            return (await productpage.WaitForAsync(s => s.Clusters[0].Endpoints.Count == 2)).Snapshot.Version;
        }

        try
        {
            var first = await FinalVersionAsync(reversed: false);
            var second = await FinalVersionAsync(reversed: true);

            Assert.Equal(first, second);
        }
        finally
        {
            dataDirectory.Delete(recursive: true);
        }
    }
}
