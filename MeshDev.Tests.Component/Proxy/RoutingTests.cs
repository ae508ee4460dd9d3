using System.Diagnostics;
using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

/// <summary>Route tables on a sidecar's outbound listener: matches, subsets, weights, faults, timeouts, retries.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class RoutingTests
{
    [Fact]
    public async Task Header_match_sends_to_subset_v2_and_everything_else_to_v1_with_header_operations()
    {
        await using var v1 = await TestBackend.StartAsync(c => c.Response.WriteAsync($"v1 route={c.Request.Headers["x-route"]}"));
        await using var v2 = await TestBackend.StartAsync(c => c.Response.WriteAsync($"v2 route={c.Request.Headers["x-route"]} drop={c.Request.Headers["x-drop"]}"));
        var toV2 = Routes.Route("jason", "reviews", "v2", Routes.Match(headers: [("end-user", new StringMatch { Exact = "jason" })]));
        toV2.RequestHeaders = new HeaderOperations { Set = { ["x-route"] = "jason" }, Remove = { "x-drop" } };
        toV2.ResponseHeaders = new HeaderOperations { Set = { ["x-served-by"] = "v2" } };
        var snapshot = Snapshots.Of("v1",
                Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Http,
                        Routes.Labelled(v1.Address, ("version", "v1")), Routes.Labelled(v2.Address, ("version", "v2")))
                    .WithSubset("v1", ("version", "v1"))
                    .WithSubset("v2", ("version", "v2")))
            .With(Routes.Table("reviews", toV2, Routes.Route("rest", "reviews", "v1")));
        await using var sidecar = await ScriptedSidecar.StartAsync(snapshot);

        using var client = new HttpClient();
        for (var i = 0; i < 5; i++)
        {
            using var jason = new HttpRequestMessage(HttpMethod.Get, sidecar.OutboundUrl);
            jason.Headers.Add("End-User", "jason");
            jason.Headers.Add("x-drop", "secret");
            using var response = await client.SendAsync(jason);
            Assert.Equal("v2 route=jason drop=", await response.Content.ReadAsStringAsync());
            Assert.Equal("v2", response.Headers.GetValues("x-served-by").Single());

            Assert.Equal("v1 route=", await client.GetStringAsync(sidecar.OutboundUrl));
        }

        var routeTable = (await sidecar.Proxy.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("routeTables")[0];
        Assert.Equal("reviews", routeTable.GetProperty("name").GetString());
        Assert.Equal("jason", routeTable.GetProperty("routes")[0].GetProperty("matches")[0].GetProperty("headers").GetProperty("end-user").GetProperty("exact").GetString());
    }

    [Fact]
    public async Task Unknown_subset_gives_no_healthy_upstream()
    {
        await using var backend = await TestBackend.StartAsync(c => c.Response.WriteAsync("ok"));
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address))
            .With(Routes.Table("reviews", Routes.Route("all", "reviews", "v3"))));

        using var client = new HttpClient();
        using var response = await client.GetAsync(sidecar.OutboundUrl);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no healthy upstream", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task No_matching_route_is_404_with_an_empty_body_and_counted()
    {
        await using var backend = await TestBackend.StartAsync(c => c.Response.WriteAsync("ok"));
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address))
            .With(Routes.Table("reviews", Routes.Route("only-api", "reviews", match: Routes.Match(uri: new StringMatch { Prefix = "/api" })))));

        using var client = new HttpClient();
        Assert.Equal("ok", await client.GetStringAsync(sidecar.OutboundUrl + "api/x"));
        using var response = await client.GetAsync(sidecar.OutboundUrl + "other");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, await sidecar.Proxy.CounterAsync("route.reviews.no_route"));
    }

    [Fact]
    public async Task Weighted_split_50_50_sends_about_half_to_each()
    {
        await using var v1 = await TestBackend.StartAsync(c => c.Response.WriteAsync("v1"));
        await using var v2 = await TestBackend.StartAsync(c => c.Response.WriteAsync("v2"));
        var snapshot = Snapshots.Of("v1",
                Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Http,
                        Routes.Labelled(v1.Address, ("version", "v1")), Routes.Labelled(v2.Address, ("version", "v2")))
                    .WithSubset("v1", ("version", "v1"))
                    .WithSubset("v2", ("version", "v2")))
            .With(Routes.Table("reviews", Routes.Split("split", ("reviews", "v1", 50), ("reviews", "v2", 50))));
        await using var sidecar = await ScriptedSidecar.StartAsync(snapshot);

        using var client = new HttpClient();
        const int requests = 1000;
        var toV1 = 0;
        for (var i = 0; i < requests; i++)
        {
            if (await client.GetStringAsync(sidecar.OutboundUrl) == "v1")
            {
                toV1++;
            }
        }

        // Each request picks its destination at random, as Envoy's weighted clusters do, so the count is binomial
        // (n = 1000, p = 0.5, standard deviation about 15.8). Five standard deviations either side is a fair split
        // missed by chance about once in 1.7 million runs, while a 60/40 split (600, a hundred away) still fails.
        Assert.InRange(toV1, 421, 579);
    }

    [Fact]
    public async Task Delay_fault_at_100_percent_adds_the_delay()
    {
        await using var backend = await TestBackend.StartAsync(c => c.Response.WriteAsync("ok"));
        var route = Routes.Route("slow", "reviews");
        route.Fault = new FaultInjection { Delay = new FaultDelay { FixedDelayMs = 600, Percentage = 100 } };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address))
            .With(Routes.Table("reviews", route)));

        using var client = new HttpClient();
        var watch = Stopwatch.StartNew();
        Assert.Equal("ok", await client.GetStringAsync(sidecar.OutboundUrl));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(580), $"took {watch.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(1, await sidecar.Proxy.CounterAsync("fault.reviews.delays_injected"));
    }

    [Fact]
    public async Task Abort_fault_at_100_percent_answers_without_reaching_the_backend()
    {
        var hits = 0;
        await using var backend = await TestBackend.StartAsync(c => { Interlocked.Increment(ref hits); return c.Response.WriteAsync("ok"); });
        var route = Routes.Route("broken", "reviews");
        route.Fault = new FaultInjection { Abort = new FaultAbort { HttpStatus = 500, Percentage = 100 } };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address))
            .With(Routes.Table("reviews", route)));

        using var client = new HttpClient();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync(sidecar.OutboundUrl);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal("fault filter abort", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(0, hits);
        Assert.Equal(3, await sidecar.Proxy.CounterAsync("fault.reviews.aborts_injected"));
        Assert.Equal(3, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_500"));
    }

    [Fact]
    public async Task Route_timeout_answers_504_when_it_expires_and_counts_it()
    {
        await using var backend = await TestBackend.StartAsync(async c =>
        {
            await Task.Delay(2000, c.RequestAborted);
            await c.Response.WriteAsync("late");
        });
        var route = Routes.Route("impatient", "reviews");
        route.TimeoutMs = 500;
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address))
            .With(Routes.Table("reviews", route)));

        using var client = new HttpClient();
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync(sidecar.OutboundUrl);
        watch.Stop();
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream request timeout", await response.Content.ReadAsStringAsync());
        Assert.InRange(watch.Elapsed.TotalMilliseconds, 450, 1500);
        Assert.Equal(1, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_timeout"));
    }

    [Theory]
    [InlineData(3, 200)]
    [InlineData(0, 140)]
    public async Task Retries_on_5xx_hide_a_backend_that_fails_30_percent(int attempts, int expectedSuccesses)
    {
        var count = 0;
        // Three requests in every ten fail: deterministic, so the counts are exact.
        await using var backend = await TestBackend.StartAsync(c =>
        {
            var n = Interlocked.Increment(ref count);
            if (n % 10 is 1 or 4 or 7)
            {
                c.Response.StatusCode = 503;
                return c.Response.WriteAsync("flaky");
            }

            return c.Response.WriteAsync("ok");
        });
        var route = Routes.Route("retrying", "reviews");
        route.Retries = new RetryPolicy { Attempts = (uint)attempts, RetryOn = { "5xx" } };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address))
            .With(Routes.Table("reviews", route)));

        using var client = new HttpClient();
        var successes = 0;
        for (var i = 0; i < 200; i++)
        {
            using var response = await client.GetAsync(sidecar.OutboundUrl);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("ok", body);
                successes++;
            }
            else
            {
                Assert.Equal("flaky", body);
            }
        }

        Assert.Equal(expectedSuccesses, successes);
        var retries = await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_retry");
        // Each failing try is followed by a good one: 28 cycles of ten tries carry 196 requests and 84 retries, the last four 2 more.
        Assert.Equal(attempts == 0 ? 0 : 86, retries);
        Assert.Equal(attempts == 0 ? 0 : 86, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_retry_success"));
    }

    [Fact]
    public async Task Default_policy_retries_a_503_and_replays_the_post_body()
    {
        var bodies = new List<string>();
        await using var backend = await TestBackend.StartAsync(async c =>
        {
            using var reader = new StreamReader(c.Request.Body);
            var body = await reader.ReadToEndAsync();
            int seen;
            lock (bodies)
            {
                bodies.Add(body);
                seen = bodies.Count;
            }

            c.Response.StatusCode = seen == 1 ? 503 : 200;
            await c.Response.WriteAsync(seen == 1 ? "unavailable" : $"got {body}");
        });
        // No route table: everything to the service, with Istio's default retry policy.
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address)));

        using var client = new HttpClient();
        using var response = await client.PostAsync(sidecar.OutboundUrl, new StringContent("hello mesh"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("got hello mesh", await response.Content.ReadAsStringAsync());
        Assert.Equal(new[] { "hello mesh", "hello mesh" }, bodies);
        Assert.Equal(1, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_retry"));
        Assert.Equal(1, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_retry_success"));
    }

    [Fact]
    public async Task Invalid_route_tables_are_nacked_with_a_reason_naming_table_route_and_field()
    {
        await using var backend = await TestBackend.StartHealthyAppAsync();
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address)));

        var unknownCluster = Snapshots.Of("v2", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address))
            .With(Routes.Table("reviews", Routes.Route("to-ratings", "ratings")));
        sidecar.Stream.Push(unknownCluster);
        Assert.Equal("route table 'reviews' route 'to-ratings' destinations[0]: service 'ratings' has no cluster in the snapshot",
            (await sidecar.Stream.NextNackAsync()).Reason);

        sidecar.Stream.Push(Snapshots.Of("v3", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address))
            .With(Routes.Table("reviews", Routes.Split("split", ("reviews", "", 60), ("reviews", "", 30)))));
        Assert.Equal("route table 'reviews' route 'split': destination weights add up to 90, not 100", (await sidecar.Stream.NextNackAsync()).Reason);

        sidecar.Stream.Push(Snapshots.Of("v4", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address))
            .With(Routes.Table("reviews", Routes.Route("bad-regex", "reviews", match: Routes.Match(headers: [("end-user", new StringMatch { Regex = "(a" })])))));
        var nack = await sidecar.Stream.NextNackAsync();
        Assert.StartsWith("route table 'reviews' route 'bad-regex' matches[0].headers['end-user']: regex '(a' does not compile", nack.Reason);

        // The last good snapshot keeps serving.
        Assert.Equal("v1", (await sidecar.Proxy.ConfigDumpAsync()).GetProperty("version").GetString());
    }
}
