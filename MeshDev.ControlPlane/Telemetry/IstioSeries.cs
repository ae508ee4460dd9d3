using System.Globalization;

namespace MeshDev.ControlPlane.Telemetry;

/// <summary>The Istio metric names and labels the topology reads (Istio's standard metrics).</summary>
public static class IstioMetrics
{
    public const string RequestsTotal = "istio_requests_total";
    public const string DurationBucket = "istio_request_duration_milliseconds_bucket";
    public const string MutualTls = "mutual_tls";

    public static bool IsTopologyMetric(string name) => name is RequestsTotal or DurationBucket;
}

/// <summary>A workload as one side of an Istio metric names it.</summary>
public sealed record WorkloadLabels(string Workload, string? App, string? Version, string? Namespace)
{
    public static WorkloadLabels From(PrometheusSample sample, string side)
    {
        var app = Meaningful(sample.Label(side + "_app")) ?? Meaningful(sample.Label(side + "_canonical_service"));
        var version = Meaningful(sample.Label(side + "_version")) ?? Meaningful(sample.Label(side + "_canonical_revision"));
        var workload = Meaningful(sample.Label(side + "_workload"))
            ?? (app is not null ? (version is not null ? $"{app}-{version}" : app) : "unknown");
        return new WorkloadLabels(workload, app, version, Meaningful(sample.Label(side + "_workload_namespace")));
    }

    // Istio writes "unknown" where a side is not known.
    private static string? Meaningful(string? value) => string.IsNullOrEmpty(value) || value == "unknown" ? null : value;
}

/// <summary>
/// What identifies one counter or bucket series for the topology: who reported it, the two workloads, the outcome
/// and the connection's security. Other labels (protocol, flags, exporter scope) are summed over.
/// </summary>
public sealed record IstioSeriesKey(
    string Metric,
    string Reporter,
    WorkloadLabels Source,
    WorkloadLabels Destination,
    string ResponseCode,
    string SecurityPolicy,
    double UpperBound)
{
    public bool IsServerError => ResponseCode.Length == 3 && ResponseCode[0] == '5';

    public bool IsMutualTls => SecurityPolicy == IstioMetrics.MutualTls;

    /// <summary>The key of an istio_requests_total or istio_request_duration_milliseconds_bucket sample; null for others.</summary>
    public static IstioSeriesKey? From(PrometheusSample sample)
    {
        if (!IstioMetrics.IsTopologyMetric(sample.Name))
        {
            return null;
        }

        var upperBound = double.NaN;
        if (sample.Name == IstioMetrics.DurationBucket)
        {
            var le = sample.Label("le");
            if (le is null)
            {
                return null;
            }

            upperBound = le is "+Inf" or "Inf" ? double.PositiveInfinity
                : double.TryParse(le, NumberStyles.Float, CultureInfo.InvariantCulture, out var bound) ? bound
                : double.NaN;
            if (double.IsNaN(upperBound))
            {
                return null;
            }
        }

        return new IstioSeriesKey(
            sample.Name,
            sample.Label("reporter") ?? "source",
            WorkloadLabels.From(sample, "source"),
            WorkloadLabels.From(sample, "destination"),
            sample.Label("response_code") ?? "",
            sample.Label("connection_security_policy") ?? "unknown",
            upperBound);
    }
}
