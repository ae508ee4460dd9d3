using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MeshDev.Core.Config;

/// <summary>
/// Checks the shape of YAML text before it is loaded as a tree: nesting deeper than any Istio resource (which would
/// exhaust the stack of a recursive reader) and aliases that stand for more nodes than any config holds (a
/// "billion laughs" document is a few hundred bytes that expand to 10^9 nodes). It streams the parser's events and
/// counts an alias as the size of what its anchor stands for, so the check itself never expands anything.
/// </summary>
public static class YamlShape
{
    /// <summary>Istio's deepest resources nest about 12 levels; this leaves room and stays far from the stack's end.</summary>
    public const int MaxDepth = 64;

    /// <summary>Nodes, counting each alias as the nodes it stands for; a 4 MiB body of plain YAML holds fewer.</summary>
    public const long MaxNodes = 1_000_000;

    /// <summary>Documents (resources) in one input, an apply or a file: each is validated with the whole config and kept in its own file.</summary>
    public const int MaxDocuments = 1000;

    /// <returns>null when the shape is acceptable (or the text is not YAML: the full parse reports that, located).</returns>
    public static ConfigMessage? Check(string text, string source)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, long>(StringComparer.Ordinal);
        var open = new Stack<(string? Anchor, long NodesBefore)>();
        long nodes = 0;
        var documents = 0;
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                switch (current)
                {
                    case DocumentStart:
                        anchors.Clear();
                        if (++documents > MaxDocuments)
                        {
                            return Refused(source, current,
                                $"more than {MaxDocuments} documents in one input; the limit is {MaxDocuments} resources per apply or file (this is the first beyond it). Split it into several.");
                        }
                        break;
                    case AnchorAlias alias:
                        nodes += anchors.GetValueOrDefault(alias.Value.Value, 1);
                        break;
                    case Scalar scalar:
                        nodes++;
                        if (!scalar.Anchor.IsEmpty)
                        {
                            anchors[scalar.Anchor.Value] = 1;
                        }
                        break;
                    case NodeEvent start and (MappingStart or SequenceStart):
                        open.Push((start.Anchor.IsEmpty ? null : start.Anchor.Value, nodes));
                        nodes++;
                        if (open.Count > MaxDepth)
                        {
                            return Refused(source, current,
                                $"the YAML nests more than {MaxDepth} levels deep; no Istio resource does. Is a bracket or an indent astray?");
                        }
                        break;
                    case MappingEnd or SequenceEnd when open.Count > 0:
                        var (anchor, before) = open.Pop();
                        if (anchor is not null)
                        {
                            anchors[anchor] = nodes - before;
                        }
                        break;
                }

                if (nodes > MaxNodes)
                {
                    return Refused(source, current,
                        $"the YAML stands for more than {MaxNodes:N0} nodes (each alias counted as what its anchor holds); no mesh config is that large. Write the values out, or split the input.");
                }
            }
        }
        catch (YamlException)
        {
            return null;
        }

        return null;
    }

    private static ConfigMessage Refused(string source, ParsingEvent at, string message) =>
        new(source, (int)at.Start.Line, (int)at.Start.Column, null, null, null, null, message);
}
