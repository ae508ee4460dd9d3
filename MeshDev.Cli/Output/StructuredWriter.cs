using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace MeshDev.Cli.Output;

/// <summary>Writes JSON the API returned as indented JSON or as YAML (documents separated by "---" when asked).</summary>
public static class StructuredWriter
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // Output goes to a terminal or a file, never into HTML: keep quotes and '+' readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // Strings such as "80", "true" or "1.0" are quoted so that the YAML reads back as the same strings.
    private static readonly ISerializer Yaml = new SerializerBuilder().WithQuotingNecessaryStrings().Build();

    public static void Write(TextWriter writer, OutputFormat format, JsonNode? node)
    {
        if (format == OutputFormat.Yaml)
        {
            writer.Write(ToYaml(node));
        }
        else
        {
            writer.WriteLine(node?.ToJsonString(Indented) ?? "null");
        }
    }

    /// <summary>Several resources as a YAML stream that `meshctl apply -f` (or kubectl) takes back.</summary>
    public static void WriteYamlDocuments(TextWriter writer, IEnumerable<JsonNode?> documents)
    {
        var first = true;
        foreach (var document in documents)
        {
            if (!first)
            {
                writer.WriteLine("---");
            }

            writer.Write(ToYaml(document));
            first = false;
        }
    }

    public static string ToYaml(JsonNode? node) => Yaml.Serialize(ToPlain(node));

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
