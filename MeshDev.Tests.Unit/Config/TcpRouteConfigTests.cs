using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.Config;

/// <summary>VirtualService tcp[] from YAML to the snapshot: parsing, validation and per-proxy compilation.</summary>
public sealed class TcpRouteConfigTests
{
    private const string RatingsRule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: ratings}
        spec:
          host: ratings
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
          - {name: v3, labels: {version: v3}}
        """;

    private const string RatingsRoutes = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: ratings}
        spec:
          hosts: [ratings]
          tcp:
          - match:
            - sourceLabels: {app: reviews}
            route:
            - destination: {host: ratings, subset: v2}
          - match:
            - port: 27017
            route:
            - destination: {host: ratings, subset: v3}
          - match:
            - port: 9080
              gateways: [mesh]
            route:
            - destination: {host: ratings, subset: v1, port: {number: 9080}}
              weight: 80
            - destination: {host: ratings, subset: v2}
              weight: 20
          - route:
            - destination: {host: details}
        """;

    private static readonly IReadOnlyDictionary<string, ServiceProtocol> RatingsIsTcp =
        new Dictionary<string, ServiceProtocol> { ["ratings"] = ServiceProtocol.Tcp, ["reviews"] = ServiceProtocol.Http };

    private static Workload Sidecar(string id, string service, ServiceProtocol protocol, params string[] upstreams) => new()
    {
        ProxyId = id, Mode = ProxyMode.Sidecar, Service = service, Namespace = "default",
        Labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["app"] = service, ["version"] = "v1" },
        InboundAddress = $"127.0.0.1:{40000 + id.Length}", ServicePort = 9080, Protocol = protocol,
        AdminUrl = "http://127.0.0.1:1", Healthy = true, UpstreamServices = upstreams,
        Connected = true, ConnectedAt = DateTimeOffset.UnixEpoch, Session = 1,
    };

    private static readonly Workload ProductPage = Sidecar("productpage-v1", "productpage", ServiceProtocol.Http, "ratings");
    private static readonly Workload Reviews = Sidecar("reviews-v1", "reviews", ServiceProtocol.Http, "ratings");
    private static readonly Workload Ratings = Sidecar("ratings-v1", "ratings", ServiceProtocol.Tcp);

    private static IReadOnlyList<ConfigResource> Parse(params string[] documents)
    {
        var parsed = ConfigParser.Parse(string.Join("\n---\n", documents), "inline.yaml");
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Messages));
        return parsed.Resources;
    }

    private static IReadOnlyList<ConfigMessage> Validate(IReadOnlyDictionary<string, ServiceProtocol>? protocols, params string[] documents) =>
        ConfigValidator.Validate(Parse(documents), ConfigTestData.BookinfoServices, protocols: protocols);

    [Fact]
    public void Tcp_routes_with_port_source_and_gateway_matches_and_weights_are_accepted_without_a_word()
    {
        var resources = Parse(RatingsRule, RatingsRoutes);

        var spec = ((VirtualServiceResource)resources[1]).Spec;
        Assert.Equal(4, spec.Tcp.Count);
        Assert.Equal(27017, spec.Tcp[1].Match[0].Port);
        Assert.Equal("reviews", spec.Tcp[0].Match[0].SourceLabels["app"]);
        Assert.Equal([80, 20], spec.Tcp[2].Route.Select(r => r.Weight ?? 0));
        Assert.Empty(ConfigValidator.Validate(resources, ConfigTestData.BookinfoServices, protocols: RatingsIsTcp));
    }

    [Fact]
    public void Tcp_routes_for_a_service_that_speaks_http_are_a_warning_and_http_routes_for_a_tcp_service_too()
    {
        const string tcpForReviews = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              tcp:
              - route:
                - destination: {host: reviews}
            """;
        var onHttp = Validate(RatingsIsTcp, tcpForReviews);
        var warning = Assert.Single(onHttp);
        Assert.Equal((ConfigSeverity.Warning, "spec.tcp"), (warning.Severity, warning.Field));
        Assert.Contains("host 'reviews' speaks http; Istio applies tcp routes only to TCP ports", warning.Message, StringComparison.Ordinal);
        Assert.NotNull(warning.Line);

        var onTcp = Validate(RatingsIsTcp, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings}
            spec:
              hosts: [ratings]
              http:
              - route:
                - destination: {host: ratings}
            """);
        warning = Assert.Single(onTcp);
        Assert.Equal((ConfigSeverity.Warning, "spec.http"), (warning.Severity, warning.Field));
        Assert.Contains("host 'ratings' speaks tcp", warning.Message, StringComparison.Ordinal);

        // Before any instance has registered the protocol is unknown, and nothing is said.
        Assert.Empty(Validate(null, tcpForReviews));
    }

    [Fact]
    public void A_match_port_that_is_not_the_registered_service_port_is_a_warning()
    {
        var resources = Parse(RatingsRule, RatingsRoutes);

        var messages = ConfigValidator.Validate(resources, ConfigTestData.BookinfoServices, new Dictionary<string, uint> { ["ratings"] = 9080 }, RatingsIsTcp);

        var warning = Assert.Single(messages);
        Assert.Equal((ConfigSeverity.Warning, "spec.tcp[1].match[0].port"), (warning.Severity, warning.Field));
        Assert.Contains("port 27017 is not the service port of 'ratings' (9080)", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tcp_routes_bound_only_to_gateways_are_a_warning()
    {
        var messages = Validate(RatingsIsTcp, """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: edge}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["*"]
            """, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings}
            spec:
              hosts: [ratings]
              gateways: [edge]
              tcp:
              - route:
                - destination: {host: ratings}
            """);

        var warning = Assert.Single(messages);
        Assert.Equal((ConfigSeverity.Warning, "spec.tcp"), (warning.Severity, warning.Field));
        Assert.Contains("which MeshDev's gateway does not serve", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sidecar_gets_the_tcp_routes_that_match_it_in_order_port_and_source_resolved()
    {
        var config = new MeshConfig(1, Parse(RatingsRule, RatingsRoutes));

        var forProductPage = TcpRouteCompiler.Compile("ratings", ProductPage, config, [ProductPage, Reviews, Ratings]).ToList();
        var forReviews = TcpRouteCompiler.Compile("ratings", Reviews, config, [ProductPage, Reviews, Ratings]).ToList();

        // Route 0 needs app=reviews; route 1 port 27017, not ratings' 9080.
        Assert.Equal(["default/ratings/tcp/2", "default/ratings/tcp/3"], forProductPage.Select(r => r.Name));
        Assert.Equal([("ratings", "v1", 9080u, 80u), ("ratings", "v2", 0u, 20u)],
            forProductPage[0].Destinations.Select(d => (d.Service, d.Subset, d.Port, d.Weight)));
        Assert.Equal(("details", "", 100u), (forProductPage[1].Destinations[0].Service, forProductPage[1].Destinations[0].Subset, forProductPage[1].Destinations[0].Weight));
        Assert.Equal("default/ratings/tcp/0", forReviews[0].Name);

        // With no instance registered the port cannot be told, so the port condition stands.
        Assert.Equal(["default/ratings/tcp/1", "default/ratings/tcp/2", "default/ratings/tcp/3"],
            TcpRouteCompiler.Compile("ratings", ProductPage, config, [ProductPage]).Select(r => r.Name));
    }

    [Fact]
    public void The_snapshot_carries_tcp_routes_in_the_upstreams_table_and_a_cluster_for_every_tcp_destination()
    {
        var snapshot = new SnapshotCompiler().Compile(ProductPage,
            new SnapshotInputs(new MeshConfig(1, Parse(RatingsRule, RatingsRoutes)), [ProductPage, Reviews, Ratings]));

        var table = Assert.Single(snapshot.RouteTables);
        Assert.Equal("ratings", table.Name);
        Assert.Empty(table.Routes);
        Assert.Equal(2, table.TcpRoutes.Count);
        Assert.Equal(["details", "ratings"], snapshot.Clusters.Select(c => c.Name));
        var ratings = snapshot.Clusters.Single(c => c.Name == "ratings");
        Assert.Equal(ServiceProtocol.Tcp, ratings.Protocol);
        Assert.Equal(["v1", "v2", "v3"], ratings.Subsets.Select(s => s.Name));
    }

    [Fact]
    public void A_gateway_gets_no_tcp_routes()
    {
        var gateway = Sidecar("ingressgateway", "istio-ingressgateway", ServiceProtocol.Http, "ratings") with { Mode = ProxyMode.Gateway };
        var tables = new List<RouteTable>();

        TcpRouteCompiler.AddTo(tables, gateway, new MeshConfig(1, Parse(RatingsRule, RatingsRoutes)), [Ratings]);

        Assert.Empty(tables);
    }

}
