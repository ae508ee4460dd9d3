using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Core.Config;

/// <summary>
/// Collects what one document's reading finds: the location of every field and the problems, each named by
/// field path and line. Reading goes on after a problem so that one pass reports all of them.
/// </summary>
internal sealed class ReadContext(string source)
{
    public string Source { get; } = source;
    public Dictionary<string, (int Line, int Column)> Locations { get; } = new(StringComparer.Ordinal);
    public List<ConfigMessage> Messages { get; } = [];
    public string? Kind { get; set; }
    public string? Namespace { get; set; }
    public string? Name { get; set; }

    public void Locate(string path, YamlNode node) => Locations[path] = ((int)node.Start.Line, (int)node.Start.Column);

    public void Error(string path, YamlNode node, string message) =>
        Messages.Add(new ConfigMessage(Source, (int)node.Start.Line, (int)node.Start.Column, Kind, Namespace, Name, path, message));
}

/// <summary>
/// Reads one YAML mapping into typed values by Istio's field names. Strict as the Kubernetes API server is with
/// Istio's CRDs: a field this reader was not asked for is an unknown field, and a value of the wrong type is an
/// error naming the field, its line and the type expected.
/// </summary>
internal sealed class YamlSpecReader
{
    private readonly YamlMappingNode _node;
    private readonly ReadContext _context;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public YamlSpecReader(YamlMappingNode node, string path, ReadContext context)
    {
        _node = node;
        Path = path;
        _context = context;
    }

    public string Path { get; }

    public ReadContext Context => _context;

    /// <summary>Reads a nested object with <paramref name="read"/> and reports the fields it did not know.</summary>
    public static T ReadObject<T>(YamlMappingNode node, string path, ReadContext context, Func<YamlSpecReader, T> read)
    {
        var reader = new YamlSpecReader(node, path, context);
        var value = read(reader);
        reader.ReportUnknownFields();
        return value;
    }

    public void ReportUnknownFields()
    {
        foreach (var (key, _) in _node.Children)
        {
            var name = key is YamlScalarNode scalar ? scalar.Value ?? "" : key.ToString();
            if (!_read.Contains(name))
            {
                _context.Error(Child(name), key, $"unknown field '{name}'{Expected()}.");
            }
        }
    }

    public string Child(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public string? String(string key) => Scalar(key, "a string", text => (true, text));

    public int? Int(string key) =>
        Scalar(key, "an integer", text => (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v), v));

