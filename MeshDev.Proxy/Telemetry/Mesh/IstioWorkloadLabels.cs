using MeshDev.Core.Telemetry;

namespace MeshDev.Proxy.Telemetry.Mesh;

/// <summary>
/// What Istio's metrics say about one end of a request: its workload, namespace, app and version labels and its
/// canonical service and revision. Built once per workload and reused for every request it takes part in.
/// </summary>
public sealed record IstioWorkloadLabels(string Workload, string Namespace, string App, string Version, string CanonicalService, string CanonicalRevision)
{
    public static readonly IstioWorkloadLabels None = new(IstioLabelNames.Unknown, IstioLabelNames.Unknown, IstioLabelNames.Unknown, IstioLabelNames.Unknown, IstioLabelNames.Unknown, IstioLabelNames.Unknown);

    /// <summary>
    /// A workload's labels in Istio's terms: app and version from its labels, the canonical service from
    /// service.istio.io/canonical-name, else app, else the workload; the canonical revision from
    /// service.istio.io/canonical-revision, else version, else "latest".
    /// </summary>
    public static IstioWorkloadLabels From(string workload, string @namespace, IReadOnlyDictionary<string, string> labels)
    {
        var app = labels.GetValueOrDefault("app");
        var version = labels.GetValueOrDefault("version");
        return new IstioWorkloadLabels(
            workload,
            @namespace,
            app ?? IstioLabelNames.Unknown,
            version ?? IstioLabelNames.Unknown,
            labels.GetValueOrDefault("service.istio.io/canonical-name") ?? app ?? workload,
            labels.GetValueOrDefault("service.istio.io/canonical-revision") ?? version ?? "latest");
    }
}
