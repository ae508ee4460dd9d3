using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MeshDev.Core;

namespace MeshDev.Tests.ControlPlane;

/// <summary>The port a registered sidecar announced is what portLevelSettings are checked against.</summary>
public sealed class PortLevelSettingsApiTests
{
    private const string RuleFor8080 = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
        spec:
          host: reviews
          trafficPolicy:
            portLevelSettings:
            - port:
                number: 8080
              connectionPool:
                tcp:
                  maxConnections: 1
        """;

    private static async Task<JsonObject> AnalyzeAsync(ControlPlaneHost host)
    {
        using var response = await host.Http.PostAsync("/api/v1/analyze", new StringContent(RuleFor8080, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Fact]
    public async Task An_entry_for_a_port_the_registered_service_lacks_is_a_warning_and_the_rule_is_taken()
    {
        await using var host = await ControlPlaneHost.StartAsync(extraArgs: $"--{MeshEnvironment.ControlPlane.Services}:0=reviews");

        // Before any sidecar told the service's port there is nothing to hold the entry against.
        var before = await AnalyzeAsync(host);
        Assert.True((bool)before["valid"]!);
        Assert.Empty(before["messages"]!.AsArray());

        await using var reviews = await host.ConnectAsync(TestProxy.Sidecar("reviews-v1", "reviews", "127.0.0.1:40123"));
        await Eventually.ValueAsync(() => host.FindProxyAsync("reviews-v1"), proxy => proxy is not null);

        var after = await AnalyzeAsync(host);
        Assert.True((bool)after["valid"]!);
        var warning = Assert.Single(after["messages"]!.AsArray())!;
        Assert.Equal("warning", (string?)warning["severity"]);
        Assert.Equal("spec.trafficPolicy.portLevelSettings[0].port.number", (string?)warning["field"]);
        Assert.Equal(10, (int?)warning["line"]);
        Assert.Contains("has no port 8080 (its service port is 9080)", (string?)warning["message"], StringComparison.Ordinal);
    }
}
