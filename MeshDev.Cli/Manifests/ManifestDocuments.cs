using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Cli.Manifests;

/// <summary>Which resource a document names, and where the document starts, for messages.</summary>
public sealed record ResourceReference(string Kind, string Namespace, string Name, string Source, int Line, int Column);

/// <summary>
/// Reads what `delete -f` needs from a multi-document file without the control plane: kind, metadata.namespace
/// (default "default") and metadata.name of each document. Empty documents are skipped, as kubectl skips them.
/// </summary>
public static class ManifestDocuments
{
    public const string DefaultNamespace = "default";

    public static IReadOnlyList<ResourceReference> ReadReferences(ManifestFile file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(file.Content));
        }
        catch (YamlException ex)
        {
            throw new MeshctlException(
                $"{file.Source}:{ex.Start.Line}:{ex.Start.Column}: not valid YAML: {ex.InnerException?.Message ?? ex.Message}");
        }

        var references = new List<ResourceReference>();
        foreach (var document in stream.Documents)
        {
            var root = document.RootNode;
            if (root is YamlScalarNode { Value: null or "" or "~" or "null" })
            {
                continue;
            }

            if (root is not YamlMappingNode mapping)
            {
                throw Problem(file, root, "a document must be a mapping with apiVersion, kind and metadata");
            }

            var kind = Scalar(mapping, "kind") ?? throw Problem(file, root, "kind is missing");
            var metadata = mapping.Children.TryGetValue(new YamlScalarNode("metadata"), out var m) ? m as YamlMappingNode : null;
            var name = metadata is null ? null : Scalar(metadata, "name");
            if (string.IsNullOrEmpty(name))
            {
                throw Problem(file, root, $"{kind}: metadata.name is missing");
            }

            var ns = Scalar(metadata!, "namespace");
            references.Add(new ResourceReference(
                kind, string.IsNullOrEmpty(ns) ? DefaultNamespace : ns, name, file.Source, (int)root.Start.Line, (int)root.Start.Column));
        }

        return references;
    }

    private static string? Scalar(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode scalar ? scalar.Value : null;

    private static MeshctlException Problem(ManifestFile file, YamlNode node, string message) =>
        new($"{file.Source}:{node.Start.Line}:{node.Start.Column}: {message}");
}
