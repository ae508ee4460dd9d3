using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

/// <summary>Routes that redirect or rewrite, on a real sidecar's outbound listener and a real gateway.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class RedirectRewriteTests
{
    private static HttpRoute Redirecting(string name, string prefix, HttpRedirect redirect)
    {
        var route = new HttpRoute { Name = name, Redirect = redirect };
        route.Matches.Add(Routes.Match(uri: new StringMatch { Prefix = prefix }));
        return route;
    }

    private static async Task<(HttpStatusCode Status, string? Location, string Body)> GetAsync(HttpClient client, string url, string? host = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, response.Headers.Location?.OriginalString, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Redirects_are_answered_by_the_sidecar_with_the_location_built_from_the_request()
    {
        var backendHits = 0;
        await using var backend = await TestBackend.StartAsync(c =>
        {
            Interlocked.Increment(ref backendHits);
            return c.Response.WriteAsync("backend");
        });
        var moved = Redirecting("moved", "/old", new HttpRedirect { Uri = "/new", RedirectCode = 301 });
        moved.ResponseHeaders = new HeaderOperations();
        moved.ResponseHeaders.Set["x-moved-by"] = "mesh";
        var snapshot = Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address)).With(Routes.Table("reviews",
            moved,
            Redirecting("own-query", "/search", new HttpRedirect { Uri = "/find?engine=mesh", RedirectCode = 302 }),
            Redirecting("secure", "/secure", new HttpRedirect { Scheme = "https", RedirectCode = 308 }),
            Redirecting("elsewhere", "/elsewhere", new HttpRedirect
            {
                Authority = "reviews.example.com", Scheme = "https", DerivePort = HttpRedirect.Types.DerivePort.FromProtocolDefault, RedirectCode = 307,
            }),
            Redirecting("same-port", "/same-port", new HttpRedirect { Authority = "other", DerivePort = HttpRedirect.Types.DerivePort.FromRequestPort, RedirectCode = 303 }),
            Redirecting("port", "/port", new HttpRedirect { Port = 8443, RedirectCode = 302 }),
            Routes.Route("rest", "reviews")));
        await using var sidecar = await ScriptedSidecar.StartAsync(snapshot);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var url = sidecar.OutboundUrl;

        // The request's query is kept when the redirect's uri has none; the whole path is replaced, prefix match or not.
        using (var request = new HttpRequestMessage(HttpMethod.Get, url + "old/page?id=7") { Headers = { Host = "reviews:9080" } })
        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
            Assert.Equal("http://reviews:9080/new?id=7", response.Headers.Location?.OriginalString);
            Assert.Equal("mesh", response.Headers.GetValues("x-moved-by").Single());
            Assert.Equal("", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal((HttpStatusCode.Found, "http://reviews:9080/find?engine=mesh"), Pick(await GetAsync(client, url + "search?q=x", "reviews:9080")));
        // Envoy keeps the Host's port when only the scheme changes, unless it is the old scheme's default.
        Assert.Equal((HttpStatusCode.PermanentRedirect, "https://reviews:9080/secure/a"), Pick(await GetAsync(client, url + "secure/a", "reviews:9080")));
        Assert.Equal((HttpStatusCode.PermanentRedirect, "https://reviews/secure/a"), Pick(await GetAsync(client, url + "secure/a", "reviews:80")));
        Assert.Equal((HttpStatusCode.TemporaryRedirect, "https://reviews.example.com/elsewhere"), Pick(await GetAsync(client, url + "elsewhere", "reviews:9080")));
        Assert.Equal((HttpStatusCode.SeeOther, "http://other:9080/same-port"), Pick(await GetAsync(client, url + "same-port", "reviews:9080")));
        // Without a port in the Host, the request's port is the one the client connected to.
        var listenerPort = new Uri(url).Port;
        Assert.Equal((HttpStatusCode.SeeOther, $"http://other:{listenerPort}/same-port"), Pick(await GetAsync(client, url + "same-port", "reviews")));
        Assert.Equal((HttpStatusCode.Found, "http://reviews:8443/port"), Pick(await GetAsync(client, url + "port", "reviews:9080")));

        Assert.Equal(0, Volatile.Read(ref backendHits));
        Assert.Equal((HttpStatusCode.OK, null, "backend"), await GetAsync(client, url + "other"));
        Assert.Equal(8, await sidecar.Proxy.CounterAsync("route.reviews.redirected"));

        var dumped = (await sidecar.Proxy.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("routeTables")[0].GetProperty("routes")[0].GetProperty("redirect");
        Assert.Equal("/new", dumped.GetProperty("uri").GetString());
        Assert.Equal(301, dumped.GetProperty("redirectCode").GetInt32());
    }

    [Fact]
    public async Task The_gateway_answers_a_redirect_too()
    {
        await using var productpage = await TestBackend.StartAsync(c => c.Response.WriteAsync("productpage"));
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => Snapshots.Of("v1",
                Snapshots.Cluster("productpage", LoadBalancerPolicy.LeastRequest, productpage.Address))
            .With(Routes.Table("80",
                Redirecting("root", "/home", new HttpRedirect { Uri = "/productpage" }),
                Routes.Route("productpage", "productpage"))));
        var gatewayPort = FreePort.Next();
        await using var gateway = await ProxyProcess.StartAsync(ProxySettings.Gateway("ingressgateway-redirect", controlPlane.Address, gatewayPort));
        await (await controlPlane.NextStreamAsync("ingressgateway-redirect")).NextAckAsync();

        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var (status, location, _) = await GetAsync(client, $"http://127.0.0.1:{gatewayPort}/home?u=1");

        Assert.Equal(HttpStatusCode.MovedPermanently, status);
        Assert.Equal($"http://127.0.0.1:{gatewayPort}/productpage?u=1", location);
        Assert.Equal(1, await gateway.CounterAsync("route.80.redirected"));
    }

    [Fact]
    public async Task Rewrites_change_what_the_backend_sees_path_query_and_host()
    {
        await using var backend = await TestBackend.StartAsync(c => c.Response.WriteAsync(
            $"{c.Request.Path}{c.Request.QueryString} host={c.Request.Host} original={c.Request.Headers["x-envoy-original-path"]}"));

        // Two blocks on one route: the one that matched decides which prefix is swapped.
        var prefixes = new HttpRoute { Name = "prefixes", Rewrite = new HttpRewrite { Uri = "/v2" } };
        prefixes.Matches.Add(Routes.Match(uri: new StringMatch { Prefix = "/api/v1" }));
        prefixes.Matches.Add(Routes.Match(uri: new StringMatch { Prefix = "/legacy" }));
        prefixes.Destinations.Add(new WeightedDestination { Service = "reviews", Weight = 100 });

        var exact = Routes.Route("exact", "reviews", match: Routes.Match(uri: new StringMatch { Exact = "/health" }));
        exact.Rewrite = new HttpRewrite { Uri = "/status/live" };

        var regex = Routes.Route("regex", "reviews", match: Routes.Match(uri: new StringMatch { Prefix = "/service/" }));
        regex.Rewrite = new HttpRewrite { UriRegex = new RegexRewrite { Pattern = "^/service/([^/]+)(/.*)$", Substitution = "\\2/instance/\\1" } };

        var host = Routes.Route("host", "reviews", match: Routes.Match(headers: [("x-tenant", new StringMatch { Exact = "blue" })]));
        host.Rewrite = new HttpRewrite { Authority = "reviews.internal", Uri = "/tenant/" };

        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address))
            .With(Routes.Table("reviews", prefixes, exact, regex, host, Routes.Route("rest", "reviews"))));
        using var client = new HttpClient();
        var url = sidecar.OutboundUrl;
        var port = new Uri(url).Port;

        Assert.Equal($"/v2/items?q=1 host=127.0.0.1:{port} original=/api/v1/items?q=1", await client.GetStringAsync(url + "api/v1/items?q=1"));
        Assert.Equal($"/v2/x host=127.0.0.1:{port} original=/legacy/x", await client.GetStringAsync(url + "legacy/x"));
        Assert.Equal($"/status/live?probe=1 host=127.0.0.1:{port} original=/health?probe=1", await client.GetStringAsync(url + "health?probe=1"));
        Assert.Equal($"/foo/bar/instance/abc host=127.0.0.1:{port} original=/service/abc/foo/bar", await client.GetStringAsync(url + "service/abc/foo/bar"));

        // A block without a uri match matches the prefix "/", which is what gets swapped (Envoy's prefix_rewrite).
        using var tenant = new HttpRequestMessage(HttpMethod.Get, url + "orders/3") { Headers = { { "x-tenant", "blue" } } };
        using var tenantResponse = await client.SendAsync(tenant);
        Assert.Equal("/tenant/orders/3 host=reviews.internal original=/orders/3", await tenantResponse.Content.ReadAsStringAsync());

        Assert.Equal($"/untouched host=127.0.0.1:{port} original=", await client.GetStringAsync(url + "untouched"));
    }

    private static (HttpStatusCode, string?) Pick((HttpStatusCode Status, string? Location, string Body) result) => (result.Status, result.Location);
}
