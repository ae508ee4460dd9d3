using System.Collections.Concurrent;
using System.Text;
using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Delivery;
using MeshDev.Core;
using MeshDev.Core.Discovery;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// A change reaches a proxy by one path: its source publishes on the change signal, and the push scheduler starts
/// the push. With the scheduler stopped, an API apply, a saved file and a registry change are each published, in
/// force, and reach no proxy; once it runs again, the proxy gets them.
/// </summary>
public sealed class PushPathTests : IAsyncLifetime
{
    private const string ReviewsTimeout = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - timeout: {0}s
            route:
            - destination:
                host: reviews
        """;

    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    private static ProxyHello ProductPage => TestProxy.Sidecar("productpage-v1-sidecar", "productpage", "127.0.0.1:40100",
        new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }, "reviews");

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("meshdev-push-path-");
    private readonly ConcurrentQueue<MeshChangeKind> _published = new();
    private ControlPlaneHost _host = null!;
    private PushScheduler _scheduler = null!;

    public async Task InitializeAsync()
    {
        _host = await ControlPlaneHost.StartAsync(extraArgs:
        [
            $"--{MeshEnvironment.ControlPlane.Services}:0=reviews",
            $"--{MeshEnvironment.ControlPlane.ConfigDirectory}={_folder.FullName}",
        ]);
        _host.Services.GetRequiredService<MeshChangeSignal>().Changed += _published.Enqueue;
        _scheduler = _host.Services.GetRequiredService<PushScheduler>();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    private long ConfigVersion => _host.Services.GetRequiredService<IConfigStore>().Current.Version;

    private static long TimeoutSeconds(ProxySnapshot snapshot) =>
        (snapshot.RouteTables.SingleOrDefault()?.Routes.SingleOrDefault()?.TimeoutMs ?? 0) / 1000;

    /// <summary>Connects productpage and takes its first snapshot (sent on hello, by its own stream), then stops the scheduler.</summary>
    private async Task<TestProxy> ConnectAndStopSchedulerAsync()
    {
        var productpage = await _host.ConnectAsync(ProductPage);
        await productpage.NextAsync();
        await _scheduler.StopAsync(CancellationToken.None);
        _published.Clear();
        return productpage;
    }

    private async Task ApplyAsync(int timeoutSeconds)
    {
        using var response = await _host.Http.PostAsync("/api/v1/config", new StringContent(string.Format(ReviewsTimeout, timeoutSeconds), Encoding.UTF8, "application/yaml"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_api_apply_reaches_the_proxy_only_through_the_scheduler()
    {
        await using var productpage = await ConnectAndStopSchedulerAsync();

        await ApplyAsync(3);

        Assert.Equal([MeshChangeKind.Config], _published);
        Assert.True(await productpage.StaysQuietAsync(Quiet));
        await _scheduler.StartAsync(CancellationToken.None);
        Assert.Equal(3, TimeoutSeconds((await productpage.NextAsync()).Snapshot));
    }

    [Fact]
    public async Task A_saved_config_file_reaches_the_proxy_only_through_the_scheduler()
    {
        await using var productpage = await ConnectAndStopSchedulerAsync();
        var before = ConfigVersion;

        File.WriteAllText(Path.Combine(_folder.FullName, "reviews.yaml"), string.Format(ReviewsTimeout, 4));

        await Eventually.ValueAsync(() => Task.FromResult(ConfigVersion), v => v > before);
        Assert.Contains(MeshChangeKind.Config, _published);
        Assert.True(await productpage.StaysQuietAsync(Quiet));
        await _scheduler.StartAsync(CancellationToken.None);
        Assert.Equal(4, TimeoutSeconds((await productpage.NextAsync()).Snapshot));
    }

    [Fact]
    public async Task A_registry_change_reaches_the_proxy_only_through_the_scheduler()
    {
        await using var productpage = await ConnectAndStopSchedulerAsync();

        // The new sidecar gets its own first snapshot on hello; productpage's cluster for it waits for the scheduler.
        await using var reviews = await _host.ConnectAsync(TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40101"));
        await reviews.NextAsync();

        Assert.Contains(MeshChangeKind.Registry, _published);
        Assert.True(await productpage.StaysQuietAsync(Quiet));
        await _scheduler.StartAsync(CancellationToken.None);
        var endpoint = Assert.Single((await productpage.NextAsync()).Snapshot.Clusters.Single(c => c.Name == "reviews").Endpoints);
        Assert.Equal("reviews-v1-sidecar", endpoint.ProxyId);
    }

    [Fact]
    public async Task A_burst_of_applies_and_registry_changes_reaches_the_proxy_as_one_snapshot_of_the_last_state()
    {
        await using var productpage = await ConnectAndStopSchedulerAsync();

        for (var seconds = 1; seconds <= 5; seconds++)
        {
            await ApplyAsync(seconds);
        }

        await using var reviews = await _host.ConnectAsync(TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40101"));
        await reviews.NextAsync();
        Assert.Equal(5, _published.Count(k => k == MeshChangeKind.Config));

        await _scheduler.StartAsync(CancellationToken.None);
        var snapshot = (await productpage.NextAsync()).Snapshot;
        Assert.Equal(5, TimeoutSeconds(snapshot));
        Assert.Single(snapshot.Clusters.Single(c => c.Name == "reviews").Endpoints);
        Assert.True(await productpage.StaysQuietAsync(Quiet));
        Assert.Equal(2, productpage.ReceivedCount);
    }
}
