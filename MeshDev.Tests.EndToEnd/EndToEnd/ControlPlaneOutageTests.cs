using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using MeshDev.Tests.ControlPlane;
using Xunit.Abstractions;

namespace MeshDev.Tests.EndToEnd;

/// <summary>The data plane does not depend on the control plane being up, and everything resyncs when it returns.</summary>
[Collection(AppHostCollection.Name)]
public sealed class ControlPlaneOutageTests(BookinfoAppFixture mesh, ITestOutputHelper output) : IClassFixture<BookinfoAppFixture>
{
    [Fact]
    public async Task Traffic_flows_on_the_last_snapshot_while_the_control_plane_is_down_and_every_proxy_resyncs_after()
    {
        var versionsBefore = await AckedVersionsAsync();

        await mesh.ExecuteAsync("mesh", KnownResourceCommands.StopCommand);
        await AssertControlPlaneDownAsync();

        for (var i = 0; i < 20; i++)
        {
            await mesh.GetReviewedPageAsync();
        }
        foreach (var proxy in mesh.ProxyNames)
        {
            var stats = await StatsFromAdminAsync(proxy);
            Assert.Equal(0, stats.Gauge("control_plane.connected"));
        }

        await mesh.ExecuteAsync("mesh", KnownResourceCommands.StartCommand);
        var resynced = await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"every proxy reconnected and ACKed within {resynced.TotalMilliseconds:F0} ms of the control plane answering");

        // Same mesh, same content: the restarted control plane computes the versions the proxies already run.
        Assert.Equal(versionsBefore, await AckedVersionsAsync());
        await mesh.GetReviewedPageAsync();
    }

    private readonly Dictionary<string, Uri> _adminUrls = [];

    private async Task<Dictionary<string, string>> AckedVersionsAsync()
    {
        var proxies = await mesh.GetProxiesAsync();
        foreach (var proxy in proxies)
        {
            _adminUrls[proxy.GetProperty("id").GetString()!] = new Uri(proxy.GetProperty("adminUrl").GetString()!);
        }
        return proxies.ToDictionary(p => p.GetProperty("id").GetString()!, p => p.GetProperty("ackedVersion").GetString()!);
    }

    /// <summary>With the control plane down its API cannot list admin URLs, so the ones read before are used.</summary>
    private async Task<GaugeStats> StatsFromAdminAsync(string proxy)
    {
        var json = await mesh.Http.GetFromJsonAsync<JsonElement>(new Uri(_adminUrls[proxy], "/stats?format=json"));
        return new GaugeStats(json);
    }

    private async Task AssertControlPlaneDownAsync()
    {
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                using var response = await mesh.Http.GetAsync(new Uri(BookinfoAppFixture.ControlPlane, "/api/v1/proxies"));
                return false;
            }
            catch (HttpRequestException)
            {
                return true;
            }
        }, "the stopped control plane to stop answering", TimeSpan.FromSeconds(30));
    }

    private sealed class GaugeStats(JsonElement stats)
    {
        public long Gauge(string name) =>
            stats.GetProperty("gauges").TryGetProperty(name, out var value) ? value.GetInt64() : -1;
    }
}
