using MeshDev.ControlPlane;
using MeshDev.Core.Discovery;
using MeshDev.Tests.ControlPlane;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Tests.Faults;

/// <summary>The test-only fault hook: the snapshot compiler's decorator, registered by the test, drives a NACK and is undone.</summary>
public sealed class InvalidSnapshotFaultTests
{
    private static ProxyHello ReviewsV1 => TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40101",
        new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v1" });

    private static ProxyHello ProductPage => TestProxy.Sidecar("productpage-v1-sidecar", "productpage", "127.0.0.1:40100",
        new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }, "reviews");

    [Fact]
    public async Task InvalidSnapshotFault_DrivesANackAndIsUndone()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync([], services => services.AddInvalidSnapshotFaults());
        var faults = controlPlane.Services.GetRequiredService<InvalidSnapshotFaults>();
        var changes = controlPlane.Services.GetRequiredService<MeshChangeSignal>();
        await using var reviews = await controlPlane.ConnectAsync(ReviewsV1);
        await using var productpage = await controlPlane.ConnectAsync(ProductPage);
        var good = await productpage.WaitForAsync(s => s.Clusters[0].Endpoints.Count == 1);
        await productpage.AckAsync(good);

        Assert.True(faults.Enable(ProductPage.ProxyId));
        changes.Publish(MeshChangeKind.CompileInput);

        var bad = await productpage.NextAsync();
        Assert.Contains(bad.Snapshot.Clusters[0].Endpoints, e => e.Address == InvalidSnapshotFaults.InvalidAddress);
        Assert.NotEqual(good.Snapshot.Version, bad.Snapshot.Version);
        await productpage.NackAsync(bad, "endpoint address 'not-an-address' is not host:port");
        var nacked = await Eventually.ValueAsync(
            () => controlPlane.FindProxyAsync(ProductPage.ProxyId), p => p!["lastNack"] is not null);
        Assert.Equal(bad.Snapshot.Version, (string?)nacked!["lastNack"]!["version"]);
        Assert.Equal(good.Snapshot.Version, (string?)nacked["ackedVersion"]);

        Assert.True(faults.Disable(ProductPage.ProxyId));
        changes.Publish(MeshChangeKind.CompileInput);

        var restored = await productpage.NextAsync();
        Assert.Equal(good.Snapshot.Version, restored.Snapshot.Version);
        Assert.DoesNotContain(restored.Snapshot.Clusters[0].Endpoints, e => e.Address == InvalidSnapshotFaults.InvalidAddress);
    }

    [Fact]
    public async Task InvalidSnapshotFault_OnFromTheStart_AddsAFaultClusterWhenThereIsNone()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync([], services => services.AddInvalidSnapshotFaults("details-v1", "other"));
        await using var details = await controlPlane.ConnectAsync(TestProxy.Sidecar("details-v1", "details", "127.0.0.1:40300"));

        var cluster = (await details.NextAsync()).Snapshot.Clusters.Single();

        Assert.Equal(InvalidSnapshotFaults.FaultClusterName, cluster.Name);
        Assert.Equal(InvalidSnapshotFaults.InvalidAddress, cluster.Endpoints.Single().Address);
    }

    [Fact]
    public async Task Production_control_plane_has_no_faults_endpoint()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();

        using var list = await controlPlane.Http.GetAsync("/api/v1/faults");
        using var put = await controlPlane.Http.PutAsync("/api/v1/faults/invalid-snapshot/productpage-v1-sidecar", new StringContent("", null, "application/json"));
        using var testOnly = await controlPlane.Http.PutAsync(FaultsHostingStartup.PathPrefix + "productpage-v1-sidecar", null);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, list.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, put.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, testOnly.StatusCode);
        Assert.Null(controlPlane.Services.GetService<InvalidSnapshotFaults>());
    }
}
