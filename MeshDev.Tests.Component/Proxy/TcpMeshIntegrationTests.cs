using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy.Infrastructure;

namespace MeshDev.Tests.Proxy;

/// <summary>
/// The whole TCP path with the real control plane: Istio YAML applied over its API, compiled for each sidecar, and
/// connections through a caller's sidecar split by it over the instances of a TCP service.
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class TcpMeshIntegrationTests
{
    private const string Split = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: db}
        spec:
          host: db
          trafficPolicy:
            connectionPool: {tcp: {maxConnections: 50, connectTimeout: 2s}}
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: db}
        spec:
          hosts: [db]
          tcp:
          - match:
            - sourceLabels: {app: reporting}
            route:
            - destination: {host: db, subset: v2}
          - match:
            - port: 9080
            route:
            - destination: {host: db, subset: v1}
              weight: 80
            - destination: {host: db, subset: v2}
              weight: 20
        """;

    [Fact]
    public async Task Yaml_applied_to_the_control_plane_splits_tcp_connections_80_20_through_real_sidecars()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var v1 = TcpEchoBackend.Start("db-v1");
        await using var v2 = TcpEchoBackend.Start("db-v2");
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var dbV1 = await ProxyProcess.StartAsync(ProxySettings.Sidecar("db-v1", "db", controlPlane.GrpcAddress, v1.Url, protocol: "tcp").Set("Mesh:Labels:version", "v1"));
        await using var dbV2 = await ProxyProcess.StartAsync(ProxySettings.Sidecar("db-v2", "db", controlPlane.GrpcAddress, v2.Url, protocol: "tcp").Set("Mesh:Labels:version", "v2"));
        var outboundPort = FreePort.Next();
        await using var caller = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("web-1", "web", controlPlane.GrpcAddress, app.Url).Set("Mesh:Labels:app", "web").WithOutbound("db", outboundPort, "tcp"));
        await caller.WaitUntilAsync(async () => await controlPlane.FindServiceAsync("db") is { } db && db.ToJsonString().Contains("\"tcp\"", StringComparison.Ordinal), "db to register as a tcp service");

        using var response = await controlPlane.Http.PostAsync("/api/v1/config", new StringContent(Split, Encoding.UTF8, "application/yaml"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        await caller.WaitUntilAsync(async () => (await caller.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("routeTables").EnumerateArray()
            .Any(t => t.GetProperty("tcpRoutes").GetArrayLength() > 0), "the tcp routes to reach the caller");
        await caller.WaitUntilAsync(async () => (await caller.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "db").GetProperty("endpoints").EnumerateArray().Count(e => e.GetProperty("healthy").GetBoolean()) == 2, "both db instances to be healthy");

        // The caller is not app=reporting, so its first route is the 80/20 split on the service port.
        var routes = (await caller.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("routeTables")[0].GetProperty("tcpRoutes");
        Assert.Equal(["default/db/tcp/1"], routes.EnumerateArray().Select(r => r.GetProperty("name").GetString()));

        var reached = new Dictionary<string, int>();
        for (var i = 0; i < 200; i++)
        {
            var name = (await TcpTestClient.GreetingAsync(outboundPort)).TrimEnd('\n');
            reached[name] = reached.GetValueOrDefault(name) + 1;
        }

        Assert.Equal(["db-v1", "db-v2"], reached.Keys.Order());
        Assert.InRange(reached["db-v1"], 135, 185);
        Assert.Equal(200, await caller.CounterAsync("cluster.db.upstream_cx_total"));
        Assert.Equal(reached["db-v1"], await dbV1.CounterAsync("inbound.db.cx_total"));
    }

    [Fact]
    public async Task Tcp_routes_for_a_registered_http_service_are_accepted_with_a_warning()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync();
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var reviews = await ProxyProcess.StartAsync(ProxySettings.Sidecar("reviews-1", "reviews", controlPlane.GrpcAddress, app.Url));
        await reviews.WaitUntilAsync(async () => await controlPlane.FindServiceAsync("reviews") is not null, "reviews to register");

        using var response = await controlPlane.Http.PostAsync("/api/v1/analyze", new StringContent("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              tcp:
              - route:
                - destination: {host: reviews}
            """, Encoding.UTF8, "application/yaml"));

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True((bool)body["valid"]!);
        var message = Assert.Single(body["messages"]!.AsArray())!;
        Assert.Equal(("warning", "spec.tcp"), ((string?)message["severity"], (string?)message["field"]));
        Assert.Contains("speaks http; Istio applies tcp routes only to TCP ports", (string?)message["message"], StringComparison.Ordinal);
    }
}
