using MeshDev.ControlPlane;
using MeshDev.Tests.Architecture;
using Xunit.Abstractions;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// The control plane's capability folders (Registry, Config, Certificates, Push, Telemetry, Api, Dashboard, ProxyAdmin)
/// depend on each other without cycles. The root namespace holds the composition root (ControlPlaneApp) and what
/// every capability is configured with or publishes on (its options, the change signal), so it is left out.
/// </summary>
public sealed class ControlPlaneFolderDependencyTests(ITestOutputHelper output)
{
    [Fact]
    public void Control_plane_folders_depend_on_each_other_without_cycles()
    {
        var graph = FolderGraph.Of(typeof(ControlPlaneApp).Assembly, "MeshDev.ControlPlane");
        var root = new HashSet<string>(StringComparer.Ordinal) { FolderGraph.RootFolder };
        output.WriteLine(graph.Describe(root));

        var cycles = graph.Cycles(root);

        Assert.True(graph.Edges.Count >= 6, $"only {graph.Edges.Count} folders read; the reader is broken");
        Assert.True(cycles.Count == 0, "the control plane's folders depend on each other in a cycle:\n" +
            string.Join('\n', cycles.Select(c => string.Join(" → ", c))));
    }
}
