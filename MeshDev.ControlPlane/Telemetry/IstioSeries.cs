using System.Globalization;
using MeshDev.Core.Telemetry;

namespace MeshDev.ControlPlane.Telemetry;

/// <summary>A workload as one side (source or destination) of an Istio metric sample names it; null where the sample does not say.</summary>
public sealed record ObservedWorkload(string Workload, string? App, string? Version, string? Namespace)
{
    public static ObservedWorkload From(PrometheusSample sample, IstioWorkloadLabelNames side)
    {
        var app = Meaningful(sample.Label(side.App)) ?? Meaningful(sample.Label(side.CanonicalService));
        var version = Meaningful(sample.Label(side.Version)) ?? Meaningful(sample.Label(side.CanonicalRevision));
        var workload = Meaningful(sample.Label(side.Workload))
            ?? (app is not null ? (version is not null ? $"{app}-{version}" : app) : IstioLabelNames.Unknown);
        return new ObservedWorkload(workload, app, version, Meaningful(sample.Label(side.WorkloadNamespace)));
    }

    // Istio writes "unknown" where a side is not known.
    private static string? Meaningful(string? value) => string.IsNullOrEmpty(value) || value == IstioLabelNames.Unknown ? null : value;
}

/// <summary>
/// What identifies one counter or bucket series for the topology: who reported it, the two workloads, the outcome
/// and the connection's security. Other labels (protocol, flags, exporter scope) are summed over.
/// </summary>
public sealed record IstioSeriesKey(
    string Metric,
    string Reporter,
    ObservedWorkload Source,
    ObservedWorkload Destination,
    string ResponseCode,
    string SecurityPolicy,
    double UpperBound)
{
    public bool IsServerError => ResponseCode.Length == 3 && ResponseCode[0] == '5';

    public bool IsMutualTls => SecurityPolicy == IstioLabelNames.MutualTls;

    /// <summary>Whether the topology reads series of <paramref name="name"/>: the request counter and the duration buckets.</summary>
    public static bool IsTopologyMetric(string name) => name is IstioMetricNames.RequestsTotal or IstioMetricNames.RequestDurationBucket;

    /// <summary>The key of an istio_requests_total or istio_request_duration_milliseconds_bucket sample; null for others.</summary>
    public static IstioSeriesKey? From(PrometheusSample sample)
    {
        if (!IsTopologyMetric(sample.Name))
        {
            return null;
        }

        var upperBound = double.NaN;
        if (sample.Name == IstioMetricNames.RequestDurationBucket)
        {
            var le = sample.Label(IstioLabelNames.BucketBound);
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
            sample.Label(IstioLabelNames.Reporter) ?? IstioLabelNames.ReporterSource,
            ObservedWorkload.From(sample, IstioLabelNames.Source),
            ObservedWorkload.From(sample, IstioLabelNames.Destination),
            sample.Label(IstioLabelNames.ResponseCode) ?? "",
            sample.Label(IstioLabelNames.ConnectionSecurityPolicy) ?? IstioLabelNames.Unknown,
            upperBound);
    }
}
