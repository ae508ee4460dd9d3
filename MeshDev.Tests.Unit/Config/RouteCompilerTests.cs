using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.Config;

public sealed class RouteCompilerTests
{
    private static Workload Proxy(string id, ProxyMode mode, string service, IDictionary<string, string> labels, params string[] upstreams) => new()
    {
        ProxyId = id, Mode = mode, Service = service, Namespace = "default",
        Labels = new SortedDictionary<string, string>(labels, StringComparer.Ordinal),
        InboundAddress = mode == ProxyMode.Sidecar ? $"127.0.0.1:{40000 + id.Length}" : "", ServicePort = 9080,
        Protocol = ServiceProtocol.Http, AdminUrl = "http://127.0.0.1:1", Healthy = true, UpstreamServices = upstreams,
        Connected = true, ConnectedAt = DateTimeOffset.UnixEpoch, Session = 1,
    };

    private static readonly Workload ProductPage = Proxy("productpage-v1", ProxyMode.Sidecar, "productpage",
        new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }, "details", "reviews");

    private static readonly Workload Gateway = Proxy("ingressgateway", ProxyMode.Gateway, "istio-ingressgateway",
        new Dictionary<string, string> { ["istio"] = "ingressgateway" });

    private static MeshConfig Config(params string[] files) => new(1, ConfigTestData.ParseClean(files));

    [Fact]
    public void ReviewsTestV2_JasonGoesToV2_EveryoneElseToV1()
    {
        var tables = RouteCompiler.Compile(ProductPage, Config("destination-rule-all.yaml", "virtual-service-reviews-test-v2.yaml")).ToList();

        var reviews = Assert.Single(tables);
        Assert.Equal("reviews", reviews.Name);
        Assert.Collection(reviews.Routes,
            jason =>
            {
                Assert.Equal("default/reviews/0", jason.Name);
                var match = Assert.Single(jason.Matches);
                Assert.Equal("jason", match.Headers["end-user"].Exact);
                var destination = Assert.Single(jason.Destinations);
                Assert.Equal(("reviews", "v2", 100u), (destination.Service, destination.Subset, destination.Weight));
            },
            rest =>
            {
                Assert.Empty(rest.Matches);
                Assert.Equal(("reviews", "v1", 100u), (rest.Destinations[0].Service, rest.Destinations[0].Subset, rest.Destinations[0].Weight));
            });
    }

    [Fact]
    public void FiftyFifty_KeepsBothWeights()
    {
        var route = RouteCompiler.Compile(ProductPage, Config("destination-rule-all.yaml", "virtual-service-reviews-50-v3.yaml")).Single().Routes.Single();

        Assert.Equal([("v1", 50u), ("v3", 50u)], route.Destinations.Select(d => (d.Subset, d.Weight)));
    }

    [Fact]
    public void FaultDelayAndAbort_TakeTheDeprecatedPercent()
    {
        var ratings = Proxy("reviews-v2", ProxyMode.Sidecar, "reviews", new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v2" }, "ratings");

        var delay = RouteCompiler.Compile(ratings, Config("destination-rule-all.yaml", "virtual-service-ratings-test-delay.yaml")).Single().Routes[0];
        Assert.Equal((7000L, 100.0), (delay.Fault.Delay.FixedDelayMs, delay.Fault.Delay.Percentage));
        Assert.Null(delay.Fault.Abort);

        var abort = RouteCompiler.Compile(ratings, Config("destination-rule-all.yaml", "virtual-service-ratings-test-abort.yaml")).Single().Routes[0];
        Assert.Equal((500u, 100.0), (abort.Fault.Abort.HttpStatus, abort.Fault.Abort.Percentage));
    }

    [Fact]
    public void BookinfoGateway_GetsTablePort80_ToProductPage9080()
    {
        var table = RouteCompiler.Compile(Gateway, Config("bookinfo-gateway.yaml")).Single();

        Assert.Equal("80", table.Name);
        var route = Assert.Single(table.Routes);
        Assert.Equal(
            [("exact", "/productpage"), ("prefix", "/static"), ("exact", "/login"), ("exact", "/logout"), ("prefix", "/api/v1/products")],
            route.Matches.Select(m => (m.Uri.KindCase == StringMatch.KindOneofCase.Exact ? "exact" : "prefix", m.Uri.KindCase == StringMatch.KindOneofCase.Exact ? m.Uri.Exact : m.Uri.Prefix)));
        var destination = Assert.Single(route.Destinations);
        Assert.Equal(("productpage", 9080u, 100u), (destination.Service, destination.Port, destination.Weight));
    }

    [Fact]
    public void AGatewayNotSelected_GetsNoTable_AndMeshVirtualServicesSkipTheGateway()
    {
        var other = Proxy("other-gw", ProxyMode.Gateway, "other", new Dictionary<string, string> { ["istio"] = "egressgateway" });

        Assert.Empty(RouteCompiler.Compile(other, Config("bookinfo-gateway.yaml")));
        Assert.Empty(RouteCompiler.Compile(Gateway, Config("destination-rule-all.yaml", "virtual-service-all-v1.yaml")));
        Assert.Empty(RouteCompiler.Compile(ProductPage, Config("bookinfo-gateway.yaml")));
    }

    [Fact]
    public void SourceLabels_DropMatchBlocksAndRoutesThisProxyDoesNotSatisfy()
    {
        var parsed = ConfigParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              http:
              - name: from-v2-only
                match: [{sourceLabels: {app: productpage, version: v2}}]
                route: [{destination: {host: reviews}}]
              - name: mixed
                match:
                - sourceLabels: {version: v2}
                  uri: {prefix: /a}
                - sourceLabels: {app: productpage}
                  uri: {prefix: /b}
                timeout: 0.5s
                retries: {attempts: 3, perTryTimeout: 100ms, retryOn: "5xx, connect-failure,503"}
                headers:
                  request: {set: {x-b: "2", x-a: "1"}, remove: [x-c]}
                  response: {add: {x-served-by: mesh}}
                route: [{destination: {host: reviews}}]
            """, "inline");
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Messages));

        var route = RouteCompiler.Compile(ProductPage, new MeshConfig(1, parsed.Resources)).Single().Routes.Single();

        Assert.Equal("default/reviews/mixed", route.Name);
        Assert.Equal("/b", Assert.Single(route.Matches).Uri.Prefix);
        Assert.Equal(500, route.TimeoutMs);
        Assert.Equal((3u, 100L), (route.Retries.Attempts, route.Retries.PerTryTimeoutMs));
        Assert.Equal(["5xx", "connect-failure", "503"], route.Retries.RetryOn);
        Assert.Equal(["x-a", "x-b"], route.RequestHeaders.Set.Keys);
        Assert.Equal(["x-c"], route.RequestHeaders.Remove);
        Assert.Equal("mesh", route.ResponseHeaders.Add["x-served-by"]);
    }

    [Fact]
    public void Snapshot_CarriesSubsetsPolicyAndClustersTheRoutesName_WithAStableVersion()
    {
        var resources = (ConfigTestData.ParseClean("destination-rule-all.yaml", "bookinfo-gateway.yaml").Concat(ConfigParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: details}
            spec:
              host: details
              trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
            """, "inline").Resources).Where(r => !(r is DestinationRuleResource { Metadata.Name: "details", Source: not "inline" })).ToList());
        var config = new MeshConfig(1, resources);
        var compiler = new SnapshotCompiler();
        var reviewsV1 = Proxy("reviews-v1", ProxyMode.Sidecar, "reviews", new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v1" });
        var productPageInstance = Proxy("productpage-v1", ProxyMode.Sidecar, "productpage", new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" });

        var gateway = compiler.Compile(Gateway, new SnapshotInputs(config, [reviewsV1, productPageInstance, Gateway]));
        var cluster = Assert.Single(gateway.Clusters);
        Assert.Equal("productpage", cluster.Name);
        Assert.Equal("productpage-v1", Assert.Single(cluster.Endpoints).ProxyId);
        Assert.Equal("v1", Assert.Single(cluster.Subsets).Labels["version"]);

        var sidecar = compiler.Compile(ProductPage, new SnapshotInputs(config, [reviewsV1, productPageInstance]));
        Assert.Equal(["details", "reviews"], sidecar.Clusters.Select(c => c.Name));
        Assert.Equal(LoadBalancerPolicy.RoundRobin, sidecar.Clusters[0].LoadBalancer);
        Assert.Equal(["v1", "v2", "v3"], sidecar.Clusters[1].Subsets.Select(s => s.Name));
        Assert.Equal(sidecar.Version, compiler.Compile(ProductPage, new SnapshotInputs(config, [reviewsV1, productPageInstance])).Version);

        var withRoute = new MeshConfig(2, [.. resources, .. ConfigTestData.ParseClean("virtual-service-reviews-v3.yaml")]);
        var routed = compiler.Compile(ProductPage, new SnapshotInputs(withRoute, [reviewsV1, productPageInstance]));
        Assert.NotEqual(sidecar.Version, routed.Version);
        Assert.Equal("v3", routed.RouteTables.Single().Routes.Single().Destinations.Single().Subset);
    }

}
