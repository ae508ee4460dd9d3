using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

/// <summary>DestinationRule policies and VirtualService mirroring as they reach a proxy's snapshot.</summary>
public sealed class TrafficPolicySnapshotTests
{
    private static Workload Sidecar(string id, string service, string version, params string[] upstreams) => new()
    {
        ProxyId = id, Mode = ProxyMode.Sidecar, Service = service, Namespace = "default",
        Labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["app"] = service, ["version"] = version },
        InboundAddress = $"127.0.0.1:{40000 + id.Length}", ServicePort = 9080, Protocol = ServiceProtocol.Http,
        AdminUrl = "http://127.0.0.1:1", Healthy = true, UpstreamServices = upstreams,
        Connected = true, ConnectedAt = DateTimeOffset.UnixEpoch, Session = 1,
    };

    private static readonly Workload ProductPage = Sidecar("productpage-v1", "productpage", "v1", "reviews");
    private static readonly Workload ReviewsV1 = Sidecar("reviews-v1", "reviews", "v1");
    private static readonly Workload ReviewsV2 = Sidecar("reviews-v2", "reviews", "v2");

    private static ProxySnapshot Compile(string yaml, Workload? proxy = null)
    {
        var parsed = ConfigParser.Parse(yaml, "inline.yaml");
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Messages));
        var problems = ConfigValidator.Validate(parsed.Resources, new HashSet<string> { "productpage", "reviews", "ratings" }).Where(m => m.IsError);
        Assert.Empty(problems);
        return new SnapshotCompiler().Compile(proxy ?? ProductPage,
            new SnapshotInputs(new MeshConfig(1, parsed.Resources), [ProductPage, ReviewsV1, ReviewsV2]));
    }

    private static Cluster Reviews(ProxySnapshot snapshot) => snapshot.Clusters.Single(c => c.Name == "reviews");

    [Fact]
    public void ConnectionPool_OfOneConnectionAndOnePendingRequest_ReachesTheCluster()
    {
        var cluster = Reviews(Compile("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool:
                  tcp: {maxConnections: 1, connectTimeout: 250ms}
                  http: {http1MaxPendingRequests: 1, http2MaxRequests: 7, maxRequestsPerConnection: 3, maxRetries: 2, idleTimeout: 1m}
            """));

        var pool = cluster.ConnectionPool;
        Assert.NotNull(pool);
        Assert.Equal((1u, 250L, 1u, 7u, 3u, 2u, 60_000L),
            (pool.MaxConnections, pool.ConnectTimeoutMs, pool.Http1MaxPendingRequests, pool.Http2MaxRequests, pool.MaxRequestsPerConnection, pool.MaxRetries, pool.IdleTimeoutMs));
        Assert.Null(cluster.OutlierDetection);
        Assert.Null(cluster.ConsistentHash);
    }

    [Fact]
    public void ConnectionPool_LeavesWhatTheRuleOmitsAtZero_SoEnvoysDefaultsApply()
    {
        var pool = Reviews(Compile("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {connectionPool: {http: {http1MaxPendingRequests: 4}}}
            """)).ConnectionPool;

        Assert.Equal((0u, 0L, 4u, 0u), (pool.MaxConnections, pool.ConnectTimeoutMs, pool.Http1MaxPendingRequests, pool.Http2MaxRequests));
    }

    [Fact]
    public void OutlierDetection_WithOnlyConsecutive5xxErrors_GetsIstiosDefaults()
    {
        var outlier = Reviews(Compile("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {outlierDetection: {consecutive5xxErrors: 1}}
            """)).OutlierDetection;

        Assert.NotNull(outlier);
        Assert.Equal((1u, 0u, 10_000L, 30_000L, 10u, 0u),
            (outlier.Consecutive5XxErrors, outlier.ConsecutiveGatewayErrors, outlier.IntervalMs, outlier.BaseEjectionTimeMs, outlier.MaxEjectionPercent, outlier.MinHealthPercent));
    }

    [Fact]
    public void OutlierDetection_KeepsEveryFieldTheRuleSets()
    {
        var outlier = Reviews(Compile("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                outlierDetection: {consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100, minHealthPercent: 50}
            """)).OutlierDetection;

        Assert.Equal((0u, 2u, 1_000L, 180_000L, 100u, 50u),
            (outlier.Consecutive5XxErrors, outlier.ConsecutiveGatewayErrors, outlier.IntervalMs, outlier.BaseEjectionTimeMs, outlier.MaxEjectionPercent, outlier.MinHealthPercent));
    }

    [Theory]
    [InlineData("httpHeaderName: x-user", ConsistentHash.KeyOneofCase.HttpHeaderName, "x-user")]
    [InlineData("httpCookie: {name: session}", ConsistentHash.KeyOneofCase.HttpCookieName, "session")]
    [InlineData("httpQueryParameterName: user", ConsistentHash.KeyOneofCase.HttpQueryParameterName, "user")]
    [InlineData("useSourceIp: true", ConsistentHash.KeyOneofCase.UseSourceIp, "True")]
    public void ConsistentHash_CarriesItsKey(string key, ConsistentHash.KeyOneofCase expected, string value)
    {
        var cluster = Reviews(Compile($$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer:
                  consistentHash:
                    {{key}}
                    minimumRingSize: 2048
            """));

        var hash = cluster.ConsistentHash;
        Assert.Equal(expected, hash.KeyCase);
        Assert.Equal(value, expected switch
        {
            ConsistentHash.KeyOneofCase.HttpHeaderName => hash.HttpHeaderName,
            ConsistentHash.KeyOneofCase.HttpCookieName => hash.HttpCookieName,
            ConsistentHash.KeyOneofCase.HttpQueryParameterName => hash.HttpQueryParameterName,
            _ => hash.UseSourceIp.ToString(),
        });
        Assert.Equal(2048UL, hash.MinimumRingSize);
        Assert.Equal(LoadBalancerPolicy.Unspecified, cluster.LoadBalancer);
    }

    [Fact]
    public void SubsetPolicy_ReplacesOnlyThePartsItSets()
    {
        var cluster = Reviews(Compile("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool: {tcp: {maxConnections: 100}}
                outlierDetection: {consecutive5xxErrors: 7}
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  connectionPool: {tcp: {maxConnections: 1}, http: {http1MaxPendingRequests: 1}}
                  loadBalancer: {consistentHash: {httpHeaderName: x-user}}
            """));

        Assert.Equal(100u, cluster.ConnectionPool.MaxConnections);
        Assert.Equal(7u, cluster.OutlierDetection.Consecutive5XxErrors);
        var v1 = cluster.Subsets.Single(s => s.Name == "v1");
        Assert.Null(v1.ConnectionPool);
        Assert.Null(v1.OutlierDetection);
        Assert.Null(v1.ConsistentHash);
        var v2 = cluster.Subsets.Single(s => s.Name == "v2");
        Assert.Equal((1u, 1u), (v2.ConnectionPool.MaxConnections, v2.ConnectionPool.Http1MaxPendingRequests));
        Assert.Null(v2.OutlierDetection); // absent on the subset: the cluster's applies
        Assert.Equal("x-user", v2.ConsistentHash.HttpHeaderName);
    }

    [Fact]
    public void Mirror_WithPercentage_IsOnTheRoute_AndItsServiceGetsACluster()
    {
        var snapshot = Compile("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination: {host: reviews, subset: v1}
                mirror: {host: ratings}
                mirrorPercentage: {value: 12.5}
              - route:
                - destination: {host: reviews, subset: v1}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              subsets:
              - name: v1
                labels: {version: v1}
            """);

        var routes = snapshot.RouteTables.Single().Routes;
        Assert.Equal(("ratings", "", 12.5), (routes[0].Mirror.Service, routes[0].Mirror.Subset, routes[0].MirrorPercentage));
        Assert.Null(routes[1].Mirror);
        Assert.Equal(0.0, routes[1].MirrorPercentage);
        Assert.Equal(["ratings", "reviews"], snapshot.Clusters.Select(c => c.Name));
    }

    [Fact]
    public void Mirror_WithoutPercentage_MirrorsEveryRequest_AndOneEntryOfMirrorsMapsTheSameWay()
    {
        var snapshot = Compile("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - match: [{headers: {end-user: {exact: jason}}}]
                route:
                - destination: {host: reviews, subset: v1}
                mirror: {host: reviews, subset: v2, port: {number: 9080}}
              - route:
                - destination: {host: reviews, subset: v1}
                mirrors:
                - destination: {host: reviews, subset: v2}
                  percentage: {value: 5}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
            """);

        var routes = snapshot.RouteTables.Single().Routes;
        Assert.Equal(("reviews", "v2", 9080u, 100.0), (routes[0].Mirror.Service, routes[0].Mirror.Subset, routes[0].Mirror.Port, routes[0].MirrorPercentage));
        Assert.Equal(("reviews", "v2", 5.0), (routes[1].Mirror.Service, routes[1].Mirror.Subset, routes[1].MirrorPercentage));
    }

    [Fact]
    public void Mirror_OfZeroPercent_IsNoMirror()
    {
        var snapshot = Compile("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination: {host: reviews}
                mirror: {host: ratings}
                mirrorPercentage: {value: 0}
            """);

        Assert.Null(snapshot.RouteTables.Single().Routes.Single().Mirror);
        Assert.Equal(["reviews"], snapshot.Clusters.Select(c => c.Name));
    }

}
