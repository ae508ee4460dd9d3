using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.ControlPlane;
using MeshDev.Core;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// What a StreamConfig client can do wrong, over real HTTP/2 streams: send bytes that are no message, never say
/// hello, never read its snapshots, or reconnect in a flood. Each gets a clear status, and the control plane keeps
/// serving everyone else.
/// </summary>
public sealed class PushStreamInputTests
{
    private static readonly ProxyHello Reviews = TestProxy.Sidecar("reviews-v1", "reviews", "127.0.0.1:40201");

    [Fact]
    public async Task Bytes_that_are_no_message_end_the_stream_with_InvalidArgument_naming_the_problem()
    {
        await using var host = await ControlPlaneHost.StartAsync();
        using var http = new HttpClient();
        // A gRPC frame (uncompressed, 8 bytes long) whose bytes are no protobuf message: an unterminated varint.
        var frame = new byte[] { 0, 0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.GrpcAddress, "/meshdev.discovery.v1.MeshDiscovery/StreamConfig"))
        {
            Content = new ByteArrayContent(frame),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TE.ParseAdd("trailers");

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.TrailingHeaders.Contains("grpc-status") || response.Headers.Contains("grpc-status"),
            $"{(int)response.StatusCode} {response.Version} {response.Headers} {response.TrailingHeaders} {body.Length}");

        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var s) ? s.Single() : response.Headers.GetValues("grpc-status").Single();
        var message = response.TrailingHeaders.TryGetValues("grpc-message", out var m) ? m.Single() : response.Headers.GetValues("grpc-message").Single();
        Assert.Equal(((int)StatusCode.InvalidArgument).ToString(), status);
        Assert.Contains("not a ProxyMessage", Uri.UnescapeDataString(message));
        await AssertServingAsync(host);
    }

    [Fact]
    public async Task A_stream_that_never_says_hello_is_closed_after_the_hello_timeout()
    {
        await using var host = await ControlPlaneHost.StartAsync(extraArgs: $"--{ControlPlaneOptions.HelloTimeoutKey}=0.5");
        using var call = new MeshDiscovery.MeshDiscoveryClient(host.Grpc).StreamConfig();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestProxy.DefaultTimeout));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Contains("No ProxyHello within 0.5 s", error.Status.Detail);
        await AssertServingAsync(host);
    }

    [Fact]
    public async Task A_proxy_that_never_reads_holds_up_no_other_proxy()
    {
        // A write timeout far beyond the test: the stuck proxy's write stays pending all along.
        await using var host = await ControlPlaneHost.StartAsync(extraArgs:
            [$"--{MeshEnvironment.ControlPlane.Services}:0=reviews", $"--{ControlPlaneOptions.PushWriteTimeoutKey}=300"]);
        await using var healthy = await host.ConnectAsync(TestProxy.Sidecar("productpage-v1", "productpage", "127.0.0.1:40200", null, "reviews"));
        using var stuckChannel = GrpcChannel.ForAddress(host.GrpcAddress);
        using var stuck = await ConnectWithoutReadingAsync(stuckChannel, TestProxy.Sidecar("productpage-stuck", "productpage", "127.0.0.1:40202", null, "reviews"));

        // Snapshots of about 10 KB each: a few of them fill the stuck stream's 64 KB flow-control window.
        for (var round = 1; round <= 30; round++)
        {
            await ApplyAsync(host, LargeRoute(round));
        }

        var last = await healthy.WaitForAsync(s => s.RouteTables.Any(t => t.Routes.Count == 50 && t.Routes[0].TimeoutMs == 30_000));
        Assert.NotNull(last);
        await ApplyAsync(host, LargeRoute(31));
        await healthy.WaitForAsync(s => s.RouteTables.Any(t => t.Routes[0].TimeoutMs == 31_000));
        await AssertServingAsync(host);
    }

    [Fact]
    public async Task A_proxy_that_never_reads_is_closed_after_the_write_timeout_and_can_reconnect()
    {
        await using var host = await ControlPlaneHost.StartAsync(extraArgs:
            [$"--{MeshEnvironment.ControlPlane.Services}:0=reviews", $"--{ControlPlaneOptions.PushWriteTimeoutKey}=1"]);
        using var stuckChannel = GrpcChannel.ForAddress(host.GrpcAddress);
        var hello = TestProxy.Sidecar("productpage-stuck", "productpage", "127.0.0.1:40202", null, "reviews");
        using var stuck = await ConnectWithoutReadingAsync(stuckChannel, hello);

        for (var round = 1; round <= 30 && (await host.FindProxyAsync(hello.ProxyId))?["connected"]?.GetValue<bool>() == true; round++)
        {
            await ApplyAsync(host, LargeRoute(round));
        }

        var proxy = await Eventually.ValueAsync(() => host.FindProxyAsync(hello.ProxyId), p => p?["connected"]?.GetValue<bool>() == false);
        Assert.NotNull(proxy);
        // The same proxy, reading this time, is served at once.
        await using var back = await host.ConnectAsync(hello);
        Assert.Contains((await back.NextAsync()).Snapshot.RouteTables, t => t.Routes.Count == 50);
    }

    [Fact]
    public async Task A_burst_of_200_reconnects_leaves_the_control_plane_serving()
    {
        await using var host = await ControlPlaneHost.StartAsync(extraArgs: [$"--{MeshEnvironment.ControlPlane.Services}:0=reviews"]);
        var hellos = Enumerable.Range(0, 200).Select(i => TestProxy.Sidecar($"reviews-{i}", "reviews", $"127.0.0.1:{41000 + i}")).ToList();

        for (var wave = 0; wave < 2; wave++)
        {
            // Each proxy drops its stream and dials again, all at once, as after a network blip.
            var proxies = await Task.WhenAll(hellos.Select(h => host.ConnectAsync(h)));
            await Task.WhenAll(proxies.Select(p => p.NextAsync(TimeSpan.FromSeconds(30))));
            await Task.WhenAll(proxies.Select(p => p.DisposeAsync().AsTask()));
        }

        await using var last = await host.ConnectAsync(Reviews);
        Assert.NotEmpty((await last.NextAsync()).Snapshot.Version);
        await AssertServingAsync(host);
    }

    private static async Task<AsyncDuplexStreamingCall<ProxyMessage, ControlPlaneMessage>> ConnectWithoutReadingAsync(GrpcChannel channel, ProxyHello hello)
    {
        var call = new MeshDiscovery.MeshDiscoveryClient(channel).StreamConfig();
        await call.RequestStream.WriteAsync(new ProxyMessage { Hello = hello });
        await call.ResponseHeadersAsync.WaitAsync(TestProxy.DefaultTimeout);
        return call;
    }

    /// <summary>A VirtualService for reviews with 50 routes, the timeout of each telling the rounds apart.</summary>
    private static string LargeRoute(int round)
    {
        var yaml = new StringBuilder("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  http:\n");
        for (var i = 0; i < 50; i++)
        {
            yaml.Append($"  - match: [{{uri: {{prefix: /a-rather-long-path-segment-to-make-the-snapshot-larger/{i}/}}, headers: {{x-route: {{exact: route-number-{i}-of-fifty}}}}}}]\n");
            yaml.Append($"    timeout: {round}s\n    route: [{{destination: {{host: reviews}}}}]\n");
        }

        return yaml.ToString();
    }

    private static async Task ApplyAsync(ControlPlaneHost host, string yaml)
    {
        using var response = await host.Http.PostAsync("/api/v1/config", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task AssertServingAsync(ControlPlaneHost host)
    {
        Assert.NotNull(await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"));
        Assert.NotNull(await host.GetArrayAsync("/api/v1/proxies"));
    }
}
