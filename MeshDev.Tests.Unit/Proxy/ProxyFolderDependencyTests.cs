using MeshDev.Proxy.Outbound;
using MeshDev.Tests.Architecture;
using Xunit.Abstractions;

namespace MeshDev.Tests.Proxy;

/// <summary>
/// The proxy's folders form a graph without cycles, so each concern can be read, tested and changed from its own
/// folder and the ones below it. The composition root (Program.cs and ProxyServiceCollectionExtensions.cs, namespace
/// MeshDev.Proxy) and Admin, which reports on every concern, may use every folder; in exchange no other folder may use
/// them, so they stay outside every cycle and are left out of the search.
/// </summary>
public sealed class ProxyFolderDependencyTests(ITestOutputHelper output)
{
    private static readonly IReadOnlySet<string> MayUseEverything = new HashSet<string>(StringComparer.Ordinal)
    {
        FolderGraph.RootFolder, "Admin",
    };

    private static readonly Lazy<FolderGraph> Graph = new(() => FolderGraph.Of(typeof(RouteForwarder).Assembly, "MeshDev.Proxy"));

    [Fact]
    public void Proxy_folders_depend_on_each_other_without_cycles()
    {
        output.WriteLine(Graph.Value.Describe(MayUseEverything));
        var cycles = Graph.Value.Cycles(MayUseEverything);

        Assert.True(cycles.Count == 0, "the proxy's folders depend on each other in a cycle:\n" + string.Join('\n', cycles.Select(Explain)));
    }

    [Fact]
    public void Only_the_composition_root_uses_admin_and_only_nothing_uses_the_composition_root()
    {
        var offenders = Graph.Value.Edges
            .Where(e => !MayUseEverything.Contains(e.Key))
            .SelectMany(e => e.Value.Where(t => MayUseEverything.Contains(t.Key)).Select(t => $"{e.Key} → {t.Key}: {t.Value}"))
            .Concat(Graph.Value.Edges.TryGetValue("Admin", out var admin) && admin.TryGetValue(FolderGraph.RootFolder, out var why)
                ? [$"Admin → {FolderGraph.RootFolder}: {why}"]
                : [])
            .ToList();

        Assert.True(offenders.Count == 0, "folders use what only the composition root may use:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void The_graph_sees_edges_through_signatures_and_method_bodies()
    {
        // Outbound names routing types in signatures, and reaches Telemetry from method bodies; a reader that misses
        // them would report no cycles for the wrong reason.
        Assert.Contains("Routing", Graph.Value.Edges["Outbound"].Keys);
        Assert.Contains("Telemetry", Graph.Value.Edges["Outbound"].Keys);
        Assert.Contains("Outbound", Graph.Value.Edges[FolderGraph.RootFolder].Keys);
    }

    private static string Explain(IReadOnlyList<string> cycle) =>
        string.Join(" → ", cycle) + "\n" + string.Join('\n', cycle.Zip(cycle.Skip(1))
            .Select(step => $"  {step.First} → {step.Second}: {Graph.Value.Edges[step.First][step.Second]}"));
}
