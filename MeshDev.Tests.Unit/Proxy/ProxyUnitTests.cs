using MeshDev.Core.Discovery;
using MeshDev.Proxy.Admin;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Routing;
using Microsoft.AspNetCore.Http;
using MeshDev.Proxy.Outbound.LoadBalancing;
using MeshDev.Proxy.Telemetry;
using MeshDev.Tests.Proxy.Infrastructure;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Tests.Proxy;

/// <summary>The proxy's pure parts: snapshot validation and building, balancers, backoff, route matching, stats.</summary>
public sealed class ProxyUnitTests
{
    [Theory]
    [InlineData("reviews:9080", true)]
    [InlineData("127.0.0.1:1", true)]
    [InlineData("[::1]:65535", true)]
    [InlineData("reviews", false)]
    [InlineData("reviews:0", false)]
    [InlineData("reviews:65536", false)]
    [InlineData(":9080", false)]
    [InlineData("reviews:", false)]
    [InlineData("re views:9080", false)]
    [InlineData("::1:9080", false)]
    public void Endpoint_addresses_must_be_host_and_port(string address, bool valid) =>
        Assert.Equal(valid, SnapshotValidator.IsHostAndPort(address));

    [Fact]
    public void Validator_names_the_cluster_and_field_that_is_wrong()
    {
        Assert.Null(SnapshotValidator.Validate(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, "127.0.0.1:9080"))));
        Assert.Equal("snapshot.version is empty", SnapshotValidator.Validate(Snapshots.Of("")));
        Assert.Equal("the message carries no snapshot", SnapshotValidator.Validate(null));
        Assert.Equal("clusters[1].name is empty", SnapshotValidator.Validate(Snapshots.Of("v1",
            Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin), Snapshots.Cluster("", LoadBalancerPolicy.RoundRobin))));
        Assert.Equal("cluster 'reviews' appears more than once", SnapshotValidator.Validate(Snapshots.Of("v1",
            Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin), Snapshots.Cluster("reviews", LoadBalancerPolicy.Random))));
        Assert.Equal("cluster 'reviews': load_balancer 42 is not a known policy", SnapshotValidator.Validate(Snapshots.Of("v1",
            Snapshots.Cluster("reviews", (LoadBalancerPolicy)42))));
        Assert.Equal("cluster 'reviews': protocol 9 is not a known protocol", SnapshotValidator.Validate(Snapshots.Of("v1",
            Snapshots.Cluster("reviews", LoadBalancerPolicy.Random, (ServiceProtocol)9))));
    }

    [Fact]
    public void New_snapshot_keeps_the_in_flight_count_of_endpoints_it_keeps()
    {
        var first = RuntimeSnapshot.Build(
            Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.Unspecified, "127.0.0.1:1", "127.0.0.1:2")),
            RuntimeSnapshot.Empty, DateTimeOffset.UnixEpoch);
        first.Clusters["reviews"].Endpoints[0].Load.Started();

        var second = RuntimeSnapshot.Build(
            Snapshots.Of("v2", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, "127.0.0.1:1", "127.0.0.1:3")),
            first, DateTimeOffset.UnixEpoch);

        Assert.Equal(LoadBalancerPolicy.LeastRequest, first.Clusters["reviews"].Policy);
        Assert.Equal(1, second.Clusters["reviews"].Endpoints[0].Load.ActiveRequests);
        Assert.Same(first.Clusters["reviews"].Endpoints[0].Load, second.Clusters["reviews"].Endpoints[0].Load);
        Assert.Equal(0, second.Clusters["reviews"].Endpoints[1].Load.ActiveRequests);
        Assert.IsType<RoundRobinLoadBalancer>(second.Clusters["reviews"].LoadBalancer);
    }

    [Fact]
    public void Unhealthy_endpoints_are_never_candidates()
    {
        var snapshot = RuntimeSnapshot.Build(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.Random, ServiceProtocol.Http,
            Snapshots.Endpoint("127.0.0.1:1", healthy: false), Snapshots.Endpoint("127.0.0.1:2"))), RuntimeSnapshot.Empty, DateTimeOffset.UnixEpoch);

        var cluster = snapshot.Clusters["reviews"];
        Assert.Equal(2, cluster.Endpoints.Count);
        Assert.Equal("127.0.0.1:2", Assert.Single(cluster.HealthyEndpoints).Address);
    }

    [Fact]
    public void Least_request_prefers_the_endpoint_with_fewer_requests_in_flight()
    {
        var endpoints = Endpoints(2);
        endpoints[0].Load.Started();
        for (var i = 0; i < 100; i++)
        {
            Assert.Same(endpoints[1], LeastRequestLoadBalancer.Instance.Pick(endpoints));
        }
    }

    [Fact]
    public void Least_request_and_random_spread_evenly_loaded_endpoints()
    {
        var endpoints = Endpoints(3);
        foreach (var balancer in new ILoadBalancer[] { LeastRequestLoadBalancer.Instance, RandomLoadBalancer.Instance })
        {
            var picks = Enumerable.Range(0, 3000).Select(_ => balancer.Pick(endpoints)).GroupBy(e => e).ToDictionary(g => g.Key, g => g.Count());
            Assert.All(endpoints, e => Assert.InRange(picks.GetValueOrDefault(e), 800, 1200));
        }
    }

    [Fact]
    public void Round_robin_visits_every_endpoint_in_turn()
    {
        var endpoints = Endpoints(3);
        var balancer = new RoundRobinLoadBalancer();
        var picks = Enumerable.Range(0, 9).Select(_ => balancer.Pick(endpoints)).ToArray();
        for (var i = 3; i < picks.Length; i++)
        {
            Assert.Same(picks[i - 3], picks[i]);
        }

        Assert.Equal(3, picks.Take(3).Distinct().Count());
    }

    [Fact]
    public void Passthrough_and_unspecified_have_documented_stand_ins()
    {
        Assert.IsType<RandomLoadBalancer>(LoadBalancers.Create(LoadBalancerPolicy.Passthrough));
        Assert.IsType<LeastRequestLoadBalancer>(LoadBalancers.Create(LoadBalancerPolicy.Unspecified));
    }

    [Fact]
    public void Backoff_doubles_from_half_a_second_to_five_seconds_with_jitter_and_resets()
    {
        var backoff = new ReconnectBackoff();
        var delays = Enumerable.Range(0, 8).Select(_ => backoff.NextDelay().TotalSeconds).ToArray();
        double[] nominal = [0.5, 1, 2, 4, 5, 5, 5, 5];
        for (var i = 0; i < delays.Length; i++)
        {
            // Never above 5 s: a restarted control plane's warm-up (6 s) must outlast every proxy's wait.
            Assert.InRange(delays[i], nominal[i] * 0.8, Math.Min(nominal[i] * 1.2, 5));
        }

        backoff.Reset();
        Assert.InRange(backoff.NextDelay().TotalSeconds, 0.4, 0.6);
    }

    [Fact]
    public void Route_table_takes_the_first_route_whose_match_block_holds()
    {
        var table = new RouteTable { Name = "80" };
        table.Routes.Add(Routes.Route("exact", "productpage", match: Routes.Match(uri: new StringMatch { Exact = "/productpage" })));
        table.Routes.Add(Routes.Route("jason", "reviews", match: Routes.Match(headers: [("end-user", new StringMatch { Regex = "jas.n" })])));
        table.Routes.Add(Routes.Route("api-no-debug", "details", match: Routes.Match(
            uri: new StringMatch { Prefix = "/API" }, ignoreUriCase: true, method: new StringMatch { Exact = "GET" },
            withoutHeaders: [("x-debug", new StringMatch())])));
        table.Routes.Add(Routes.Route("query", "ratings", match: Routes.Match(query: [("v", new StringMatch { Exact = "2" })])));
        var compiled = RouteTableCompiler.Compile(table, new RegexCache(null));

        Assert.Equal("exact", compiled.Match(Request("GET", "/productpage"))?.Name);
        Assert.Null(compiled.Match(Request("GET", "/productpage/")));
        Assert.Equal("jason", compiled.Match(Request("GET", "/x", ("End-User", "jason")))?.Name);
        // Regex is a full match: "jasonx" is not "jas.n".
        Assert.Null(compiled.Match(Request("GET", "/x", ("end-user", "jasonx"))));
        Assert.Equal("api-no-debug", compiled.Match(Request("GET", "/api/v1"))?.Name);
        Assert.Null(compiled.Match(Request("POST", "/api/v1")));
        Assert.Null(compiled.Match(Request("GET", "/api/v1", ("x-debug", "1"))));
        Assert.Equal("query", compiled.Match(Request("GET", "/other", query: "?v=2"))?.Name);
        Assert.Null(compiled.Match(Request("GET", "/other", query: "?v=3")));
    }

    [Fact]
    public void Regex_that_does_not_compile_names_table_route_and_field()
    {
        var table = new RouteTable { Name = "reviews" };
        table.Routes.Add(Routes.Route("broken", "reviews", match: Routes.Match(uri: new StringMatch { Regex = "/(unclosed" })));
        var error = Assert.Throws<InvalidSnapshotException>(() => RouteTableCompiler.Compile(table, new RegexCache(null)));
        Assert.StartsWith("route table 'reviews' route 'broken' matches[0].uri: regex '/(unclosed' does not compile", error.Message);
    }

    private static HttpRequest Request(string method, string path, (string Name, string Value)? header = null, string query = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query);
        if (header is { } h)
        {
            context.Request.Headers[h.Name] = h.Value;
        }

        return context.Request;
    }

    [Fact]
    public void Histogram_buckets_are_cumulative_and_quantiles_fall_in_the_right_bucket()
    {
        var histogram = new Histogram(StatName.Of("cluster.x.upstream_rq_time", "meshdev_cluster_upstream_rq_time", ("cluster_name", "x")));
        for (var i = 0; i < 98; i++)
        {
            histogram.Record(3);
        }

        histogram.Record(700);
        histogram.Record(5_000_000);

        var snapshot = histogram.Snapshot();
        Assert.Equal(100, snapshot.Count);
        Assert.Equal(0, snapshot.CumulativeCounts[1]);
        Assert.Equal(98, snapshot.CumulativeCounts[2]);
        Assert.Equal(99, snapshot.CumulativeCounts[Array.IndexOf(Histogram.BucketBounds, 1000)]);
        Assert.Equal(99, snapshot.CumulativeCounts[^1]);
        Assert.InRange(snapshot.Quantile(0.5)!.Value, 1, 5);
        Assert.InRange(snapshot.Quantile(0.99)!.Value, 500, 1000);
        Assert.Equal(3 * 98 + 700 + 5_000_000, snapshot.SumMilliseconds, 3);
        Assert.Null(new Histogram(StatName.Of("h", "h")).Snapshot().Quantile(0.5));
    }

    [Fact]
    public void Prometheus_exposition_is_well_formed_and_escapes_label_values()
    {
        var stats = new StatsRegistry();
        var cluster = stats.Cluster("we\"ird\\name");
        cluster.RequestsTotal.Increment();
        cluster.ResponseCodes.Record(503);
        cluster.RequestTime.Record(12);
        stats.Inbound("reviews").ResponseCodes.Record(200);

        var exposition = StatsWriters.WritePrometheus(stats);

        PrometheusFormat.AssertWellFormed(exposition);
        Assert.Contains("meshdev_cluster_upstream_rq_total{cluster_name=\"we\\\"ird\\\\name\"} 1\n", exposition);
        Assert.Contains("meshdev_cluster_upstream_rq_xx{cluster_name=\"we\\\"ird\\\\name\",response_code_class=\"5xx\"} 1\n", exposition);
        Assert.Contains("# TYPE meshdev_control_plane_connected gauge\n", exposition);
        Assert.Contains("meshdev_cluster_upstream_rq_time_bucket{cluster_name=\"we\\\"ird\\\\name\",le=\"25\"} 1\n", exposition);
        Assert.Contains("meshdev_cluster_upstream_rq_time_bucket{cluster_name=\"we\\\"ird\\\\name\",le=\"10\"} 0\n", exposition);
    }

    private static UpstreamEndpoint[] Endpoints(int count) =>
        Enumerable.Range(1, count)
            .Select(i => new UpstreamEndpoint($"p{i}", $"127.0.0.1:{i}", new Dictionary<string, string>(), true, new EndpointLoad()))
            .ToArray();
}
