using System.Net;
using System.Text.RegularExpressions;
using MeshDev.Core.Discovery;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

/// <summary>A consistent hash that issues its cookie, and port-level policies compiled by the control plane, on a real sidecar.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed partial class HashCookieAndPortPolicyTests
{
    [GeneratedRegex("""^session="([0-9a-f]{16})"; Max-Age=60; Path=/; HttpOnly$""")]
    private static partial Regex IssuedCookie();

    private static Cluster HashingOnCookie(bool ttlSet, long ttlMs, params string[] addresses)
    {
        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, addresses);
        cluster.ConsistentHash = new ConsistentHash { HttpCookieName = "session", HttpCookieTtlSet = ttlSet, HttpCookieTtlMs = ttlMs, HttpCookiePath = "/" };
        return cluster;
    }

    [Fact]
    public async Task A_cookie_with_a_ttl_is_issued_to_a_client_without_one_and_keeps_it_on_one_endpoint()
    {
        await using var a = await TestBackend.StartAsync(c => c.Response.WriteAsync("a"));
        await using var b = await TestBackend.StartAsync(c => c.Response.WriteAsync("b"));
        await using var c3 = await TestBackend.StartAsync(c => c.Response.WriteAsync("c"));
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", HashingOnCookie(true, 60_000, a.Address, b.Address, c3.Address)));

        var firstEndpoints = new HashSet<string>();
        for (var client = 0; client < 12; client++)
        {
            // Each client is a browser of its own: a new connection and a cookie jar that sends back what it is given.
            using var browser = new HttpClient(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer() });
            using var first = await browser.GetAsync(sidecar.OutboundUrl + "reviews/1");
            var issued = Assert.Single(first.Headers.GetValues("Set-Cookie"));
            Assert.Matches(IssuedCookie(), issued);
            var endpoint = await first.Content.ReadAsStringAsync();
            firstEndpoints.Add(endpoint);

            for (var i = 0; i < 5; i++)
            {
                using var next = await browser.GetAsync(sidecar.OutboundUrl + "reviews/1");
                Assert.Equal(endpoint, await next.Content.ReadAsStringAsync());
                Assert.False(next.Headers.Contains("Set-Cookie"), "a client that sends the cookie got another one");
            }
        }

        Assert.True(firstEndpoints.Count >= 2, $"12 clients all landed on {string.Join(", ", firstEndpoints)}");
    }

    [Fact]
    public async Task A_zero_ttl_issues_a_session_cookie_and_without_ttl_none_is_issued()
    {
        await using var a = await TestBackend.StartAsync(c => c.Response.WriteAsync("a"));
        await using var b = await TestBackend.StartAsync(c => c.Response.WriteAsync("b"));
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", HashingOnCookie(true, 0, a.Address, b.Address)));
        using var client = new HttpClient();

        using (var response = await client.GetAsync(sidecar.OutboundUrl))
        {
            var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
            Assert.Matches("""^session="[0-9a-f]{16}"; Path=/; HttpOnly$""", cookie);
        }

        // A client that already has the cookie is hashed on it and gets nothing new.
        using (var request = new HttpRequestMessage(HttpMethod.Get, sidecar.OutboundUrl) { Headers = { { "Cookie", "session=\"0123456789abcdef\"" } } })
        using (var response = await client.SendAsync(request))
        {
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }

        sidecar.Stream.Push(Snapshots.Of("v2", HashingOnCookie(false, 0, a.Address, b.Address)));
        await sidecar.Stream.NextAckAsync();
        using (var response = await client.GetAsync(sidecar.OutboundUrl))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("Set-Cookie"), "a cookie was issued although the hash has no ttl");
        }
    }

    [Theory]
    [InlineData(9080, true)]
    [InlineData(8080, false)]
    public async Task A_port_level_connection_pool_limits_traffic_only_on_the_port_it_names(int port, bool overflowExpected)
    {
        await using var backend = await TestBackend.StartAsync(async c =>
        {
            await Task.Delay(700);
            await c.Response.WriteAsync("ok");
        });
        // The control plane's compiler resolves the rule for the service's port (9080) before the proxy sees it.
        var snapshot = InlineSnapshot.Compile($$$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool: {tcp: {maxConnections: 100}}
                portLevelSettings:
                - port: {number: {{{port}}}}
                  connectionPool:
                    tcp: {maxConnections: 1}
                    http: {http1MaxPendingRequests: 1}
            """,
            InlineSnapshot.Sidecar("productpage-1", "productpage", "v1", "127.0.0.1:1", "reviews"),
            InlineSnapshot.Sidecar("reviews-v1", "reviews", "v1", backend.Address));
        await using var sidecar = await ScriptedSidecar.StartAsync(snapshot);

        using var client = new HttpClient();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await client.GetAsync(sidecar.OutboundUrl);
            return response.StatusCode;
        }));

        var overflows = await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_pending_overflow");
        if (overflowExpected)
        {
            Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
            Assert.Equal(statuses.Count(s => s == HttpStatusCode.ServiceUnavailable), overflows);
        }
        else
        {
            Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
            Assert.Equal(0, overflows);
        }
    }
}
