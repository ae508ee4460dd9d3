using System.Diagnostics;
using System.Text.Json.Nodes;
using MeshDev.Core;

namespace MeshDev.Tests.Hosting;

/// <summary>The committed aspire-manifest.json is, byte for byte, what the AppHost's manifest publisher emits today.</summary>
public sealed class ManifestTests
{
    [Fact]
    public async Task The_committed_manifest_matches_what_the_AppHost_emits()
    {
        var root = Repository.Root();
        var committed = Path.Combine(root, "aspire-manifest.json");
        // Written beside the committed one, so the relative project paths inside come out the same.
        var emitted = Path.Combine(root, $".aspire-manifest.{Environment.ProcessId}.json");
        try
        {
            var (exitCode, output) = await Repository.RunAsync("dotnet",
                ["run", "--project", Path.Combine(root, "MeshDev.AppHost"), "-c", Repository.Configuration, "--no-build", "--",
                 "--publisher", "manifest", "--output-path", emitted]);
            Assert.True(exitCode == 0, $"The manifest publisher failed ({exitCode}):\n{output}");

            // Byte for byte: the manifest is a contract with azd and every tool that reads it, its layout included.
            var emittedText = await File.ReadAllTextAsync(emitted);
            var actual = JsonNode.Parse(emittedText);
            Assert.True(string.Equals(await File.ReadAllTextAsync(committed), emittedText, StringComparison.Ordinal),
                "aspire-manifest.json is out of date. Regenerate it with:\n" +
                "  dotnet run --project MeshDev.AppHost -- --publisher manifest --output-path ../aspire-manifest.json\n" +
                $"What the AppHost emits now:\n{actual}");

            // The mesh's own entries are containers of MeshDev's images, their mesh description beside them.
            var resources = actual!["resources"]!.AsObject();
            Assert.Equal(("container.v0", "meshdev/controlplane:latest", "controlPlane"), Entry(resources["mesh"]!));
            Assert.Equal(("container.v0", "meshdev/proxy:latest", "gateway"), Entry(resources["gateway"]!));
            var productpageSidecar = resources["productpage-v1-sidecar"]!;
            Assert.Equal(("container.v0", "meshdev/proxy:latest", "sidecar"), Entry(productpageSidecar));
            Assert.Equal("productpage-v1", (string?)productpageSidecar["meshdev"]!["app"]);
            Assert.Equal(["details", "ratings", "reviews"], productpageSidecar["meshdev"]!["upstreams"]!.AsObject().Select(p => p.Key));
            Assert.DoesNotContain(root, actual.ToJsonString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(emitted);
        }
    }

    private static (string?, string?, string?) Entry(JsonNode entry) =>
        ((string?)entry["type"], (string?)entry["image"], (string?)entry["meshdev"]!["kind"]);

    /// <summary>What the AppHost's manifest publisher emits now.</summary>
    internal static async Task<JsonNode> EmitAsync()
    {
        var root = Repository.Root();
        var emitted = Path.Combine(root, $".aspire-manifest.{Environment.ProcessId}.{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, output) = await Repository.RunAsync("dotnet",
                ["run", "--project", Path.Combine(root, "MeshDev.AppHost"), "-c", Repository.Configuration, "--no-build", "--",
                 "--publisher", "manifest", "--output-path", emitted]);
            Assert.True(exitCode == 0, $"The manifest publisher failed ({exitCode}):\n{output}");
            return JsonNode.Parse(await File.ReadAllTextAsync(emitted))!;
        }
        finally
        {
            File.Delete(emitted);
        }
    }

    [Fact]
    public async Task The_AppHosts_manifest_references_the_bootstrap_key_parameter_and_holds_no_secret()
    {
        var manifest = await EmitAsync();
        var resources = manifest["resources"]!.AsObject();

        var parameter = resources["mesh-bootstrap-key"]!;
        Assert.Equal("parameter.v0", (string?)parameter["type"]);
        Assert.True((bool)parameter["inputs"]!["value"]!["secret"]!);
        Assert.NotNull(parameter["inputs"]!["value"]!["default"]!["generate"]);
        Assert.Equal("{mesh-bootstrap-key.value}", (string?)resources["mesh"]!["env"]![Env(MeshEnvironment.ControlPlane.BootstrapKey)]);

        var expected = new Dictionary<string, string>
        {
            ["productpage-v1-sidecar"] = "spiffe://cluster.local/ns/default/sa/bookinfo-productpage",
            ["details-v1-sidecar"] = "spiffe://cluster.local/ns/default/sa/bookinfo-details",
            ["reviews-v2-sidecar"] = "spiffe://cluster.local/ns/default/sa/bookinfo-reviews",
            ["ratings-v1-sidecar"] = "spiffe://cluster.local/ns/default/sa/bookinfo-ratings",
            ["gateway"] = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
        };
        foreach (var (name, spiffeId) in expected)
        {
            var entry = resources[name]!;
            Assert.Equal(spiffeId, (string?)entry["meshdev"]!["identity"]!["spiffeId"]);
            Assert.Equal("{mesh-bootstrap-key.value}", (string?)entry["meshdev"]!["identity"]!["tokenKey"]);
            Assert.Null(entry["env"]![Env(MeshEnvironment.Proxy.IdentityToken)]);
        }

        // No entry holds a token or a literal key anywhere.
        foreach (var (name, entry) in resources)
        {
            Assert.DoesNotContain(Env(MeshEnvironment.Proxy.IdentityToken), entry!.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain((entry["env"]?.AsObject() ?? []).Where(e => e.Key == Env(MeshEnvironment.ControlPlane.BootstrapKey)),
                e => (string?)e.Value != "{mesh-bootstrap-key.value}");
        }
    }

    private static string Env(string key) => MeshEnvironment.ToEnvironmentVariable(key);
}
