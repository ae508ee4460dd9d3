using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MeshDev.Core.Config;

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

    public static string ToYaml(JsonNode? node) => JsonYaml.ToYaml(node);
}
