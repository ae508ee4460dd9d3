using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

/// <summary>What a snapshot carries for mesh security: the CA's roots, each endpoint's identity, each cluster's TLS mode.</summary>
public sealed class SecuritySnapshotTests
{
    private static ProxyHello Sidecar(string proxyId, string service, string address, string identity, params string[] upstreams)
    {
        var hello = TestProxy.Sidecar(proxyId, service, address, null, upstreams);
        hello.Identity = identity;
        return hello;
    }

    [Fact]
    public async Task Every_snapshot_carries_the_CA_root_and_every_endpoint_the_identity_its_proxy_announced()
    {
        await using var host = await ControlPlaneHost.StartAsync();
        await using var reviews = await host.ConnectAsync(Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40301",
            "spiffe://cluster.local/ns/default/sa/bookinfo-reviews"));
        await using var legacy = await host.ConnectAsync(TestProxy.Sidecar("reviews-v2-sidecar", "reviews", "127.0.0.1:40302"));
        await using var productpage = await host.ConnectAsync(Sidecar("productpage-v1-sidecar", "productpage", "127.0.0.1:40303",
            "spiffe://cluster.local/ns/default/sa/bookinfo-productpage", "reviews"));

        var message = await productpage.WaitForAsync(s => s.Clusters.Any(c => c.Name == "reviews" && c.Endpoints.Count == 2));

        var root = (string)(await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/ca"))!["root"]!["pem"]!;
        Assert.Equal(new[] { root }, message.Snapshot.TrustBundlePem);
        Assert.Equal(new[] { root }, (await reviews.NextAsync()).Snapshot.TrustBundlePem);
        var endpoints = message.Snapshot.Clusters.Single(c => c.Name == "reviews").Endpoints.ToDictionary(e => e.ProxyId, e => e.Identity);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/bookinfo-reviews", endpoints["reviews-v1-sidecar"]);
        Assert.Equal("", endpoints["reviews-v2-sidecar"]); // announced none: no secure naming for it
    }

    [Fact]
    public async Task A_hello_whose_identity_is_not_a_SPIFFE_ID_is_refused()
    {
        await using var host = await ControlPlaneHost.StartAsync();
        var hello = Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40311", "cluster.local/ns/default/sa/bookinfo-reviews");

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await using var proxy = await host.ConnectAsync(hello);
            await proxy.NextAsync();
        });

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("identity 'cluster.local/ns/default/sa/bookinfo-reviews'", error.Status.Detail);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}", ClusterTlsMode.IstioMutual)]
    [InlineData("trafficPolicy: {tls: {mode: DISABLE}}", ClusterTlsMode.Disable)]
    [InlineData("trafficPolicy: {tls: {}}", ClusterTlsMode.Disable)]
    [InlineData("trafficPolicy: {loadBalancer: {simple: RANDOM}}", null)]
    public void A_clusters_TLS_mode_is_auto_unless_its_DestinationRule_sets_one(string policy, ClusterTlsMode? expected)
    {
        var snapshot = Compile($$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              {{policy}}
            """, ProductPage);

        var cluster = snapshot.Clusters.Single(c => c.Name == "reviews");
        Assert.Equal(expected, cluster.Tls?.Mode);
    }

    [Fact]
    public void A_gateway_in_istio_system_routes_to_services_in_default_through_clusters_that_keep_their_namespace()
    {
        var gateway = Workload("gateway", ProxyMode.Gateway, "gateway", "istio-system", new() { ["istio"] = "ingressgateway" });
        var snapshot = Compile(File.ReadAllText(Config.ConfigTestData.BookinfoFile("bookinfo-gateway.yaml")) + """

            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: productpage}
            spec:
              host: productpage
              trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
            """, gateway);

        var destinations = snapshot.RouteTables.Single().Routes.SelectMany(r => r.Destinations).Select(d => d.Service).Distinct();
        Assert.Equal(["productpage.default"], destinations);
        var cluster = Assert.Single(snapshot.Clusters);
        Assert.Equal("productpage.default", cluster.Name);
        Assert.Equal("productpage-v1", Assert.Single(cluster.Endpoints).ProxyId);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/bookinfo-productpage", cluster.Endpoints[0].Identity);
        // The DestinationRule of productpage (in default) applies to the gateway's cluster for it.
        Assert.Equal(ClusterTlsMode.IstioMutual, cluster.Tls.Mode);
    }

    private static readonly Workload ProductPage = Workload("productpage-v1", ProxyMode.Sidecar, "productpage", "default", new() { ["app"] = "productpage" },
        "spiffe://cluster.local/ns/default/sa/bookinfo-productpage", "reviews");

    private static readonly Workload ReviewsV1 = Workload("reviews-v1", ProxyMode.Sidecar, "reviews", "default", new() { ["app"] = "reviews", ["version"] = "v1" },
        "spiffe://cluster.local/ns/default/sa/bookinfo-reviews");

    private static Workload Workload(string id, ProxyMode mode, string service, string @namespace, Dictionary<string, string> labels,
        string identity = "", params string[] upstreams) => new()
        {
            ProxyId = id, Mode = mode, Service = service, Namespace = @namespace,
            Labels = new SortedDictionary<string, string>(labels, StringComparer.Ordinal),
            InboundAddress = mode == ProxyMode.Sidecar ? $"127.0.0.1:{40000 + id.Length}" : "", ServicePort = 9080, Protocol = ServiceProtocol.Http,
            AdminUrl = "http://127.0.0.1:1", Healthy = true, UpstreamServices = upstreams,
            Connected = true, ConnectedAt = DateTimeOffset.UnixEpoch, Session = 1, Identity = identity,
        };

    private static ProxySnapshot Compile(string yaml, Workload proxy)
    {
        var parsed = ConfigParser.Parse(yaml, "inline.yaml");
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Messages));
        var problems = ConfigValidator.Validate(parsed.Resources, new HashSet<string> { "productpage", "reviews", "ratings", "details" }).Where(m => m.IsError);
        Assert.Empty(problems);
        var workloads = new[] { proxy, ProductPage, ReviewsV1 }.DistinctBy(w => w.ProxyId).ToList();
        return new SnapshotCompiler().Compile(proxy, new SnapshotInputs(new MeshConfig(1, parsed.Resources), workloads));
    }

}
