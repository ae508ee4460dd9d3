using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using MeshDev.Tests.ControlPlane;
using Xunit.Abstractions;

namespace MeshDev.Tests.EndToEnd;

/// <summary>
/// The mesh buttons on services in the Aspire dashboard, run as the dashboard runs them, change traffic as they say,
/// and each proxy's resource shows the config version it runs.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class AspireCommandTests(BookinfoAppFixture mesh, ITestOutputHelper output) : IClassFixture<BookinfoAppFixture>, IAsyncLifetime
{
    [Fact]
    public async Task Route_all_to_this_version_sends_every_page_to_that_version_until_cleared()
    {
        await mesh.ExecuteAsync("reviews-v3", "mesh-route-to-version");
        await Eventually.TrueAsync(async () => (await PagesAsync(10)).All(v => v == "reviews-v3"), "all pages from reviews-v3", TimeSpan.FromSeconds(20));
        Assert.All(await PagesAsync(20), version => Assert.Equal("reviews-v3", version));

        await mesh.ExecuteAsync("reviews-v3", "mesh-clear-rules");
        await Eventually.TrueAsync(async () => (await PagesAsync(30)).Distinct().Count() == 3, "pages from all three reviews versions", TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(await ConfigNamesAsync(), name => name.StartsWith("aspire-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Inject_503_fails_about_half_and_inject_delay_slows_every_call_to_the_service()
    {
        var details = await mesh.GetOutboundListenerAsync("productpage-v1-sidecar", "details");

        await mesh.ExecuteAsync("details-v1", "mesh-inject-503");
        await Eventually.TrueAsync(async () => (await CallAsync(details, 20)).Failed > 0, "injected 503s", TimeSpan.FromSeconds(20));
        var aborted = await CallAsync(details, 200);
        output.WriteLine($"inject 503: {aborted.Failed} of 200 answered 503");
        Assert.InRange(aborted.Failed, 70, 130);

        await mesh.ExecuteAsync("details-v1", "mesh-inject-delay");
        await Eventually.TrueAsync(async () => (await CallAsync(details, 1)).Slowest >= TimeSpan.FromSeconds(1.9), "a 2 s delay", TimeSpan.FromSeconds(20));
        var delayed = await CallAsync(details, 5);
        Assert.Equal(0, delayed.Failed); // one fault at a time: the delay replaced the abort
        Assert.True(delayed.Fastest >= TimeSpan.FromSeconds(1.9), $"the fastest of 5 calls took {delayed.Fastest}");

        await mesh.ExecuteAsync("details-v1", "mesh-clear-rules");
        await Eventually.TrueAsync(async () => (await CallAsync(details, 5)).Slowest < TimeSpan.FromSeconds(1), "calls without the delay", TimeSpan.FromSeconds(20));
        Assert.Equal(0, (await CallAsync(details, 50)).Failed);
    }

    [Fact]
    public async Task Each_proxy_resource_shows_the_config_version_it_has_acked()
    {
        var config = await mesh.Http.GetFromJsonAsync<JsonElement>(new Uri(BookinfoAppFixture.ControlPlane, "/api/v1/config"));
        var configVersion = config.GetProperty("configVersion").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var proxy in mesh.ProxyNames)
        {
            var acked = (await mesh.GetProxyAsync(proxy)).GetProperty("ackedVersion").GetString();
            await Eventually.TrueAsync(() => Task.FromResult(
                mesh.ResourceProperty(proxy, "mesh.config.ackedVersion") == acked && mesh.ResourceProperty(proxy, "mesh.config.configVersion") == configVersion
                && mesh.ResourceProperty(proxy, "mesh.config.inSync") == "true"),
                $"{proxy} showing acked version {acked} of config {configVersion}", TimeSpan.FromSeconds(20));
        }
    }

    private async Task<List<string>> PagesAsync(int count)
    {
        var versions = new List<string>();
        for (var i = 0; i < count; i++)
        {
            versions.Add((await mesh.GetReviewedPageAsync()).ServedBy);
        }
        return versions;
    }

    private async Task<(int Failed, TimeSpan Fastest, TimeSpan Slowest)> CallAsync(Uri listener, int count)
    {
        var failed = 0;
        var fastest = TimeSpan.MaxValue;
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < count; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            using var response = await mesh.Http.GetAsync(new Uri(listener, "/details/0"));
            var elapsed = stopwatch.Elapsed;
            fastest = elapsed < fastest ? elapsed : fastest;
            slowest = elapsed > slowest ? elapsed : slowest;
            if ((int)response.StatusCode != 200)
            {
                Assert.Equal(503, (int)response.StatusCode);
                failed++;
            }
        }
        return (failed, fastest, slowest);
    }

    private async Task<string[]> ConfigNamesAsync()
    {
        var config = await mesh.Http.GetFromJsonAsync<JsonElement>(new Uri(BookinfoAppFixture.ControlPlane, "/api/v1/config"));
        return [.. config.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("metadata").GetProperty("name").GetString()!)];
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Whatever a test left applied is cleared, so the next test starts from Bookinfo's own config.</summary>
    public async Task DisposeAsync()
    {
        foreach (var app in new[] { "reviews-v3", "details-v1" })
        {
            await mesh.ExecuteAsync(app, "mesh-clear-rules");
        }
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(20));
    }
}
