using System.Collections.Concurrent;
using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

/// <summary>DestinationRule traffic policies and mirroring on a sidecar's outbound listener, against real backends.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class TrafficPolicyTests
{
    private const string OverflowBody = "upstream connect error or disconnect/reset before headers. reset reason: overflow";

    [Fact]
    public async Task Circuit_breaker_with_one_connection_and_one_pending_request_refuses_the_rest_with_overflow()
    {
        await using var backend = await TestBackend.StartAsync(async c =>
        {
            await Task.Delay(700);
            await c.Response.WriteAsync("ok");
        });
        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address);
        cluster.ConnectionPool = new ConnectionPool { MaxConnections = 1, Http1MaxPendingRequests = 1 };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", cluster));

        var results = await SendConcurrentlyAsync(sidecar.OutboundUrl, 10);

        var refused = results.Where(r => r.Status == HttpStatusCode.ServiceUnavailable).ToArray();
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Equal(OverflowBody, r.Body));
        Assert.All(refused, r => Assert.True(r.Overloaded));
        Assert.InRange(results.Count(r => r.Status == HttpStatusCode.OK), 2, 8);
        Assert.Equal(refused.Length, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_pending_overflow"));
        Assert.True(await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_cx_overflow") >= refused.Length);
    }

    [Fact]
    public async Task Without_limits_ten_concurrent_slow_requests_all_get_through()
    {
        await using var backend = await TestBackend.StartAsync(async c =>
        {
            await Task.Delay(700);
            await c.Response.WriteAsync("ok");
        });
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address)));

        var results = await SendConcurrentlyAsync(sidecar.OutboundUrl, 10);

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(0, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_pending_overflow"));
    }

    [Fact]
    public async Task Outlier_detection_ejects_the_failing_endpoint_and_brings_it_back_after_the_ejection_time()
    {
        var failingHits = 0;
        await using var a = await TestBackend.StartAsync(c => c.Response.WriteAsync("a"));
        await using var b = await TestBackend.StartAsync(c => c.Response.WriteAsync("b"));
        await using var failing = await TestBackend.StartAsync(c =>
        {
            Interlocked.Increment(ref failingHits);
            c.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return c.Response.WriteAsync("down");
        });
        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, a.Address, b.Address, failing.Address);
        cluster.OutlierDetection = new OutlierDetection { Consecutive5XxErrors = 3, BaseEjectionTimeMs = 2000, IntervalMs = 1000, MaxEjectionPercent = 50 };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", cluster));

        using var client = new HttpClient();
        for (var i = 0; i < 15 && await sidecar.Proxy.CounterAsync("cluster.reviews.outlier_detection.ejections_enforced_total") == 0; i++)
        {
            await client.GetAsync(sidecar.OutboundUrl);
        }

        Assert.True(await sidecar.Proxy.CounterAsync("cluster.reviews.outlier_detection.ejections_enforced_total") >= 1);
        Assert.Equal(1, await sidecar.Proxy.CounterAsync("cluster.reviews.outlier_detection.ejections_enforced_consecutive_5xx"));
        Assert.Equal(1, (await sidecar.Proxy.StatsAsync()).GetProperty("gauges").GetProperty("cluster.reviews.outlier_detection.ejections_active").GetInt64());
        var dumped = (await sidecar.Proxy.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters")[0].GetProperty("endpoints")
            .EnumerateArray().Single(e => e.GetProperty("address").GetString() == failing.Address);
        Assert.True(dumped.TryGetProperty("ejectedUntil", out _));

        // While ejected it gets nothing, and the callers see only the healthy endpoints.
        var hitsAtEjection = Volatile.Read(ref failingHits);
        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync(sidecar.OutboundUrl);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(hitsAtEjection, Volatile.Read(ref failingHits));

        // After base_ejection_time (2 s for a first ejection) it is back in the rotation.
        await Eventually.TrueAsync(async () =>
        {
            using var response = await client.GetAsync(sidecar.OutboundUrl);
            return Volatile.Read(ref failingHits) > hitsAtEjection;
        }, "the ejected endpoint to receive traffic again after its ejection time");
    }

    [Fact]
    public async Task Consistent_hash_on_a_header_keeps_a_key_on_one_endpoint_and_spreads_different_keys()
    {
        await using var a = await TestBackend.StartAsync(c => c.Response.WriteAsync("a"));
        await using var b = await TestBackend.StartAsync(c => c.Response.WriteAsync("b"));
        await using var c3 = await TestBackend.StartAsync(c => c.Response.WriteAsync("c"));
        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, a.Address, b.Address, c3.Address);
        cluster.ConsistentHash = new ConsistentHash { HttpHeaderName = "x-user" };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", cluster));

        using var client = new HttpClient();
        var forAlice = new HashSet<string>();
        for (var i = 0; i < 50; i++)
        {
            forAlice.Add(await GetAsUserAsync(client, sidecar.OutboundUrl, "alice"));
        }

        Assert.Single(forAlice);

        var reached = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            var user = $"user-{i}";
            var first = await GetAsUserAsync(client, sidecar.OutboundUrl, user);
            Assert.Equal(first, await GetAsUserAsync(client, sidecar.OutboundUrl, user));
            reached.Add(first);
        }

        Assert.True(reached.Count >= 2, $"30 keys all went to {string.Join(", ", reached)}");
    }

    [Fact]
    public async Task Mirror_at_100_percent_copies_every_request_and_the_client_sees_only_the_primary()
    {
        var copies = new ConcurrentQueue<(string Host, string Body)>();
        await using var primary = await TestBackend.StartAsync(c => c.Response.WriteAsync("primary"));
        await using var shadow = await TestBackend.StartAsync(async c =>
        {
            using var reader = new StreamReader(c.Request.Body);
            copies.Enqueue((c.Request.Host.Value ?? "", await reader.ReadToEndAsync()));
            c.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await c.Response.WriteAsync("shadow");
        });
        var route = Routes.Route("mirrored", "reviews");
        route.Mirror = new WeightedDestination { Service = "reviews-shadow-copy" };
        route.MirrorPercentage = 100;
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1",
                Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, primary.Address),
                Snapshots.Cluster("reviews-shadow-copy", LoadBalancerPolicy.RoundRobin, shadow.Address))
            .With(Routes.Table("reviews", route)));

        using var client = new HttpClient();
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.PostAsync(sidecar.OutboundUrl + "orders", new StringContent($"order {i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("primary", await response.Content.ReadAsStringAsync());
        }

        await sidecar.Proxy.WaitUntilAsync(() => Task.FromResult(copies.Count >= 10), "ten mirrored copies");
        Assert.All(copies, copy => Assert.EndsWith("-shadow:" + new Uri(sidecar.OutboundUrl).Port, copy.Host));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"order {i}").Order(), copies.Select(c => c.Body).Order());
        Assert.Equal(10, await sidecar.Proxy.CounterAsync("route.reviews.mirrored"));
    }

    [Fact]
    public async Task Bad_traffic_policy_values_are_nacked_naming_the_field()
    {
        await using var backend = await TestBackend.StartAsync(c => c.Response.WriteAsync("ok"));
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address)));

        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address);
        cluster.OutlierDetection = new OutlierDetection { Consecutive5XxErrors = 3, MaxEjectionPercent = 150 };
        sidecar.Stream.Push(Snapshots.Of("v2", cluster));
        Assert.Equal("cluster 'reviews': outlier_detection.max_ejection_percent 150 is not from 0 to 100", (await sidecar.Stream.NextNackAsync()).Reason);

        var route = Routes.Route("mirrored", "reviews");
        route.Mirror = new WeightedDestination { Service = "nowhere" };
        sidecar.Stream.Push(Snapshots.Of("v3", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address)).With(Routes.Table("reviews", route)));
        Assert.Equal("route table 'reviews' route 'mirrored': mirror service 'nowhere' has no cluster in the snapshot", (await sidecar.Stream.NextNackAsync()).Reason);

        Assert.Equal("v1", (await sidecar.Proxy.ConfigDumpAsync()).GetProperty("version").GetString());
    }

    private static async Task<string> GetAsUserAsync(HttpClient client, string url, string user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("x-user", user);
        using var response = await client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<(HttpStatusCode Status, string Body, bool Overloaded)[]> SendConcurrentlyAsync(string url, int count)
    {
        using var client = new HttpClient();
        return await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            using var response = await client.GetAsync(url);
            var overloaded = response.Headers.TryGetValues("x-envoy-overloaded", out var values) && values.Single() == "true";
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), overloaded);
        }));
    }
}
