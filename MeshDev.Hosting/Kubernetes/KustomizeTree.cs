using System.Text;
using k8s;
using k8s.Models;

namespace MeshDev.Hosting.Kubernetes;

/// <summary>
/// A kustomize tree: one object per file, named &lt;kind&gt;-&lt;name&gt;.yaml, and a kustomization.yaml listing them
/// in the order they were added, so that <c>kubectl apply -k</c> takes the folder.
/// </summary>
internal sealed class KustomizeTree(string? @namespace)
{
    private readonly List<(string File, byte[] Content)> _files = [];

    public IReadOnlyList<string> Files => _files.Select(f => f.File).ToList();

    public void Add<T>(T item)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var file = $"{item.Kind.ToLowerInvariant()}-{item.Metadata.Name}.yaml";
        AddFile(file, Encoding.UTF8.GetBytes(Yaml(item)));
    }

    /// <summary>A file that travels byte for byte (Istio's own YAML from the mesh config folder).</summary>
    public void AddFile(string file, byte[] content)
    {
        if (_files.Any(f => f.File == file))
        {
            throw new InvalidOperationException($"Two objects would be written to {file}.");
        }
        _files.Add((file, content));
    }

    public void WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        // What an earlier run wrote and this one does not would otherwise linger beside the new tree.
        foreach (var stale in Directory.EnumerateFiles(directory, "*.yaml"))
        {
            File.Delete(stale);
        }
        var istioFolder = Path.Combine(directory, IstioFlavorWriter.IstioFolder);
        if (Directory.Exists(istioFolder))
        {
            Directory.Delete(istioFolder, recursive: true);
        }
        foreach (var (file, content) in _files)
        {
            var path = Path.Combine(directory, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
        }
        var kustomization = new Kustomization { Namespace = @namespace, Resources = Files.ToList() };
        File.WriteAllText(Path.Combine(directory, "kustomization.yaml"), Yaml(kustomization));
    }

    private static string Yaml(object item)
    {
        var yaml = KubernetesYaml.Serialize(item);
        return yaml.EndsWith('\n') ? yaml : yaml + "\n";
    }

    /// <summary>kustomize's kustomization.yaml, the fields MeshDev writes.</summary>
    internal sealed class Kustomization
    {
        [System.Text.Json.Serialization.JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = "kustomize.config.k8s.io/v1beta1";

        [System.Text.Json.Serialization.JsonPropertyName("kind")]
        public string Kind { get; set; } = "Kustomization";

        [System.Text.Json.Serialization.JsonPropertyName("namespace")]
        public string? Namespace { get; set; }

        [System.Text.Json.Serialization.JsonPropertyName("resources")]
        public List<string> Resources { get; set; } = [];
    }
}
