using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Faults;

namespace MeshDev.Tests.EndToEnd;

/// <summary>A proxy refuses a snapshot it cannot apply, says why, and keeps serving on the one it has.</summary>
[Collection(AppHostCollection.Name)]
public sealed class SnapshotRejectionTests(FaultInjectableBookinfoFixture mesh) : IClassFixture<FaultInjectableBookinfoFixture>
{
    private const string Proxy = "productpage-v1-sidecar";

    [Fact]
    public async Task A_proxy_NACKs_an_invalid_snapshot_keeps_its_last_good_one_and_the_reason_shows_in_the_api()
    {
        var goodVersion = (await mesh.GetConfigDumpAsync(Proxy)).GetProperty("version").GetString();
        Assert.False(string.IsNullOrEmpty(goodVersion));

        // The test-only fault hook hands this one proxy a snapshot with an endpoint it cannot parse.
        var faultUri = new Uri(BookinfoAppFixture.ControlPlane, FaultsHostingStartup.PathPrefix + Proxy);
        using (var put = await mesh.Http.PutAsync(faultUri, content: null))
        {
            Assert.True(put.IsSuccessStatusCode, $"PUT {faultUri} answered {(int)put.StatusCode}");
        }
        try
        {
            var nack = await WaitForNackAsync(TimeSpan.FromSeconds(20));
            Assert.Contains("not-an-address", nack.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.NotEqual(goodVersion, nack.GetProperty("version").GetString());

            var proxy = await mesh.GetProxyAsync(Proxy);
            Assert.Equal(goodVersion, proxy.GetProperty("ackedVersion").GetString());
            Assert.False(proxy.GetProperty("inSync").GetBoolean());
            Assert.Equal(goodVersion, (await mesh.GetConfigDumpAsync(Proxy)).GetProperty("version").GetString());

            for (var i = 0; i < 10; i++)
            {
                await mesh.GetReviewedPageAsync();
            }
        }
        finally
        {
            using var delete = await mesh.Http.DeleteAsync(faultUri);
            Assert.True(delete.IsSuccessStatusCode, $"DELETE {faultUri} answered {(int)delete.StatusCode}");
        }
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(goodVersion, (await mesh.GetProxyAsync(Proxy)).GetProperty("ackedVersion").GetString());
    }

    private async Task<JsonElement> WaitForNackAsync(TimeSpan timeout) =>
        (await Eventually.ValueAsync(() => mesh.GetProxyAsync(Proxy),
            proxy => proxy.GetProperty("lastNack").ValueKind == JsonValueKind.Object, timeout, $"{Proxy} to NACK"))
        .GetProperty("lastNack");
}

/// <summary>
/// Bookinfo with the test-only fault hook loaded into the control plane's process (a startup hook and a hosting
/// startup assembly): the shipped control plane has no such hook.
/// </summary>
public sealed class FaultInjectableBookinfoFixture : BookinfoAppFixture
{
    protected override void ConfigureAppHost(IDistributedApplicationTestingBuilder builder)
    {
        var controlPlane = builder.CreateResourceBuilder(builder.Resources.OfType<MeshDev.Hosting.MeshControlPlaneResource>().Single());
        foreach (var (name, value) in FaultsHostingStartup.ProcessEnvironment)
        {
            controlPlane.WithEnvironment(name, value);
        }
    }
}
