using Grpc.Core;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

public sealed class RegistrationTests
{
    [Fact]
    public async Task Hello_IsAnsweredWithASnapshotAtOnce()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var proxy = await controlPlane.ConnectAsync(TestProxy.Sidecar("details-v1", "details", "127.0.0.1:40001"));

        var message = await proxy.NextAsync();

        Assert.NotEmpty(message.Nonce);
        Assert.Matches("^[0-9a-f]{12}$", message.Snapshot.Version);
        Assert.Empty(message.Snapshot.Clusters);
    }

    [Fact]
    public async Task FirstMessageOtherThanHello_EndsTheStreamWithInvalidArgument()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        using var call = new MeshDiscovery.MeshDiscoveryClient(controlPlane.Grpc).StreamConfig();

        await call.RequestStream.WriteAsync(new ProxyMessage { Ack = new SnapshotAck { Version = "abc", Nonce = "n" } });

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("ProxyHello", error.Status.Detail);
        Assert.Empty(await controlPlane.GetArrayAsync("/api/v1/proxies"));
    }

    [Fact]
    public async Task HelloWithoutInboundAddress_IsRejectedNamingTheField()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        var hello = TestProxy.Sidecar("ratings-v1", "ratings", "127.0.0.1:40002");
        hello.InboundAddress = "";
        await using var proxy = await controlPlane.ConnectAsync(hello);

        var error = await Assert.ThrowsAsync<RpcException>(() => proxy.Completion);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("inbound_address", error.Status.Detail);
        Assert.Contains("ratings-v1", error.Status.Detail);
    }

    [Fact]
    public async Task DisconnectedWorkload_StaysDuringGracePeriod_ThenIsRemoved()
    {
        // A process still listening on its admin port: its stream broke but it lives, so the grace period applies
        // (a proxy whose process is gone leaves at once, see ProxyLifecycleTests).
        using var liveAdmin = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        liveAdmin.Start();
        await using var controlPlane = await ControlPlaneHost.StartAsync(gracePeriod: TimeSpan.FromSeconds(1.5));
        var reviewsHello = TestProxy.Sidecar("reviews-v1", "reviews", "127.0.0.1:40011");
        reviewsHello.AdminUrl = $"http://127.0.0.1:{((System.Net.IPEndPoint)liveAdmin.LocalEndpoint).Port}";
        var reviews = await controlPlane.ConnectAsync(reviewsHello);
        await using var productpage = await controlPlane.ConnectAsync(
            TestProxy.Sidecar("productpage-v1", "productpage", "127.0.0.1:40010", null, "reviews"));
        await productpage.WaitForAsync(s => s.Clusters.Single().Endpoints.Count == 1);

        await reviews.CloseAsync();
        await reviews.DisposeAsync();

        var instance = (await controlPlane.FindServiceAsync("reviews"))!["instances"]![0]!;
        Assert.Equal("reviews-v1", (string?)instance["proxyId"]);
        Assert.False((bool)instance["connected"]!);
        Assert.NotNull((string?)(await controlPlane.FindProxyAsync("reviews-v1"))!["disconnectedAt"]);

        // After the grace period the workload is gone from the API and from its peers' snapshots.
        var emptied = await productpage.WaitForAsync(s => s.Clusters.Single().Endpoints.Count == 0, TimeSpan.FromSeconds(5));
        Assert.Equal("reviews", emptied.Snapshot.Clusters.Single().Name);
        Assert.Null(await controlPlane.FindServiceAsync("reviews"));
        Assert.Null(await controlPlane.FindProxyAsync("reviews-v1"));
    }

    [Fact]
    public async Task ReconnectWithinGracePeriod_TakesTheSameEntry()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync(gracePeriod: TimeSpan.FromSeconds(1));
        var first = await controlPlane.ConnectAsync(TestProxy.Sidecar("reviews-v2", "reviews", "127.0.0.1:40021"));
        await first.NextAsync();
        await first.CloseAsync();
        await first.DisposeAsync();
        Assert.False((bool)(await controlPlane.FindProxyAsync("reviews-v2"))!["connected"]!);

        await using var second = await controlPlane.ConnectAsync(TestProxy.Sidecar("reviews-v2", "reviews", "127.0.0.1:40021"));
        await second.NextAsync();

        // Outlives the old grace period: the reconnect cancelled the removal.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var proxy = (await controlPlane.FindProxyAsync("reviews-v2"))!;
        Assert.True((bool)proxy["connected"]!);
        Assert.Null((string?)proxy["disconnectedAt"]);
        Assert.Single(await controlPlane.GetArrayAsync("/api/v1/proxies"));
    }

    [Fact]
    public async Task SecondLiveStreamWithSameId_ReplacesAndClosesTheOlder()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var older = await controlPlane.ConnectAsync(TestProxy.Sidecar("reviews-v3", "reviews", "127.0.0.1:40031"));
        await older.NextAsync();

        await using var newer = await controlPlane.ConnectAsync(TestProxy.Sidecar("reviews-v3", "reviews", "127.0.0.1:40032"));
        await newer.NextAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => older.Completion.WaitAsync(TestProxy.DefaultTimeout));
        Assert.Equal(StatusCode.Aborted, error.StatusCode);

        // The older stream's end must not mark the entry disconnected: the newer stream owns it.
        await Task.Delay(200);
        var instance = (await controlPlane.FindServiceAsync("reviews"))!["instances"]!.AsArray().Single()!;
        Assert.True((bool)instance["connected"]!);
        Assert.Equal("127.0.0.1:40032", (string?)instance["address"]);
    }
}
