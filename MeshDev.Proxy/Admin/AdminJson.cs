using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace MeshDev.Proxy.Admin;

public static class AdminJson
{
    /// <summary>
    /// Admin JSON is read by people and tools, never embedded in HTML, so quotes, '+' and apostrophes in reasons
    /// and timestamps are written as they are instead of as \u escapes.
    /// </summary>
    public static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One admin document, written by the source-generated serializer through a writer with <paramref name="options"/>.</summary>
    public static byte[] Serialize<T>(T document, JsonTypeInfo<T> type, JsonWriterOptions options)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            JsonSerializer.Serialize(json, document, type);
        }

        return buffer.ToArray();
    }
}

/// <summary>
/// A JSON object whose members come in the order given, names as they are (labels, headers, stat names): a list of
/// pairs rather than a dictionary, so that order and the source's duplicates are kept exactly as the admin shows them.
/// </summary>
public sealed class JsonMembers<T>(IEnumerable<KeyValuePair<string, T>> members)
{
    public IReadOnlyList<KeyValuePair<string, T>> Members { get; } = [.. members];
}

/// <summary>Writes a <see cref="JsonMembers{T}"/> as an object, each value by its source-generated type.</summary>
public sealed class JsonMembersConverter<T> : JsonConverter<JsonMembers<T>>
{
    public override JsonMembers<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Admin JSON is written, never read.");

    public override void Write(Utf8JsonWriter writer, JsonMembers<T> value, JsonSerializerOptions options)
    {
        var type = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        writer.WriteStartObject();
        foreach (var (name, member) in value.Members)
        {
            writer.WritePropertyName(name);
            JsonSerializer.Serialize(writer, member, type);
        }

        writer.WriteEndObject();
    }
}

/// <summary>The admin listener's documents, for System.Text.Json's source generator: no reflection, ready for Native AOT.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ConfigDumpJson))]
[JsonSerializable(typeof(StatsJson))]
[JsonSerializable(typeof(CertificatesJson))]
[JsonSerializable(typeof(ReadinessJson))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(JsonMembers<string>))]
[JsonSerializable(typeof(HistogramJson))]
[JsonSerializable(typeof(StringMatcherJson))]
public sealed partial class AdminJsonContext : JsonSerializerContext;

/// <summary>/ready: {"ready", "reasons"?}.</summary>
public sealed record ReadinessJson(
    bool Ready,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Reasons);
