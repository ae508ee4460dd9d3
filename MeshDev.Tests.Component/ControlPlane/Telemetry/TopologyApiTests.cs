using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MeshDev.Tests.Cli;

namespace MeshDev.Tests.ControlPlane.Telemetry;

/// <summary>
/// GET /api/v1/topology from a real control plane whose scraper reads admin listeners over HTTP every 250 ms; the
/// listeners serve Istio's metrics for scripted Bookinfo traffic (the proxies' own telemetry is not under test here).
/// </summary>
public sealed class TopologyApiTests
{
    private static async Task<JsonObject> TopologyAsync(ControlPlaneHost host) =>
        (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/topology"))!;

    private static JsonObject? Edge(JsonObject topology, string source, string destination) =>
        topology["edges"]!.AsArray().OfType<JsonObject>().SingleOrDefault(e => (string?)e["source"] == source && (string?)e["destination"] == destination);

    [Fact]
    public async Task Registered_workloads_are_nodes_and_traffic_makes_edges_with_rate_errors_latency_and_mtls()
    {
        await using var mesh = await ScriptedBookinfoMesh.StartAsync();

        var idle = await TopologyAsync(mesh.ControlPlane);
        Assert.Equal(3, (double)idle["windowSeconds"]!);
        Assert.Empty(idle["edges"]!.AsArray());
        var nodes = idle["nodes"]!.AsArray().OfType<JsonObject>().ToDictionary(n => (string)n["id"]!);
        Assert.Equal(["details-v1", "gateway", "productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"], nodes.Keys.Order());
        Assert.Equal(("gateway", true), ((string?)nodes["gateway"]["kind"], (bool)nodes["gateway"]["healthy"]!));
        var reviews = nodes["reviews-v2"];
        Assert.Equal(("reviews-v2", "reviews", "v2", "default", "workload"),
            ((string?)reviews["workload"], (string?)reviews["app"], (string?)reviews["version"], (string?)reviews["namespace"], (string?)reviews["kind"]));

        mesh.StartBookinfoTraffic(pagesPerSecond: 6);

        await Eventually.ValueAsync(() => TopologyAsync(mesh.ControlPlane), t => t["edges"]!.AsArray().Count == 7, TimeSpan.FromSeconds(20));

        // The window is 3 s: once it is full of traffic the numbers settle near the scripted ones.
        // Awaited until the window holds enough of it to show the scripted rates and the one-in-four failures.
        var topology = await Eventually.ValueAsync(() => TopologyAsync(mesh.ControlPlane),
            t => (double)Edge(t, "gateway", "productpage-v1")!["requestsPerSecond"]! is >= 4.5 and <= 7.5
                 && Edge(t, "reviews-v2", "ratings-v1")?["requestsPerSecond"] is { } v2Rate && (double)v2Rate! is >= 1 and <= 3
                 && Edge(t, "reviews-v3", "ratings-v1")?["errorRate"] is { } v3Errors && (double)v3Errors! is >= 0.15 and <= 0.35,
            TimeSpan.FromSeconds(20), "the window to fill with the scripted traffic");

        var entry = Edge(topology, "gateway", "productpage-v1")!;
        Assert.True((bool)entry["mtls"]!);
        Assert.Equal(0, (double)entry["errorRate"]!);
        Assert.InRange((double)entry["p50Ms"]!, 20, 60);
        Assert.InRange((double)entry["p99Ms"]!, (double)entry["p50Ms"]!, 100);
        Assert.True(DateTimeOffset.Parse((string)topology["generatedAt"]!) - DateTimeOffset.Parse((string)entry["lastSeen"]!) < TimeSpan.FromSeconds(2));

        foreach (var (source, destination) in new[] { ("productpage-v1", "details-v1"), ("productpage-v1", "reviews-v1"), ("productpage-v1", "reviews-v2"),
                     ("productpage-v1", "reviews-v3"), ("reviews-v2", "ratings-v1"), ("reviews-v3", "ratings-v1") })
        {
            Assert.True(Edge(topology, source, destination) is not null, $"no edge {source} → {destination} in {topology.ToJsonString()}");
        }

        // Counted once though both ends report it; every fourth request from reviews-v3 to ratings fails.
        Assert.InRange((double)Edge(topology, "reviews-v2", "ratings-v1")!["requestsPerSecond"]!, 1, 3);
        Assert.InRange((double)Edge(topology, "reviews-v3", "ratings-v1")!["errorRate"]!, 0.15, 0.35);

        // Traffic stops on one edge: its rate falls to zero once the window has moved past it, and it stays with its last seen time.
        mesh.Metrics.Stop(ScriptedBookinfoMesh.ProductPage, ScriptedBookinfoMesh.Details);
        var stopped = await Eventually.ValueAsync(() => TopologyAsync(mesh.ControlPlane),
            t => (double)Edge(t, "productpage-v1", "details-v1")!["requestsPerSecond"]! == 0, TimeSpan.FromSeconds(10));
        Assert.Null(Edge(stopped, "productpage-v1", "details-v1")!["p50Ms"]);
        Assert.True((double)Edge(stopped, "gateway", "productpage-v1")!["requestsPerSecond"]! > 0);
    }

    [Fact]
    public async Task A_proxy_whose_admin_listener_does_not_answer_costs_only_its_own_edges()
    {
        await using var mesh = await ScriptedBookinfoMesh.StartAsync();
        var silent = TestProxy.Sidecar("mongodb-v1-sidecar", "mongodb", "127.0.0.1:40999");
        silent.AdminUrl = ClosedPort.Url().ToString();
        await using var silentProxy = await mesh.ControlPlane.ConnectAsync(silent);

        mesh.StartBookinfoTraffic();

        var topology = await Eventually.ValueAsync(() => TopologyAsync(mesh.ControlPlane),
            t => Edge(t, "gateway", "productpage-v1") is { } e && (double)e["requestsPerSecond"]! > 0, TimeSpan.FromSeconds(15));
        Assert.Contains(topology["nodes"]!.AsArray(), n => (string?)n!["id"] == "mongodb-v1");
    }

    [Fact]
    public async Task Config_dump_of_an_unknown_or_unreachable_proxy_is_an_error_that_names_it()
    {
        await using var host = await ControlPlaneHost.StartAsync();
        var hello = TestProxy.Sidecar("details-v1-sidecar", "details", "127.0.0.1:40331");
        var closed = ClosedPort.Url();
        hello.AdminUrl = closed.ToString();
        await using var proxy = await host.ConnectAsync(hello);

        using var unknown = await host.Http.GetAsync("/api/v1/proxies/nobody-sidecar/config_dump");
        using var unreachable = await host.Http.GetAsync("/api/v1/proxies/details-v1-sidecar/config_dump");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("'nobody-sidecar'", (string?)(await unknown.Content.ReadFromJsonAsync<JsonObject>())!["error"]);
        Assert.Equal(HttpStatusCode.BadGateway, unreachable.StatusCode);
        var error = (string?)(await unreachable.Content.ReadFromJsonAsync<JsonObject>())!["error"];
        Assert.StartsWith($"Cannot read the config dump of proxy 'details-v1-sidecar': {closed}config_dump", error);
    }
}
