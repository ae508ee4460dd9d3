using System.Text.Json.Nodes;
using MeshDev.Cli;
using MeshDev.Tests.ControlPlane;

namespace MeshDev.Tests.Cli;

/// <summary>meshctl proxy-status against a real control plane with proxies on real gRPC streams.</summary>
public sealed class ProxyStatusTests
{
    [Fact]
    public async Task Shows_each_proxy_as_synced_nacked_with_the_reason_or_stale()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var acking = await controlPlane.ConnectAsync(TestProxy.Sidecar("details-v1-sidecar", "details", "127.0.0.1:40301"));
        await using var nacking = await controlPlane.ConnectAsync(TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40302"));
        await using var silent = await controlPlane.ConnectAsync(TestProxy.Sidecar("ratings-v1-sidecar", "ratings", "127.0.0.1:40303"));
        await acking.AckAsync(await acking.NextAsync());
        await nacking.NackAsync(await nacking.NextAsync(), "cluster 'reviews': endpoint 'x' has no port");
        await silent.NextAsync();
        await Eventually.ValueAsync(() => controlPlane.FindProxyAsync("reviews-v1-sidecar"), p => p?["lastNack"] is JsonObject);
        await Eventually.ValueAsync(() => controlPlane.FindProxyAsync("details-v1-sidecar"), p => p?["inSync"]?.GetValue<bool>() == true);
        var meshctl = new Meshctl(controlPlane);

        var result = await meshctl.RunAsync("proxy-status");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.OutLines;
        Assert.Equal(["NAME", "SERVICE", "MODE", "CONNECTED", "SENT", "ACKED", "STATUS"], MeshctlTable.Columns(lines[0]));
        Assert.Equal(4, lines.Length);
        var details = (await controlPlane.FindProxyAsync("details-v1-sidecar"))!;
        var sent = (string)details["sentVersion"]!;
        Assert.Equal(["details-v1-sidecar", "details", "sidecar", "yes", sent, sent, "SYNCED"], MeshctlTable.Columns(lines[1]));
        Assert.Equal(["ratings-v1-sidecar", "ratings", "sidecar", "yes"], MeshctlTable.Columns(lines[2])[..4]);
        Assert.Equal(["-", "STALE"], MeshctlTable.Columns(lines[2])[5..]);
        Assert.StartsWith("reviews-v1-sidecar", lines[3]);
        Assert.EndsWith("NACKED: cluster 'reviews': endpoint 'x' has no port", lines[3]);
    }

    [Fact]
    public async Task Json_output_is_the_api_view_of_the_proxies()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var proxy = await controlPlane.ConnectAsync(TestProxy.Sidecar("details-v1-sidecar", "details", "127.0.0.1:40311"));
        await proxy.AckAsync(await proxy.NextAsync());
        var meshctl = new Meshctl(controlPlane);

        var result = await meshctl.RunAsync("proxy-status", "-o", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var listed = Assert.Single(JsonNode.Parse(result.Out)!.AsArray());
        Assert.Equal("details-v1-sidecar", (string?)listed!["id"]);
        Assert.Equal("http://127.0.0.1:19000", (string?)listed["adminUrl"]);
    }

    [Fact]
    public async Task One_proxy_by_name_and_an_unknown_name_fails_with_exit_code_1()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var proxy = await controlPlane.ConnectAsync(TestProxy.Sidecar("details-v1-sidecar", "details", "127.0.0.1:40321"));
        await proxy.NextAsync();
        var meshctl = new Meshctl(controlPlane);

        var one = await meshctl.RunAsync("proxy-status", "details-v1-sidecar");
        var unknown = await meshctl.RunAsync("proxy-status", "nobody-sidecar");

        Assert.Equal(2, one.OutLines.Length);
        Assert.StartsWith("details-v1-sidecar ", one.OutLines[1]);
        Assert.Equal(ExitCodes.Failed, unknown.ExitCode);
        Assert.Equal("", unknown.Out);
        Assert.Contains("'nobody-sidecar'", Assert.Single(unknown.ErrorLines));
    }
}
