using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

public sealed class ApiTests
{
    [Fact]
    public async Task Services_ListsSidecarInstancesInTheDocumentedShape_AndNotGateways()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var reviews = await controlPlane.ConnectAsync(TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40123",
            new Dictionary<string, string> { ["version"] = "v1", ["app"] = "reviews" }));
        await using var details = await controlPlane.ConnectAsync(TestProxy.Sidecar("details-v1-sidecar", "details", "127.0.0.1:40124"));
        var gatewayHello = new ProxyHello
        {
            ProxyId = "ingress-gateway", Mode = ProxyMode.Gateway, Service = "istio-ingressgateway", Namespace = "default",
            AdminUrl = "http://127.0.0.1:19100", Healthy = true,
        };
        gatewayHello.UpstreamServices.Add("productpage");
        await using var gateway = await controlPlane.ConnectAsync(gatewayHello);
        await Task.WhenAll(reviews.NextAsync(), details.NextAsync(), gateway.NextAsync());

        var services = await controlPlane.GetArrayAsync("/api/v1/services");

        Assert.Equal(["details", "reviews"], services.Select(s => (string?)s!["name"]));
        var expected = JsonNode.Parse("""
            {"name":"reviews","namespace":"default","instances":[{"proxyId":"reviews-v1-sidecar",
             "labels":{"app":"reviews","version":"v1"},"address":"127.0.0.1:40123","servicePort":9080,
             "protocol":"http","healthy":true,"connected":true,"processGone":false}]}
            """);
        Assert.True(JsonNode.DeepEquals(expected, services[1]), services[1]!.ToJsonString());
    }

    [Fact]
    public async Task Proxies_ShowsEveryDocumentedField()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var proxy = await controlPlane.ConnectAsync(
            TestProxy.Sidecar("productpage-v1-sidecar", "productpage", "127.0.0.1:40200", null, "reviews", "details"));
        await proxy.NextAsync();

        var listed = (await controlPlane.FindProxyAsync("productpage-v1-sidecar"))!;
        var single = (await controlPlane.Http.GetFromJsonAsync<JsonObject>("/api/v1/proxies/productpage-v1-sidecar"))!;

        string[] fields =
        [
            "id", "service", "namespace", "labels", "mode", "connected", "connectedAt", "disconnectedAt", "healthy",
            "sentVersion", "sentAt", "ackedVersion", "ackedAt", "inSync", "configVersion", "lastNack", "adminUrl", "upstreams", "lastPushAt",
            "restarts", "instanceId", "startedAt", "processGone",
        ];
        Assert.Equal(fields.Order(), listed.Select(p => p.Key).Order());
        Assert.True(JsonNode.DeepEquals(listed, single));
        Assert.Equal("sidecar", (string?)listed["mode"]);
        Assert.Equal("productpage", (string?)listed["service"]);
        Assert.Equal("http://127.0.0.1:19000", (string?)listed["adminUrl"]);
        Assert.Equal(["reviews", "details"], listed["upstreams"]!.AsArray().Select(u => (string?)u));
        Assert.True((bool)listed["connected"]!);
        // No config applied yet: the snapshot reflects config version 0.
        Assert.Equal(0, (long?)listed["configVersion"]);
    }

    [Fact]
    public async Task UnknownProxy_IsA404WithAJsonError()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();

        var response = await controlPlane.Http.GetAsync("/api/v1/proxies/nobody");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains("nobody", (string?)body["error"]);
    }

    [Fact]
    public async Task Version_NamesTheControlPlane()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();

        var version = (await controlPlane.Http.GetFromJsonAsync<JsonObject>("/api/v1/version"))!;

        Assert.Equal("MeshDev control plane", (string?)version["name"]);
        Assert.False(string.IsNullOrEmpty((string?)version["version"]));
    }

    [Fact]
    public async Task Dashboard_IsASelfContainedPageOverTheApi()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        using var browser = await controlPlane.DashboardSessionAsync();

        var response = await browser.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);

        // The page, and every script and style it loads or imports, comes from the control plane itself.
        var files = new Dictionary<string, string> { ["/"] = html };
        var pending = new Queue<string>(LocalReferences(html));
        while (pending.TryDequeue(out var path))
        {
            if (files.ContainsKey(path))
            {
                continue;
            }

            using var asset = await controlPlane.Http.GetAsync(path);
            Assert.True(asset.IsSuccessStatusCode, $"{path} answered {(int)asset.StatusCode}");
            files[path] = await asset.Content.ReadAsStringAsync();
            foreach (var reference in LocalReferences(files[path]))
            {
                pending.Enqueue(reference);
            }
        }

        var all = string.Join("\n", files.Values);
        Assert.Contains("/dashboard/app.js", files.Keys);
        Assert.Contains("/dashboard/topology.js", files.Keys);
        foreach (var endpoint in new[] { "/api/v1/services", "/api/v1/proxies", "/api/v1/topology", "/api/v1/config", "/api/v1/config/messages", "/api/v1/analyze", "/api/v1/certificates" })
        {
            Assert.Contains(endpoint, all);
        }

        Assert.DoesNotContain("https://", all);
        Assert.DoesNotMatch("(src|href)=\"http", all);
        Assert.Equal(HttpStatusCode.NotFound, (await controlPlane.Http.GetAsync("/dashboard/..%2FMeshDev.ControlPlane.dll")).StatusCode);
    }

    /// <summary>Paths of the page's own files: src/href attributes and module imports ("./x.js" is under /dashboard/).</summary>
    private static IEnumerable<string> LocalReferences(string text) =>
        System.Text.RegularExpressions.Regex.Matches(text, "(?:src|href)=\"(/dashboard/[^\"]+)\"|from \"\\./([^\"]+)\"")
            .Select(m => m.Groups[1].Success ? m.Groups[1].Value : "/dashboard/" + m.Groups[2].Value);

    [Fact]
    public async Task Api_IsNotServedOnTheGrpcPort_AndGrpcNotOnTheHttpPort()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        Assert.NotEqual(controlPlane.HttpAddress.Port, controlPlane.GrpcAddress.Port);

        using var h2c = new HttpClient { BaseAddress = controlPlane.GrpcAddress, DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        Assert.Equal(HttpStatusCode.NotFound, (await h2c.GetAsync("/api/v1/services")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await controlPlane.Http.GetAsync("/api/v1/services")).StatusCode);

        // Without the listener split, the gRPC service would answer this with 426 (it needs HTTP/2).
        using var grpcOverHttp1 = new HttpRequestMessage(HttpMethod.Post, "/meshdev.discovery.v1.MeshDiscovery/StreamConfig")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        grpcOverHttp1.Content.Headers.ContentType = new("application/grpc");
        Assert.Equal(HttpStatusCode.NotFound, (await controlPlane.Http.SendAsync(grpcOverHttp1)).StatusCode);
        Assert.Empty(await controlPlane.GetArrayAsync("/api/v1/proxies"));
    }

    [Fact]
    public async Task Health_IsServedOnTheHttpPort()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await controlPlane.Http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await controlPlane.Http.GetAsync("/alive")).StatusCode);
    }
}
