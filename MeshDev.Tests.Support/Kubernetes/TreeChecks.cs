using System.Text.Json.Nodes;
using k8s;

namespace MeshDev.Tests.Kubernetes;

/// <summary>The checks every generated tree passes, whichever AppHost wrote it.</summary>
public static class TreeChecks
{
    public static async Task AssertValidAsync(KubernetesTree tree, IReadOnlySet<string> deployTimeSecrets)
    {
        var rendered = await tree.RenderAsync();
        // Each file on its own through the strict reader; a file of Istio's may hold several documents.
        var resources = tree.Files()
            .Where(f => f.Key != "kustomization.yaml")
            .Sum(f => KubernetesTree.LoadStrict(System.Text.Encoding.UTF8.GetString(f.Value)).Count);

        // Strict: an unknown field or a wrong type anywhere throws.
        var objects = KubernetesTree.LoadStrict(rendered);
        Assert.Equal(resources, objects.Count);
        foreach (var item in objects)
        {
            var again = KubernetesTree.LoadStrict(KubernetesYaml.Serialize(item));
            Assert.Equal(KubernetesYaml.Serialize(item), KubernetesYaml.Serialize(Assert.Single(again)));
        }
        // Kubernetes' own kinds keep every field through the typed models.
        var json = KubernetesTree.ToJson(rendered);
        foreach (var (item, original) in objects.Zip(json))
        {
            if (item is not IstioObject)
            {
                Assert.True(JsonNode.DeepEquals(original, KubernetesTree.ToJson(KubernetesYaml.Serialize(item))[0]),
                    $"{original!["kind"]} {original["metadata"]!["name"]} changed through KubernetesClient's models");
            }
        }

        var schema = await KubernetesTree.ValidateSchemasAsync(json);
        Assert.Equal(resources, schema.Count);
        var invalid = schema.Where(r => !(bool)r!["valid"]!).Select(r => $"{r!["kind"]} {r["name"]}: {r["error"]}").ToList();
        Assert.True(invalid.Count == 0, "Objects that fail their schema:\n" + string.Join("\n", invalid));

        var problems = CrossReferences.Problems(objects, deployTimeSecrets);
        Assert.True(problems.Count == 0, "Broken references:\n" + string.Join("\n", problems));
    }
}