    public long? Long(string key) =>
        Scalar(key, "an integer", text => (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v), v));

    public double? Double(string key) =>
        Scalar(key, "a number", text => (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v), v));

    public bool? Bool(string key) => Scalar(key, "true or false", text => text switch
    {
        "true" or "True" or "TRUE" => (true, true),
        "false" or "False" or "FALSE" => (true, false),
        _ => (false, false),
    });

    /// <summary>A protobuf duration as Istio takes it: "7s", "0.5s", "100ms", "1m", "1h".</summary>
    public TimeSpan? Duration(string key) => Scalar(key, "a duration such as \"7s\", \"0.5s\", \"100ms\", \"1m\" or \"1h\"",
        text => IstioDuration.TryParse(text, out var value) ? (true, value) : (false, TimeSpan.Zero));

    public T? Object<T>(string key, Func<YamlSpecReader, T> read) where T : class
    {
        var node = Take(key);
        if (node is null)
        {
            return null;
        }

        if (node is not YamlMappingNode mapping)
        {
            _context.Error(Child(key), node, $"expected an object (a mapping of fields), got {Describe(node)}.");
            return null;
        }

        return ReadObject(mapping, Child(key), _context, read);
    }

    public IReadOnlyList<T> List<T>(string key, Func<YamlSpecReader, T> read)
    {
        var items = new List<T>();
        foreach (var (node, path) in Sequence(key))
        {
            if (node is YamlMappingNode mapping)
            {
                items.Add(ReadObject(mapping, path, _context, read));
            }
            else
            {
                _context.Error(path, node, $"expected an object (a mapping of fields), got {Describe(node)}.");
            }
        }

        return items;
    }

    public IReadOnlyList<string> StringList(string key)
    {
        var items = new List<string>();
        foreach (var (node, path) in Sequence(key))
        {
            if (node is YamlScalarNode scalar && !IsNull(scalar))
            {
                items.Add(scalar.Value ?? "");
            }
            else
            {
                _context.Error(path, node, $"expected a string, got {Describe(node)}.");
            }
        }

        return items;
    }

    public IReadOnlyDictionary<string, string> StringMap(string key) => Map(key, (node, path) =>
    {
        if (node is YamlScalarNode scalar && !IsNull(scalar))
        {
            return scalar.Value ?? "";
        }

        _context.Error(path, node, $"expected a string, got {Describe(node)}.");
        return null;
    });

    public IReadOnlyDictionary<string, T> ObjectMap<T>(string key, Func<YamlSpecReader, T> read) where T : class => Map(key, (node, path) =>
    {
        if (node is YamlMappingNode mapping)
        {
            return ReadObject(mapping, path, _context, read);
        }

        _context.Error(path, node, $"expected an object (a mapping of fields), got {Describe(node)}.");
        return null;
    });

    /// <summary>
    /// Keeps a field MeshDev reads but does not model in detail (tcp, tls): as given, so that validation can name
    /// it and GET can show it.
    /// </summary>
    public JsonNode? Raw(string key) => Take(key) is { } node ? YamlJson.ToJson(node) : null;

    /// <summary>The node of a field, to be read by the caller (a spec whose type depends on the kind).</summary>
    public YamlNode? Node(string key) => Take(key);

    private IReadOnlyDictionary<string, T> Map<T>(string key, Func<YamlNode, string, T?> read) where T : class
    {
        var map = new Dictionary<string, T>(StringComparer.Ordinal);
        var node = Take(key);
        if (node is null)
        {
            return map;
        }

        if (node is not YamlMappingNode mapping)
        {
            _context.Error(Child(key), node, $"expected a map of names to values, got {Describe(node)}.");
            return map;
        }

        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var name = (keyNode as YamlScalarNode)?.Value ?? "";
            var path = $"{Child(key)}.{name}";
            _context.Locate(path, keyNode);
            if (read(valueNode, path) is { } value)
            {
                map[name] = value;
            }
        }

        return map;
    }

    private IEnumerable<(YamlNode Node, string Path)> Sequence(string key)
    {
        var node = Take(key);
        if (node is null)
        {
            yield break;
        }

        if (node is not YamlSequenceNode sequence)
        {
            _context.Error(Child(key), node, $"expected a list, got {Describe(node)}.");
            yield break;
        }

        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var path = $"{Child(key)}[{i}]";
            _context.Locate(path, sequence.Children[i]);
            yield return (sequence.Children[i], path);
        }
    }

    private T? Scalar<T>(string key, string expected, Func<string, (bool Ok, T Value)> parse) where T : struct
    {
        var node = Take(key);
        if (node is null)
        {
            return null;
        }

        if (node is YamlScalarNode scalar)
        {
            var (ok, value) = parse(scalar.Value ?? "");
            if (ok)
            {
                return value;
            }
        }

        _context.Error(Child(key), node, $"expected {expected}, got {Describe(node)}.");
        return null;
    }

    private string? Scalar(string key, string expected, Func<string, (bool Ok, string Value)> parse)
    {
        var node = Take(key);
        if (node is null)
        {
            return null;
        }

        if (node is YamlScalarNode scalar)
        {
            return parse(scalar.Value ?? "").Value;
        }

        _context.Error(Child(key), node, $"expected {expected}, got {Describe(node)}.");
        return null;
    }

    /// <summary>The value of a field, null when absent or explicitly null; marks the field as known.</summary>
    private YamlNode? Take(string key)
    {
        _read.Add(key);
        var keyNode = new YamlScalarNode(key);
        if (!_node.Children.TryGetValue(keyNode, out var node))
        {
            return null;
        }

        // Located at the field's name: that is the line a reader looks for.
        _context.Locate(Child(key), _node.Children.Keys.First(k => k.Equals(keyNode)));
        return node is YamlScalarNode scalar && IsNull(scalar) ? null : node;
    }

    private string Expected()
    {
        var known = _read.Order(StringComparer.Ordinal).ToList();
        return known.Count == 0 ? "" : $" at {(Path.Length == 0 ? "the top level" : Path)}; expected one of: {string.Join(", ", known)}";
    }

    internal static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    internal static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode scalar => $"'{scalar.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "an object",
        _ => node.NodeType.ToString(),
    };
}

/// <summary>Converts YAML to JSON the way Kubernetes does: plain scalars that look like numbers or booleans become those.</summary>
internal static class YamlJson
{
    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(c =>
            KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != YamlDotNet.Core.ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        if (YamlSpecReader.IsNull(scalar))
        {
            return null;
        }

        if (text is "true" or "false")
        {
            return JsonValue.Create(text == "true");
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(text);
    }
}
