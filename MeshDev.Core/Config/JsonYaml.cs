using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace MeshDev.Core.Config;

/// <summary>
/// Writes JSON (a resource as the API shows it) as YAML that reads back as the same values, and a resource in
/// force as the Istio document it came from; meshctl's output and the control plane's own files both use it.
/// </summary>
public static class JsonYaml
{
    // Strings such as "80", "true" or "1.0" are quoted so that the YAML reads back as the same strings.
    private static readonly ISerializer Yaml = new SerializerBuilder().WithQuotingNecessaryStrings().Build();

    public static string ToYaml(JsonNode? node) => Yaml.Serialize(ToPlain(node));

    /// <summary>The resource as an Istio document: apiVersion, kind, metadata (name, namespace, labels, annotations), spec.</summary>
    public static JsonObject ToIstioObject(ConfigResource resource)
    {
        var metadata = new JsonObject { ["name"] = resource.Metadata.Name, ["namespace"] = resource.Metadata.Namespace };
        if (resource.Metadata.Labels.Count > 0)
        {
            metadata["labels"] = new JsonObject(resource.Metadata.Labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        }

        if (resource.Metadata.Annotations.Count > 0)
        {
            metadata["annotations"] = new JsonObject(resource.Metadata.Annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value)));
        }

        return new JsonObject
        {
            ["apiVersion"] = resource.ApiVersion,
            ["kind"] = resource.Kind,
            ["metadata"] = metadata,
            ["spec"] = resource.RawSpec.DeepClone(),
        };
    }

    private static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToPlain(p.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when v.TryGetValue<long>(out var l) => l,
            JsonValueKind.Number => v.GetValue<double>(),
            _ => null,
        },
        _ => null,
    };
}
