using System.Text;
using System.Text.Json.Nodes;

namespace MeshDev.Cli.Output;

/// <summary>
/// The control plane's ConfigMessages as compiler-style lines an editor can jump to:
/// <c>&lt;source&gt;:&lt;line&gt;:&lt;column&gt;: &lt;kind&gt; &lt;namespace&gt;/&lt;name&gt;: &lt;field&gt;: &lt;message&gt;</c>.
/// Warnings carry "warning: " before the resource; parts the control plane could not tell are left out.
/// </summary>
public static class ConfigMessages
{
    public static IEnumerable<JsonObject> Of(JsonNode? body) =>
        (body?["messages"] as JsonArray ?? []).OfType<JsonObject>();

    public static bool IsError(JsonObject message) => !string.Equals(Text(message, "severity"), "warning", StringComparison.OrdinalIgnoreCase);

    public static string Format(JsonObject message, string fallbackSource)
    {
        var line = new StringBuilder(Text(message, "source") ?? fallbackSource);
        if (Number(message, "line") is { } lineNumber)
        {
            line.Append(':').Append(lineNumber);
            if (Number(message, "column") is { } column)
            {
                line.Append(':').Append(column);
            }
        }

        line.Append(": ");
        if (!IsError(message))
        {
            line.Append("warning: ");
        }

        if (Text(message, "kind") is { } kind)
        {
            line.Append(kind).Append(' ');
            if (Text(message, "namespace") is { } ns)
            {
                line.Append(ns).Append('/');
            }

            line.Append(Text(message, "name") ?? "?").Append(": ");
        }

        if (Text(message, "field") is { } field)
        {
            line.Append(field).Append(": ");
        }

        return line.Append(Text(message, "message") ?? "(no message)").ToString();
    }

    private static string? Text(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static long? Number(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;
}
