using System.Text.Json.Nodes;

namespace MeshDev.Tests.Kubernetes;

/// <summary>
/// azd reads aspire-manifest.json with a fixed list of resource types and stops with "unsupported resource type" on
/// any other (Azure/azure-dev, cli/azd/pkg/apphost/generate.go). The committed manifest holds only those.
/// </summary>
public sealed class AzdManifestTests
{
    /// <summary>The types azd's manifest reader accepts.</summary>
    public static readonly string[] AzdResourceTypes =
    [
        "project.v0", "project.v1", "container.v0", "container.v1", "dockerfile.v0", "dapr.v0", "dapr.component.v0",
        "parameter.v0", "value.v0", "annotated.string", "azure.bicep.v0", "azure.bicep.v1",
    ];

    internal static List<string> TypesAzdRefuses(JsonNode manifest) =>
        manifest["resources"]!.AsObject()
            .Where(entry => !AzdResourceTypes.Contains((string?)entry.Value!["type"]))
            .Select(entry => $"{entry.Key}: {(string?)entry.Value!["type"]}")
            .ToList();

    [Fact]
    public void Every_entry_of_the_committed_manifest_has_a_type_azd_accepts()
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root(), "aspire-manifest.json")))!;

        Assert.Empty(TypesAzdRefuses(manifest));
        // A container entry names its image, which azd needs for that type.
        foreach (var (name, entry) in manifest["resources"]!.AsObject().Where(e => ((string?)e.Value!["type"])!.StartsWith("container.", StringComparison.Ordinal)))
        {
            Assert.False(string.IsNullOrEmpty((string?)entry!["image"]), $"{name} has no image");
        }
    }

    [Fact]
    public void A_type_azd_does_not_know_is_reported()
    {
        var manifest = JsonNode.Parse("""
            {"resources": {"mesh": {"type": "meshdev.controlplane.v0"}, "app": {"type": "project.v0", "path": "a.csproj"}}}
            """)!;

        Assert.Equal(["mesh: meshdev.controlplane.v0"], TypesAzdRefuses(manifest));
    }
}
