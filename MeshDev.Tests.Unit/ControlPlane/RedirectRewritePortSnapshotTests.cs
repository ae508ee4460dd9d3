using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

/// <summary>Redirects, rewrites, port-level policies and issued hash cookies as they reach a proxy's snapshot.</summary>
public sealed class RedirectRewritePortSnapshotTests
{
    private static ProxySnapshot Compile(string yaml) => InlineSnapshot.Compile(yaml,
        InlineSnapshot.Sidecar("productpage-v1", "productpage", "v1", "127.0.0.1:41001", "reviews"),
        InlineSnapshot.Sidecar("reviews-v1", "reviews", "v1", "127.0.0.1:41002"),
        InlineSnapshot.Sidecar("reviews-v2", "reviews", "v2", "127.0.0.1:41003"));

    private static Cluster Reviews(ProxySnapshot snapshot) => snapshot.Clusters.Single(c => c.Name == "reviews");

    [Fact]
    public void Redirect_CompilesWithIstiosDefaultCode_AndNoDestinations()
    {
        var routes = Compile("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - match: [{uri: {prefix: /old}}]
                redirect: {uri: /new, authority: reviews.example.com}
                headers: {response: {set: {x-moved: "yes"}}}
              - match: [{uri: {prefix: /secure}}]
                redirect: {scheme: https, derivePort: FROM_PROTOCOL_DEFAULT, redirectCode: 308}
              - match: [{uri: {prefix: /here}}]
                redirect: {port: 8443, redirectCode: 302}
              - route: [{destination: {host: reviews}}]
            """).RouteTables.Single().Routes;

        Assert.Empty(routes[0].Destinations);
        Assert.Equal(new HttpRedirect { Uri = "/new", Authority = "reviews.example.com", RedirectCode = 301 }, routes[0].Redirect);
        Assert.Equal("yes", routes[0].ResponseHeaders.Set["x-moved"]);
        Assert.Equal(new HttpRedirect { Scheme = "https", DerivePort = HttpRedirect.Types.DerivePort.FromProtocolDefault, RedirectCode = 308 }, routes[1].Redirect);
        Assert.Equal(new HttpRedirect { Port = 8443, RedirectCode = 302 }, routes[2].Redirect);
        Assert.Null(routes[3].Redirect);
    }

    [Fact]
    public void Rewrite_CompilesUriAuthorityAndRegex_NextToTheDestinations()
    {
        var routes = Compile("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - match: [{uri: {prefix: /api/v1}}]
                rewrite: {uri: /v1, authority: reviews.internal}
                route: [{destination: {host: reviews}}]
              - rewrite: {uriRegexRewrite: {match: '^/service/([^/]+)(/.*)$', rewrite: '\2/instance/\1'}}
                route: [{destination: {host: reviews}}]
            """).RouteTables.Single().Routes;

        Assert.Equal(new HttpRewrite { Uri = "/v1", Authority = "reviews.internal" }, routes[0].Rewrite);
        Assert.Equal("reviews", Assert.Single(routes[0].Destinations).Service);
        Assert.Equal(new RegexRewrite { Pattern = "^/service/([^/]+)(/.*)$", Substitution = "\\2/instance/\\1" }, routes[1].Rewrite.UriRegex);
    }

    [Fact]
    public void PortLevelSettings_ForTheServicePort_ReplaceTheRulesParts_AndLeaveTheOthers()
    {
        var cluster = Reviews(Compile("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN}
                connectionPool: {tcp: {maxConnections: 100}, http: {http1MaxPendingRequests: 50}}
                outlierDetection: {consecutive5xxErrors: 7}
                portLevelSettings:
                - port: {number: 9080}
                  connectionPool: {tcp: {maxConnections: 1}}
                  loadBalancer: {consistentHash: {httpHeaderName: x-user}}
            """));

        // The port's connectionPool replaces the rule's whole: http1MaxPendingRequests is not kept from it.
        Assert.Equal((1u, 0u), (cluster.ConnectionPool.MaxConnections, cluster.ConnectionPool.Http1MaxPendingRequests));
        Assert.Equal("x-user", cluster.ConsistentHash.HttpHeaderName);
        Assert.Equal(LoadBalancerPolicy.Unspecified, cluster.LoadBalancer);
        Assert.Equal(7u, cluster.OutlierDetection.Consecutive5XxErrors);
    }

    [Fact]
    public void PortLevelSettings_ForAnotherPort_ChangeNothing()
    {
        var cluster = Reviews(Compile("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool: {tcp: {maxConnections: 100}}
                portLevelSettings:
                - port: {number: 8080}
                  connectionPool: {tcp: {maxConnections: 1}}
            """));

        Assert.Equal(100u, cluster.ConnectionPool.MaxConnections);
    }

    [Fact]
    public void SubsetPolicies_FollowIstiosOrder_RulePortThenSubsetThenSubsetPort()
    {
        var cluster = Reviews(Compile("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool: {tcp: {maxConnections: 100}}
                portLevelSettings:
                - port: {number: 9080}
                  connectionPool: {tcp: {maxConnections: 50}}
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  connectionPool: {tcp: {maxConnections: 10}}
                  outlierDetection: {consecutive5xxErrors: 3}
                  portLevelSettings:
                  - port: {number: 9080}
                    connectionPool: {tcp: {maxConnections: 2}}
            """));

        Assert.Equal(50u, cluster.ConnectionPool.MaxConnections);
        var v1 = cluster.Subsets.Single(s => s.Name == "v1");
        var v2 = cluster.Subsets.Single(s => s.Name == "v2");
        // v1 has no policy of its own: the cluster's (the rule's, resolved for 9080) applies.
        Assert.Null(v1.ConnectionPool);
        Assert.Equal(2u, v2.ConnectionPool.MaxConnections);
        Assert.Equal(3u, v2.OutlierDetection.Consecutive5XxErrors);
    }

    [Theory]
    [InlineData("{name: session, ttl: 1h, path: /reviews}", 3_600_000L, "/reviews", true)]
    [InlineData("{name: session, ttl: 0s}", 0L, "", true)]
    [InlineData("{name: session}", 0L, "", false)]
    public void HashCookie_CarriesTtlAndPath(string cookie, long ttlMs, string path, bool ttlSet)
    {
        var hash = Reviews(Compile("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: COOKIE}}}
            """.Replace("COOKIE", cookie, StringComparison.Ordinal))).ConsistentHash;

        Assert.Equal(("session", ttlMs, path, ttlSet), (hash.HttpCookieName, hash.HttpCookieTtlMs, hash.HttpCookiePath, hash.HttpCookieTtlSet));
    }
}
