using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// A restarted control plane must not replace a proxy's complete snapshot with one built from the few workloads
/// that have reconnected so far.
/// </summary>
public sealed class StartupWarmupTests
{
    private static readonly ProxyHello ReviewsV1 = TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:41001");

    [Fact]
    public async Task A_proxy_that_already_runs_a_snapshot_keeps_it_until_the_warmup_ends()
    {
        var warmup = TimeSpan.FromSeconds(2);
        // The warm-up counts from the control plane's start, so it cannot end before this moment plus its length.
        var beforeStart = TimeProvider.System.GetTimestamp();
        await using var controlPlane = await ControlPlaneHost.StartAsync(extraArgs: $"--Mesh:ControlPlane:StartupWarmup={warmup}");
        var returning = ProductPage("productpage-v1-sidecar", appliedVersion: "0123456789ab");
        await using var proxy = await controlPlane.ConnectAsync(returning);

        // The proxy's own version counts as ACKed while it waits.
        var status = (await controlPlane.FindProxyAsync(returning.ProxyId))!;
        Assert.Equal("0123456789ab", (string?)status["ackedVersion"]);

        await using var reviews = await controlPlane.ConnectAsync(ReviewsV1);
        var reviewsBackAfter = TimeProvider.System.GetElapsedTime(beforeStart);
        var message = await proxy.NextAsync(TimeSpan.FromSeconds(10));
        Assert.True(TimeProvider.System.GetElapsedTime(beforeStart) >= warmup,
            "the returning proxy was pushed to before the warm-up ended");

        // By then it sees every workload that came back during the warm-up. (On a slow machine reviews may register
        // only after the warm-up could have ended; then the push its registration causes brings it.)
        var reviewsEndpoints = message.Snapshot.Clusters.Single(c => c.Name == "reviews").Endpoints;
        if (reviewsBackAfter < warmup)
        {
            Assert.Single(reviewsEndpoints);
        }
        else if (reviewsEndpoints.Count == 0)
        {
            await proxy.WaitForAsync(s => s.Clusters.Single(c => c.Name == "reviews").Endpoints.Count == 1);
        }
    }

    [Fact]
    public async Task A_proxy_with_no_snapshot_is_served_at_once_during_the_warmup()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync(extraArgs: "--Mesh:ControlPlane:StartupWarmup=00:00:30");
        await using var proxy = await controlPlane.ConnectAsync(ProductPage("productpage-v1-sidecar", appliedVersion: ""));

        var message = await proxy.NextAsync(TimeSpan.FromSeconds(5));
        Assert.False(string.IsNullOrEmpty(message.Snapshot.Version));
    }

    private static ProxyHello ProductPage(string proxyId, string appliedVersion)
    {
        var hello = TestProxy.Sidecar(proxyId, "productpage", "127.0.0.1:41000");
        hello.UpstreamServices.Add("reviews");
        hello.AppliedVersion = appliedVersion;
        return hello;
    }
}
