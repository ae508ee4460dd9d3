using System.Net;
using System.Text.Json;
using MeshDev.Core;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

/// <summary>The admin listener: readiness, stats in three formats, config dump.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class AdminTests
{
    [Fact]
    public async Task Unhealthy_app_makes_the_sidecar_not_ready_and_health_changes_reach_the_control_plane()
    {
        var healthy = false;
        await using var app = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = Volatile.Read(ref healthy) ? 200 : 503;
            return Task.CompletedTask;
        });
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => Snapshots.Of("v1"));
        await using var proxy = await ProxyProcess.StartAsync(ProxySettings.Sidecar("reviews-1", "reviews", controlPlane.Address, app.Url));
        var stream = await controlPlane.NextStreamAsync("reviews-1");
        await stream.NextAckAsync();

        await proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Body.Contains("HTTP 503"), "the failed probe to show in /ready");
        var (status, body) = await proxy.GetAdminAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var reasons = JsonDocument.Parse(body).RootElement.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()).ToArray();
        Assert.Equal(new[] { $"app http://127.0.0.1:{app.Port}/health not healthy: HTTP 503" }, reasons);

        Volatile.Write(ref healthy, true);
        var health = await stream.NextAsync(m => m.Health is { Healthy: true }, "a healthy report");
        Assert.Equal("HTTP 200", health.Health.Detail);
        await proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Status == HttpStatusCode.OK, "/ready to answer 200");
        Assert.Equal("{\"ready\":true}", (await proxy.GetAdminAsync("/ready")).Body);

        Volatile.Write(ref healthy, false);
        var unhealthy = await stream.NextHealthAsync();
        Assert.False(unhealthy.Healthy);
        Assert.Equal("HTTP 503", unhealthy.Detail);
    }

    /// <summary>
    /// An app that is slow to answer one probe, as on a loaded machine, stays in load balancing; one that stays silent
    /// for three probes in a row (Kubernetes' failureThreshold) is reported unhealthy, and a definite answer needs no
    /// such patience (see the test above).
    /// </summary>
    [Fact]
    public async Task A_probe_without_an_answer_counts_only_when_three_in_a_row_go_unanswered()
    {
        var stalls = 0;
        var probes = 0;
        await using var app = await TestBackend.StartAsync(async c =>
        {
            Interlocked.Increment(ref probes);
            if (Volatile.Read(ref stalls) > 0)
            {
                Interlocked.Decrement(ref stalls);
                await Task.Delay(TimeSpan.FromSeconds(2), c.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => Snapshots.Of("v1"));
        await using var proxy = await ProxyProcess.StartAsync(ProxySettings.Sidecar("reviews-1", "reviews", controlPlane.Address, app.Url)
            .Set("Mesh:Proxy:HealthProbeTimeout", "0.3"));
        var stream = await controlPlane.NextStreamAsync("reviews-1");
        await stream.NextAckAsync();
        await proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Status == HttpStatusCode.OK, "/ready to answer 200");

        // Two stalled probes: still healthy, and ready throughout.
        Volatile.Write(ref stalls, 2);
        var before = Volatile.Read(ref probes);
        await proxy.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref stalls) == 0 && Volatile.Read(ref probes) >= before + 3),
            "two stalled probes and an answered one");
        Assert.Equal(HttpStatusCode.OK, (await proxy.GetAdminAsync("/ready")).Status);
        // Nothing was reported: a report would have been on the stream before the answered probe that followed it.
        await Assert.ThrowsAsync<TimeoutException>(() =>
            stream.NextAsync(m => m.Health is { Healthy: false }, "an unhealthy report", TimeSpan.FromMilliseconds(300)));

        // Three in a row: unhealthy, reported to the control plane with the reason.
        Volatile.Write(ref stalls, 3);
        var unhealthy = (await stream.NextAsync(m => m.Health is { Healthy: false }, "an unhealthy report")).Health;
        Assert.Equal("no answer within 0.3 s", unhealthy.Detail);
        Assert.Equal(0, Volatile.Read(ref stalls));
    }

    /// <summary>
    /// A sidecar as a pod runs it: the inbound listener binds every interface and registers the pod's IP (here
    /// 127.0.0.2, an address other than the admin's), and the health port answers a kubelet's probes on any address
    /// while the admin listener stays on 127.0.0.1. The startup probe's path passes once the proxy itself has started,
    /// before its app is up (the kubelet starts the app only after its native sidecar); readiness waits for the app.
    /// </summary>
    [Fact]
    public async Task In_a_pod_the_sidecar_advertises_its_pod_address_and_answers_probes_on_the_health_port_only()
    {
        var appUp = false;
        await using var app = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = Volatile.Read(ref appUp) ? 200 : 503;
            return Task.CompletedTask;
        });
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => null);
        var healthPort = FreePort.Next();
        var settings = ProxySettings.Sidecar("reviews-pod", "reviews", controlPlane.Address, app.Url)
            .Set(MeshEnvironment.Proxy.InboundBindAddress, "0.0.0.0")
            .Set(MeshEnvironment.Proxy.InboundAdvertiseAddress, "127.0.0.2")
            .Set(MeshEnvironment.Proxy.HealthPort, healthPort.ToString());
        await using var proxy = await ProxyProcess.StartAsync(settings);
        var stream = await controlPlane.NextStreamAsync("reviews-pod");
        Assert.Equal($"127.0.0.2:{settings.InboundPort}", stream.Hello.InboundAddress);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var ready = new Uri($"http://127.0.0.2:{healthPort}/healthz/ready");
        var started = new Uri($"http://127.0.0.2:{healthPort}/healthz/started");
        // No snapshot yet: neither started nor ready, and the probe is told so without the reasons the admin listener keeps.
        var notReady = await http.GetAsync(ready);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal("", await notReady.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(started)).StatusCode);

        stream.Push(Snapshots.Of("v1"));
        await stream.NextAckAsync();
        await proxy.WaitUntilAsync(async () => (await http.GetAsync(started)).StatusCode == HttpStatusCode.OK, "the startup path to answer 200");
        await proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Body.Contains("HTTP 503"), "the app's failed probe to show in /ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(ready)).StatusCode);

        Volatile.Write(ref appUp, true);
        await proxy.WaitUntilAsync(async () => (await http.GetAsync(ready)).StatusCode == HttpStatusCode.OK, "the readiness path to answer 200");
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.2:{healthPort}/config_dump")).StatusCode);

        // The admin listener, which shows config and certificates, is not reachable at the pod's address.
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://127.0.0.2:{settings.AdminPort}/ready"));
        Assert.Equal(HttpStatusCode.OK, (await proxy.GetAdminAsync("/ready")).Status);
    }

    [Fact]
    public async Task Stats_count_outbound_and_inbound_traffic_in_text_json_and_prometheus()
    {
        await using var reviews = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = c.Request.Path == "/missing" ? 404 : 200;
            return Task.CompletedTask;
        });
        await using var app = await TestBackend.StartAsync(c => c.Response.WriteAsync(c.Request.Path == "/health" ? "ok" : "app"));
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => Snapshots.Of("v1",
            Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, reviews.Address)));
        var outboundPort = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("productpage-1", "productpage", controlPlane.Address, app.Url).WithOutbound("reviews", outboundPort));
        await (await controlPlane.NextStreamAsync("productpage-1")).NextAckAsync();

        using var client = new HttpClient();
        await client.GetAsync($"http://127.0.0.1:{outboundPort}/a");
        await client.GetAsync($"http://127.0.0.1:{outboundPort}/b");
        await client.GetAsync($"http://127.0.0.1:{outboundPort}/missing");
        Assert.Equal("app", await client.GetStringAsync($"http://127.0.0.1:{proxy.Settings.InboundPort}/productpage"));

        var stats = await proxy.StatsAsync();
        Assert.Equal(new[] { "counters", "gauges", "histograms" }, stats.EnumerateObject().Select(p => p.Name).ToArray());
        var counters = stats.GetProperty("counters");
        Assert.Equal(3, counters.GetProperty("cluster.reviews.upstream_rq_total").GetInt64());
        Assert.Equal(2, counters.GetProperty("cluster.reviews.upstream_rq_200").GetInt64());
        Assert.Equal(1, counters.GetProperty("cluster.reviews.upstream_rq_404").GetInt64());
        Assert.Equal(2, counters.GetProperty("cluster.reviews.upstream_rq_2xx").GetInt64());
        Assert.Equal(1, counters.GetProperty("cluster.reviews.upstream_rq_4xx").GetInt64());
        Assert.Equal(1, counters.GetProperty("inbound.productpage.rq_total").GetInt64());
        Assert.Equal(1, counters.GetProperty("inbound.productpage.rq_200").GetInt64());
        Assert.Equal(1, counters.GetProperty("control_plane.snapshots_applied").GetInt64());
        Assert.Equal(1, stats.GetProperty("gauges").GetProperty("control_plane.connected").GetInt64());
        var time = stats.GetProperty("histograms").GetProperty("cluster.reviews.upstream_rq_time");
        Assert.Equal(3, time.GetProperty("count").GetInt64());
        Assert.True(time.GetProperty("sum").GetDouble() > 0);
        var buckets = time.GetProperty("buckets").EnumerateArray().ToArray();
        Assert.Equal(0.5, buckets[0].GetProperty("le").GetDouble());
        Assert.Equal(3600000, buckets[^1].GetProperty("le").GetDouble());
        Assert.Equal(3, buckets[^1].GetProperty("count").GetInt64());
        Assert.Equal(1, stats.GetProperty("histograms").GetProperty("inbound.productpage.rq_time").GetProperty("count").GetInt64());

        var (_, text) = await proxy.GetAdminAsync("/stats");
        Assert.Contains("cluster.reviews.upstream_rq_200: 2\n", text);
        Assert.Matches(@"cluster\.reviews\.upstream_rq_time: P50\([0-9.]+\) P99\([0-9.]+\) count\(3\)", text);

        using var prometheus = await proxy.Admin.GetAsync("/stats/prometheus");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", prometheus.Content.Headers.ContentType!.ToString());
        var exposition = await prometheus.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE meshdev_cluster_upstream_rq_total counter\nmeshdev_cluster_upstream_rq_total{cluster_name=\"reviews\"} 3\n", exposition);
        Assert.Contains("meshdev_cluster_upstream_rq{cluster_name=\"reviews\",response_code=\"200\"} 2\n", exposition);
        Assert.Contains("meshdev_cluster_upstream_rq{cluster_name=\"reviews\",response_code=\"404\"} 1\n", exposition);
        Assert.Contains("meshdev_inbound_rq_total{service=\"productpage\"} 1\n", exposition);
        Assert.Contains("meshdev_inbound_rq{service=\"productpage\",response_code=\"200\"} 1\n", exposition);
        Assert.Contains("# TYPE meshdev_cluster_upstream_rq_time histogram\n", exposition);
        Assert.Contains("meshdev_cluster_upstream_rq_time_bucket{cluster_name=\"reviews\",le=\"+Inf\"} 3\n", exposition);
        Assert.Contains("meshdev_cluster_upstream_rq_time_count{cluster_name=\"reviews\"} 3\n", exposition);
        Assert.Contains("meshdev_control_plane_connect_attempts 1\n", exposition);
        PrometheusFormat.AssertWellFormed(exposition);
    }

    [Fact]
    public async Task Config_dump_describes_identity_snapshot_and_listeners()
    {
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => Snapshots.Of("v3",
            Snapshots.Cluster("ratings", LoadBalancerPolicy.Passthrough, ServiceProtocol.Http2,
                Snapshots.Endpoint("127.0.0.1:9", healthy: false, proxyId: "ratings-1"))));
        var outboundPort = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("reviews-2", "reviews", controlPlane.Address, app.Url, protocol: "http")
                .Set("Mesh:Labels:version", "v2")
                .WithOutbound("ratings", outboundPort, "http2"));
        await (await controlPlane.NextStreamAsync("reviews-2")).NextAckAsync();

        var dump = await proxy.ConfigDumpAsync();
        Assert.Equal("reviews-2", dump.GetProperty("proxyId").GetString());
        Assert.Equal("sidecar", dump.GetProperty("mode").GetString());
        Assert.Equal("reviews", dump.GetProperty("service").GetString());
        Assert.Equal("v2", dump.GetProperty("labels").GetProperty("version").GetString());
        Assert.Equal("v3", dump.GetProperty("version").GetString());
        Assert.True(DateTimeOffset.TryParse(dump.GetProperty("appliedAt").GetString(), out _));
        Assert.Equal(JsonValueKind.Null, dump.GetProperty("lastNack").ValueKind);

        var cluster = dump.GetProperty("snapshot").GetProperty("clusters")[0];
        Assert.Equal("PASSTHROUGH", cluster.GetProperty("loadBalancer").GetString());
        Assert.Equal("http2", cluster.GetProperty("protocol").GetString());
        var endpoint = cluster.GetProperty("endpoints")[0];
        Assert.Equal("ratings-1", endpoint.GetProperty("proxyId").GetString());
        Assert.False(endpoint.GetProperty("healthy").GetBoolean());

        var listeners = dump.GetProperty("listeners").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        Assert.Equal(2, listeners.Count);
        Assert.Equal("inbound", listeners["inbound"].GetProperty("direction").GetString());
        Assert.Equal($"127.0.0.1:{proxy.Settings.InboundPort}", listeners["inbound"].GetProperty("address").GetString());
        Assert.Equal("reviews", listeners["inbound"].GetProperty("service").GetString());
        Assert.Equal("outbound", listeners["outbound|ratings"].GetProperty("direction").GetString());
        Assert.Equal("http2", listeners["outbound|ratings"].GetProperty("protocol").GetString());
        Assert.Equal($"127.0.0.1:{outboundPort}", listeners["outbound|ratings"].GetProperty("address").GetString());
    }

    [Fact]
    public async Task Admin_listener_answers_before_any_snapshot_and_refuses_other_methods_and_paths()
    {
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var controlPlane = await ScriptedControlPlane.StartAsync();
        await using var proxy = await ProxyProcess.StartAsync(ProxySettings.Sidecar("reviews-1", "reviews", controlPlane.Address, app.Url));

        var dump = await proxy.ConfigDumpAsync();
        Assert.Equal(JsonValueKind.Null, dump.GetProperty("version").ValueKind);
        using var post = await proxy.Admin.PostAsync("/config_dump", null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await proxy.GetAdminAsync("/nope")).Status);
    }
}
