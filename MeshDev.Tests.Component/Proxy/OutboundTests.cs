using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.Core.Discovery;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Tests.Proxy;

/// <summary>A sidecar's outbound listeners: load balancing, retries, local replies, protocols.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class OutboundTests
{
    [Fact]
    public async Task Round_robin_alternates_between_endpoints()
    {
        var hits = new ConcurrentQueue<string>();
        await using var first = await TestBackend.StartAsync(c => { hits.Enqueue("first"); return c.Response.WriteAsync("first"); });
        await using var second = await TestBackend.StartAsync(c => { hits.Enqueue("second"); return c.Response.WriteAsync("second"); });
        await using var sidecar = await SidecarWithClusterAsync(Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, first.Address, second.Address));

        using var client = new HttpClient();
        for (var i = 0; i < 10; i++)
        {
            await client.GetStringAsync(sidecar.OutboundUrl);
        }

        var order = hits.ToArray();
        Assert.Equal(5, order.Count(h => h == "first"));
        Assert.Equal(5, order.Count(h => h == "second"));
        Assert.All(order.Zip(order.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
    }

    [Fact]
    public async Task Least_request_is_the_default_and_sends_to_the_endpoint_with_fewer_requests_in_flight()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = new ConcurrentDictionary<string, int>();
        RequestDelegate Held(string name) => async context =>
        {
            inFlight.AddOrUpdate(name, 1, (_, n) => n + 1);
            await release.Task;
            await context.Response.WriteAsync(name);
        };
        await using var first = await TestBackend.StartAsync(Held("first"));
        await using var second = await TestBackend.StartAsync(Held("second"));
        // UNSPECIFIED must behave as Istio's default, LEAST_REQUEST.
        await using var sidecar = await SidecarWithClusterAsync(Snapshots.Cluster("reviews", LoadBalancerPolicy.Unspecified, first.Address, second.Address));
        Assert.Equal("LEAST_REQUEST", (await sidecar.Proxy.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters")[0].GetProperty("loadBalancer").GetString());

        using var client = new HttpClient();
        var requests = new List<Task<string>>();
        for (var i = 0; i < 10; i++)
        {
            requests.Add(client.GetStringAsync(sidecar.OutboundUrl));
            // Each pick sees the requests already held open; with two endpoints both are always compared.
            await Eventually.TrueAsync(() => inFlight.Values.Sum() == requests.Count, "the request to reach a backend");
        }

        Assert.Equal(5, inFlight["first"]);
        Assert.Equal(5, inFlight["second"]);
        release.SetResult();
        await Task.WhenAll(requests);
    }

    [Fact]
    public async Task Connect_failure_is_retried_once_on_another_endpoint()
    {
        await using var live = await TestBackend.StartAsync(c => c.Response.WriteAsync("live"));
        var dead = $"127.0.0.1:{FreePort.Next()}";
        await using var sidecar = await SidecarWithClusterAsync(Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, dead, live.Address));

        using var client = new HttpClient();
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("live", await client.GetStringAsync(sidecar.OutboundUrl));
        }

        var counters = (await sidecar.Proxy.StatsAsync()).GetProperty("counters");
        Assert.Equal(3, counters.GetProperty("cluster.reviews.upstream_cx_connect_fail").GetInt64());
        Assert.Equal(3, counters.GetProperty("cluster.reviews.upstream_rq_retry").GetInt64());
        Assert.Equal(6, counters.GetProperty("cluster.reviews.upstream_rq_200").GetInt64());
    }

    [Fact]
    public async Task Unreachable_only_endpoint_gives_envoys_connect_failure_reply()
    {
        var dead = $"127.0.0.1:{FreePort.Next()}";
        await using var sidecar = await SidecarWithClusterAsync(Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, dead));

        using var client = new HttpClient();
        using var response = await client.GetAsync(sidecar.OutboundUrl);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("upstream connect error or disconnect/reset before headers. reset reason: connection failure", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_cx_connect_fail"));
        Assert.Equal(0, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_retry"));
    }

    [Fact]
    public async Task Cluster_without_healthy_endpoints_or_missing_from_the_snapshot_answers_no_healthy_upstream()
    {
        await using var backend = await TestBackend.StartAsync(c => c.Response.WriteAsync("should not be reached"));
        await using var sidecar = await SidecarWithClusterAsync(Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Http,
            Snapshots.Endpoint(backend.Address, healthy: false)));

        using var client = new HttpClient();
        using var unhealthy = await client.GetAsync(sidecar.OutboundUrl);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        Assert.Equal("no healthy upstream", await unhealthy.Content.ReadAsStringAsync());

        // A snapshot without the cluster at all is valid (ACKed) and means the same thing for the caller.
        sidecar.Stream.Push(Snapshots.Of("v2"));
        Assert.Equal("v2", (await sidecar.Stream.NextAckAsync()).Version);
        using var missing = await client.GetAsync(sidecar.OutboundUrl);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, missing.StatusCode);
        Assert.Equal("no healthy upstream", await missing.Content.ReadAsStringAsync());

        Assert.Equal(2, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_no_healthy_upstream"));
        Assert.Equal(2, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_503"));
    }

    [Fact]
    public async Task Grpc_bidirectional_streaming_passes_through_outbound_and_inbound_sidecars()
    {
        // The app behind the "echo" sidecar is a real gRPC service speaking HTTP/2 only; MeshDiscovery's bidi
        // method serves as its API: every message in is answered at once with one message out.
        await using var echoApp = await TestBackend.StartAsync(
            http2: true,
            services => services.AddGrpc(),
            app =>
            {
                app.MapGrpcService<EchoService>();
                app.MapGet("/health", () => "ok");
            });
        await using var clientApp = await TestBackend.StartHealthyAppAsync();
        var echoInboundPort = FreePort.Next();
        await using var controlPlane = await ScriptedControlPlane.StartAsync(hello => hello.Service == "client"
            ? Snapshots.Of("v1", Snapshots.Cluster("echo", LoadBalancerPolicy.LeastRequest, ServiceProtocol.Grpc,
                Snapshots.Endpoint($"127.0.0.1:{echoInboundPort}", proxyId: "echo-1")))
            : Snapshots.Of("v1"));

        await using var echoSidecar = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("echo-1", "echo", controlPlane.Address, echoApp.Url, echoInboundPort, protocol: "grpc"));
        var outboundPort = FreePort.Next();
        await using var clientSidecar = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("client-1", "client", controlPlane.Address, clientApp.Url).WithOutbound("echo", outboundPort, "grpc"));
        await clientSidecar.WaitUntilAsync(async () => (await clientSidecar.GetAdminAsync("/ready")).Status == HttpStatusCode.OK, "the client sidecar to be ready");
        await echoSidecar.WaitUntilAsync(async () => (await echoSidecar.GetAdminAsync("/ready")).Status == HttpStatusCode.OK, "the echo sidecar to be ready");

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{outboundPort}");
        var client = new MeshDiscovery.MeshDiscoveryClient(channel);
        using var call = client.StreamConfig();
        for (var i = 1; i <= 3; i++)
        {
            // Each answer arrives before the next message is written: both directions stream at once.
            await call.RequestStream.WriteAsync(new ProxyMessage { Hello = new ProxyHello { ProxyId = $"message-{i}" } });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal($"echo:message-{i}", call.ResponseStream.Current.Nonce);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("done after 3", call.GetTrailers().GetValue("echo-summary"));

        Assert.Equal(1, await clientSidecar.CounterAsync("cluster.echo.upstream_rq_200"));
        Assert.Equal(1, await echoSidecar.CounterAsync("inbound.echo.rq_200"));
    }

    private static async Task<SidecarUnderTest> SidecarWithClusterAsync(Cluster cluster)
    {
        var app = await TestBackend.StartHealthyAppAsync();
        var controlPlane = await ScriptedControlPlane.StartAsync();
        var outboundPort = FreePort.Next();
        var proxy = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("productpage-1", "productpage", controlPlane.Address, app.Url).WithOutbound(cluster.Name, outboundPort));
        var stream = await controlPlane.NextStreamAsync("productpage-1");
        stream.Push(Snapshots.Of("v1", cluster));
        await stream.NextAckAsync();
        return new SidecarUnderTest(proxy, stream, $"http://127.0.0.1:{outboundPort}/", app, controlPlane);
    }

    private sealed record SidecarUnderTest(ProxyProcess Proxy, ProxyStream Stream, string OutboundUrl, TestBackend App, ScriptedControlPlane ControlPlane) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            await ControlPlane.DisposeAsync();
            await App.DisposeAsync();
        }
    }

    private sealed class EchoService : MeshDiscovery.MeshDiscoveryBase
    {
        public override async Task StreamConfig(IAsyncStreamReader<ProxyMessage> requestStream, IServerStreamWriter<ControlPlaneMessage> responseStream, ServerCallContext context)
        {
            var count = 0;
            await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
            {
                count++;
                await responseStream.WriteAsync(new ControlPlaneMessage { Nonce = $"echo:{message.Hello.ProxyId}" });
            }

            context.ResponseTrailers.Add("echo-summary", $"done after {count}");
        }
    }
}
