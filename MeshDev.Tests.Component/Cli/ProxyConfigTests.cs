using System.Text.Json.Nodes;
using MeshDev.Cli;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy;
using MeshDev.Tests.Proxy.Infrastructure;

namespace MeshDev.Tests.Cli;

/// <summary>
/// meshctl proxy-config against a real control plane and two real proxy processes: productpage's sidecar calls
/// reviews, so its /config_dump holds a reviews cluster whose endpoint is the reviews sidecar.
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class ProxyConfigTests
{
    [Fact]
    public async Task Clusters_endpoints_and_listeners_come_from_the_proxys_own_config_dump()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var reviewsApp = await TestBackend.StartHealthyAppAsync();
        await using var productpageApp = await TestBackend.StartHealthyAppAsync();
        await using var reviews = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("reviews-v1", "reviews", controlPlane.GrpcAddress, reviewsApp.Url).Set("Mesh:Labels:version", "v1"));
        var outboundPort = FreePort.Next();
        await using var productpage = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("productpage-v1", "productpage", controlPlane.GrpcAddress, productpageApp.Url).WithOutbound("reviews", outboundPort));
        await productpage.WaitUntilAsync(async () =>
            (await productpage.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters").EnumerateArray()
                .Any(c => c.GetProperty("name").GetString() == "reviews" && c.GetProperty("endpoints").GetArrayLength() == 1),
            "productpage's snapshot to hold the reviews endpoint");
        var meshctl = new Meshctl(controlPlane);

        var clusters = await meshctl.RunAsync("proxy-config", "clusters", "productpage-v1");
        var endpoints = await meshctl.RunAsync("proxy-config", "endpoints", "productpage-v1");
        var listeners = await meshctl.RunAsync("proxy-config", "listeners", "productpage-v1");
        var clustersJson = await meshctl.RunAsync("proxy-config", "clusters", "productpage-v1", "-o", "json");

        Assert.True(clusters.ExitCode == 0, clusters.ToString());
        Assert.Equal(["NAME", "LB", "PROTOCOL", "ENDPOINTS", "SUBSETS"], MeshctlTable.Columns(clusters.OutLines[0]));
        Assert.Contains(clusters.OutLines, l => MeshctlTable.Columns(l) is ["reviews", "LEAST_REQUEST", "http", "1", "-"]);

        Assert.True(endpoints.ExitCode == 0, endpoints.ToString());
        var reviewsEndpoint = MeshctlTable.Columns(Assert.Single(endpoints.OutLines, l => l.StartsWith("reviews ")));
        Assert.Equal("reviews", reviewsEndpoint[0]);
        Assert.EndsWith($":{reviews.Settings.InboundPort}", reviewsEndpoint[1]);
        Assert.Equal("reviews-v1", reviewsEndpoint[2]);
        Assert.Contains("version=v1", reviewsEndpoint[3]);
        Assert.Equal("HEALTHY", reviewsEndpoint[4]);

        Assert.True(listeners.ExitCode == 0, listeners.ToString());
        Assert.Contains(listeners.OutLines, l => l.Contains($":{outboundPort}") && l.Contains("outbound") && l.Contains("reviews"));
        Assert.Contains(listeners.OutLines, l => l.Contains($":{productpage.Settings.InboundPort}") && l.Contains("inbound"));

        var dumped = (await productpage.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters").GetRawText();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(dumped), JsonNode.Parse(clustersJson.Out)), clustersJson.ToString());
    }

    [Fact]
    public async Task Unknown_proxy_fails_with_its_name_and_an_unreachable_admin_listener_with_exit_code_2()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        var hello = TestProxy.Sidecar("details-v1-sidecar", "details", "127.0.0.1:40331");
        var closedAdmin = ClosedPort.Url();
        hello.AdminUrl = closedAdmin.ToString();
        await using var proxy = await controlPlane.ConnectAsync(hello);
        await proxy.NextAsync();
        var meshctl = new Meshctl(controlPlane);

        var unknown = await meshctl.RunAsync("proxy-config", "clusters", "nobody-sidecar");
        var unreachable = await meshctl.RunAsync("proxy-config", "routes", "details-v1-sidecar");

        Assert.Equal(ExitCodes.Failed, unknown.ExitCode);
        Assert.Contains("'nobody-sidecar'", Assert.Single(unknown.ErrorLines));
        Assert.Equal(ExitCodes.UsageOrUnreachable, unreachable.ExitCode);
        Assert.StartsWith($"meshctl: cannot reach the admin listener of proxy 'details-v1-sidecar' at {closedAdmin}config_dump: ",
            Assert.Single(unreachable.ErrorLines));
    }

    [Fact]
    public async Task Proxy_config_without_a_part_is_bad_usage()
    {
        var result = await Meshctl.RunRawAsync(["proxy-config", "productpage-v1"]);

        Assert.Equal(ExitCodes.UsageOrUnreachable, result.ExitCode);
        Assert.Contains("routes", result.Error);
    }
}
