using MeshDev.ControlPlane.Registry;
using MeshDev.ControlPlane.Telemetry;
using MeshDev.Core;
using MeshDev.Core.Api;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Api;

/// <summary>
/// The mesh graph: every registered workload as a node, and the traffic window's edges between them. Metrics name
/// workloads by their labels and the registry by proxy id; both are put on one node, named as Istio names a
/// workload (a sidecar by <see cref="MeshWorkloads.FromProxyId"/>, e.g. reviews-v2; a gateway by its proxy id).
/// </summary>
public sealed class TopologyView(IWorkloadRegistry registry, TrafficWindow window, TimeProvider time)
{
    public TopologyResponse Current()
    {
        var now = time.GetUtcNow();
        var nodes = new Dictionary<string, TopologyNodeResponse>(StringComparer.Ordinal);
        var byName = new Dictionary<string, Workload>(StringComparer.Ordinal);
        foreach (var workload in registry.GetAll())
        {
            var node = Node(workload);
            nodes.TryAdd(node.Id, node);
            byName.TryAdd(node.Id, workload);
            byName.TryAdd(workload.ProxyId, workload);
        }

        // The proxy that reports a workload as itself decides its node; otherwise a registered workload or proxy of
        // that name; otherwise the name stands for a workload known only from what others reported.
        string NodeOf(string workload, string? reportingProxy) =>
            (reportingProxy is not null ? registry.Find(reportingProxy) : null) is { } reporter ? WorkloadName(reporter)
            : byName.TryGetValue(workload, out var named) ? WorkloadName(named)
            : workload;

        var reading = window.Read(now, NodeOf);
        foreach (var edge in reading.Edges)
        {
            AddUnregistered(edge.From, edge.Source);
            AddUnregistered(edge.To, edge.Destination);
        }

        void AddUnregistered(string id, ObservedWorkload labels) => nodes.TryAdd(id, new TopologyNodeResponse(
            id, labels.Workload, labels.App, labels.Version, labels.Namespace ?? MeshEnvironment.DefaultNamespace, "workload", Healthy: false));

        return new TopologyResponse(
            now,
            window.Window.TotalSeconds,
            [.. nodes.Values.OrderBy(n => n.Kind == "gateway" ? 0 : 1).ThenBy(n => n.App, StringComparer.Ordinal).ThenBy(n => n.Id, StringComparer.Ordinal)],
            [.. reading.Edges.Select(e => new TopologyEdgeResponse(e.From, e.To, e.RequestsPerSecond, e.ErrorRate, e.P50Ms, e.P99Ms, e.MutualTls, e.LastSeen))]);
    }

    public static string WorkloadName(Workload workload) =>
        workload.IsSidecar ? MeshWorkloads.FromProxyId(workload.ProxyId) : workload.ProxyId;

    private static TopologyNodeResponse Node(Workload workload) => new(
        WorkloadName(workload),
        WorkloadName(workload),
        workload.Labels.GetValueOrDefault("app") ?? workload.Service,
        workload.Labels.GetValueOrDefault("version"),
        workload.Namespace,
        workload.Mode == ProxyMode.Gateway ? "gateway" : "workload",
        workload.Connected && workload.Healthy);
}
