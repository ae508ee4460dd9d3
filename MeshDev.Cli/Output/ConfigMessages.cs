using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MeshDev.Core.Api;

namespace MeshDev.Cli.Output;

/// <summary>
/// The control plane's ConfigMessages as compiler-style lines an editor can jump to:
/// <c>&lt;source&gt;:&lt;line&gt;:&lt;column&gt;: &lt;kind&gt; &lt;namespace&gt;/&lt;name&gt;: &lt;field&gt;: &lt;message&gt;</c>.
/// Warnings carry "warning: " before the resource; parts the control plane could not tell are left out.
/// </summary>
public static class ConfigMessages
{
    public static bool IsError(ConfigMessageResponse message) => !string.Equals(Text(message.Severity), "warning", StringComparison.OrdinalIgnoreCase);

    /// <summary>A message as the API's JSON has it.</summary>
    public static bool IsError(JsonObject message) => IsError(Read(message));

    public static string Format(ConfigMessageResponse message, string fallbackSource)
    {
        var line = new StringBuilder(Text(message.Source) ?? fallbackSource);
        if (message.Line is { } lineNumber)
        {
            line.Append(':').Append(lineNumber);
            if (message.Column is { } column)
            {
                line.Append(':').Append(column);
            }
        }

        line.Append(": ");
        if (!IsError(message))
        {
            line.Append("warning: ");
        }

        if (Text(message.Kind) is { } kind)
        {
            line.Append(kind).Append(' ');
            if (Text(message.Namespace) is { } ns)
            {
                line.Append(ns).Append('/');
            }

            line.Append(Text(message.Name) ?? "?").Append(": ");
        }

        if (Text(message.Field) is { } field)
        {
            line.Append(field).Append(": ");
        }

        return line.Append(Text(message.Message) ?? "(no message)").ToString();
    }

    /// <summary>A message as the API's JSON has it.</summary>
    public static string Format(JsonObject message, string fallbackSource) => Format(Read(message), fallbackSource);

    private static ConfigMessageResponse Read(JsonObject message) =>
        message.Deserialize(MeshApiJsonContext.Default.ConfigMessageResponse)
        ?? throw new JsonException("A config message is null.");

    private static string? Text(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
