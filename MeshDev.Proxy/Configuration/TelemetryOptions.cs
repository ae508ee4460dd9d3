using MeshDev.Core.Identity;

namespace MeshDev.Proxy.Configuration;

public enum AccessLogFormat
{
    Off,

    /// <summary>Istio's default text format: Envoy's default line with Istio's additions, then the trace id.</summary>
    Text,

    /// <summary>Istio's JSON format: one object per line with the same fields.</summary>
    Json,
}

/// <summary>What the proxy reports about the traffic it carries.</summary>
/// <param name="Workload">The workload the proxy stands for (Istio's source_workload / destination_workload).</param>
/// <param name="Identity">The SPIFFE ID the proxy's certificate carries, for Istio's principal labels.</param>
/// <param name="TraceSamplingPercentage">Share of new traces that are recorded; a caller's decision always stands.</param>
public sealed record TelemetryOptions(bool Enabled, string Workload, SpiffeId Identity, double TraceSamplingPercentage, AccessLogFormat AccessLog)
{
    public static readonly TelemetryOptions Default = new(
        true, "unknown", new SpiffeId(MeshDev.Core.MeshEnvironment.DefaultTrustDomain, MeshDev.Core.MeshEnvironment.DefaultNamespace, "default"), 100, AccessLogFormat.Text);

    public bool WritesAccessLog => Enabled && AccessLog != AccessLogFormat.Off;
}
