using System.Reflection;

namespace MeshDev.Tests.Architecture;

/// <summary>
/// Which folders of an assembly use which, from its <see cref="CompiledReferences"/>. A folder is the first namespace
/// segment below the root namespace (MeshDev.Proxy.Outbound.Tls belongs to Outbound); types directly in the root
/// namespace belong to <see cref="RootFolder"/>. An edge A → B is recorded when a type of A (nested types included)
/// refers to a type of B.
/// </summary>
public sealed class FolderGraph
{
    public const string RootFolder = "(root)";

    private FolderGraph(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> edges) => Edges = edges;

    /// <summary>Folder → (folder it uses → one example of a type that makes the edge).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Edges { get; }

    public static FolderGraph Of(Assembly assembly, string rootNamespace)
    {
        var references = CompiledReferences.Of(assembly);
        var edges = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var type in references.Types.OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            if (FolderOf(type, rootNamespace) is not { } from)
            {
                continue;
            }

            if (!edges.TryGetValue(from, out var targets))
            {
                edges[from] = targets = new SortedDictionary<string, string>(StringComparer.Ordinal);
            }

            foreach (var used in references.TypesUsedBy(type)
                         .Where(u => u.Assembly == references.AssemblyName)
                         .OrderBy(u => u.FullName, StringComparer.Ordinal))
            {
                if (FolderOf(used, rootNamespace) is { } to && to != from)
                {
                    targets.TryAdd(to, $"{type.FullName} uses {used.FullName}");
                }
            }
        }

        return new FolderGraph(edges.ToDictionary(
            e => e.Key, e => (IReadOnlyDictionary<string, string>)e.Value, StringComparer.Ordinal));
    }

    /// <summary>Every cycle's strongly connected component among the folders that are not excluded, each as a closed path.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles(IReadOnlySet<string> excluded)
    {
        var nodes = Edges.Keys.Concat(Edges.Values.SelectMany(v => v.Keys))
            .Where(n => !excluded.Contains(n)).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
        IEnumerable<string> Next(string n) => Edges.TryGetValue(n, out var t) ? t.Keys.Where(k => !excluded.Contains(k)) : [];

        var cycles = new List<IReadOnlyList<string>>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in nodes)
        {
            if (reported.Contains(start))
            {
                continue;
            }

            var path = ShortestPath(start, start, Next);
            if (path is not null)
            {
                cycles.Add(path);
                reported.UnionWith(path);
            }
        }

        return cycles;
    }

    public string Describe(IReadOnlySet<string> excluded) => string.Join('\n', Edges
        .Where(e => !excluded.Contains(e.Key))
        .Select(e => $"{e.Key} → {string.Join(", ", e.Value.Keys.Where(k => !excluded.Contains(k)))}"));

    private static string? FolderOf(CompiledType type, string rootNamespace)
    {
        if (type.Namespace == rootNamespace)
        {
            return RootFolder;
        }

        if (!type.In(rootNamespace))
        {
            return null;
        }

        var rest = type.Namespace[(rootNamespace.Length + 1)..];
        var dot = rest.IndexOf('.');
        return dot < 0 ? rest : rest[..dot];
    }

    private static List<string>? ShortestPath(string from, string to, Func<string, IEnumerable<string>> next)
    {
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        foreach (var n in next(from))
        {
            if (previous.TryAdd(n, from))
            {
                queue.Enqueue(n);
            }
        }

        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            if (current == to)
            {
                var path = new List<string> { to };
                for (var n = previous[to]; n != from; n = previous[n])
                {
                    path.Add(n);
                }

                path.Add(from);
                path.Reverse();
                return path;
            }

            foreach (var n in next(current))
            {
                if (previous.TryAdd(n, current))
                {
                    queue.Enqueue(n);
                }
            }
        }

        return null;
    }
}
