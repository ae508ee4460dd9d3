using MeshDev.Tests.ControlPlane.Telemetry;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace MeshDev.Tests.Dashboard;

/// <summary>
/// The topology graph in headless Chromium over a real control plane that scrapes Istio metrics for scripted
/// Bookinfo traffic every 250 ms: nodes, edges with live numbers, the mTLS lock, and an edge fading once idle.
/// </summary>
public sealed class DashboardTopologyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Chromium _chromium = new();

    public Task InitializeAsync() => _chromium.InitializeAsync();

    public Task DisposeAsync() => _chromium.DisposeAsync();

    [Fact]
    public async Task Graph_shows_bookinfos_edges_with_live_rates_latency_and_mtls_and_fades_an_idle_edge()
    {
        await using var mesh = await ScriptedBookinfoMesh.StartAsync();
        mesh.StartBookinfoTraffic(pagesPerSecond: 6);
        var page = await _chromium.LoggedInPageAsync(mesh.ControlPlane.DashboardLoginLink);

        await Expect(page.Locator("#topology-graph g.node")).ToHaveCountAsync(7);
        await Expect(page.Locator("#topology-graph g.edge")).ToHaveCountAsync(7, new() { Timeout = 20_000 });
        foreach (var (source, destination) in new[] { ("gateway", "productpage-v1"), ("productpage-v1", "details-v1"), ("productpage-v1", "reviews-v1"),
                     ("productpage-v1", "reviews-v2"), ("productpage-v1", "reviews-v3"), ("reviews-v2", "ratings-v1"), ("reviews-v3", "ratings-v1") })
        {
            await Expect(page.Locator($"#topology-graph g.edge[data-source='{source}'][data-destination='{destination}']")).ToHaveCountAsync(1);
        }

        var entry = page.Locator("#topology-graph g.edge[data-source='gateway'][data-destination='productpage-v1']");
        await Expect(entry).ToHaveAttributeAsync("data-mtls", "true");
        await Expect(entry.Locator(".lock")).ToHaveCountAsync(1);
        await Expect(entry.Locator(".edge-rate")).ToContainTextAsync(" rps");
        await Expect(entry.Locator(".edge-latency")).ToContainTextAsync("p99");
        Assert.True(double.Parse((await entry.GetAttributeAsync("data-rps"))!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        await Expect(page.Locator("#topology-graph g.edge[data-source='reviews-v3'][data-destination='ratings-v1']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("\\b(warn|bad)\\b"));
        await Expect(page.Locator("#edges tr.edge-row")).ToHaveCountAsync(7);
        await TestArtifacts.ScreenshotAsync(page, "Topology_with_bookinfo_traffic", output);

        // Details stops answering calls: once the 3 s window has passed, the edge is idle and fading.
        mesh.Metrics.Stop(ScriptedBookinfoMesh.ProductPage, ScriptedBookinfoMesh.Details);
        var details = page.Locator("#topology-graph g.edge[data-source='productpage-v1'][data-destination='details-v1']");
        await Expect(details).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("\\bidle\\b"), new() { Timeout = 15_000 });
        await Expect(details).Not.ToHaveAttributeAsync("opacity", "1");
        await Expect(entry).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("\\bidle\\b"));
        await TestArtifacts.ScreenshotAsync(page, "Topology_with_an_idle_edge", output);
    }
}
