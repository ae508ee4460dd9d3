using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using MeshDev.Core.Telemetry;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Admin;

/// <summary>The three expositions of the registry served by the admin listener.</summary>
public static class StatsWriters
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Envoy's /stats text: "name: value" per line, histograms as P50, P99 and count.</summary>
    public static string WriteText(StatsRegistry registry)
    {
        var text = new StringBuilder();
        foreach (var stat in registry.All())
        {
            text.Append(stat.Name.Name).Append(": ");
            switch (stat)
            {
                case Counter counter:
                    text.Append(counter.Value.ToString(Invariant));
                    break;
                case Gauge gauge:
                    text.Append(gauge.Value.ToString(Invariant));
                    break;
                case Histogram histogram:
                    var snapshot = histogram.Snapshot();
                    text.Append("P50(").Append(FormatQuantile(snapshot.Quantile(0.5)))
                        .Append(") P99(").Append(FormatQuantile(snapshot.Quantile(0.99)))
                        .Append(") count(").Append(snapshot.Count.ToString(Invariant)).Append(')');
                    break;
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>{"counters": {...}, "gauges": {...}, "histograms": {name: {count, sum, buckets: [{le, count}]}}}.</summary>
    public static byte[] WriteJson(StatsRegistry registry)
    {
        var stats = registry.All();
        var document = new StatsJson(
            new(stats.OfType<Counter>().Select(c => KeyValuePair.Create(c.Name.Name, c.Value))),
            new(stats.OfType<Gauge>().Select(g => KeyValuePair.Create(g.Name.Name, g.Value))),
            new(stats.OfType<Histogram>().Select(h => KeyValuePair.Create(h.Name.Name, HistogramJson.From(h.Snapshot())))));
        return AdminJson.Serialize(document, AdminJsonContext.Default.StatsJson, AdminJson.Indented);
    }

    /// <summary>
    /// Prometheus text exposition format 0.0.4: one HELP and TYPE per family, the family's samples together,
    /// histogram buckets cumulative and closed by le="+Inf", then _sum and _count.
    /// </summary>
    public static string WritePrometheus(StatsRegistry registry) => WritePrometheus(registry.All());

    /// <inheritdoc cref="WritePrometheus(StatsRegistry)"/>
    public static string WritePrometheus(IEnumerable<Stat> stats)
    {
        var text = new StringBuilder();
        var families = stats
            .GroupBy(s => s.Name.Family, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);

        foreach (var family in families)
        {
            var first = family.First();
            var type = first switch
            {
                Counter => "counter",
                Gauge => "gauge",
                _ => "histogram",
            };
            text.Append("# HELP ").Append(family.Key).Append(' ').Append(Help(family.Key)).Append('\n');
            text.Append("# TYPE ").Append(family.Key).Append(' ').Append(type).Append('\n');

            foreach (var stat in family.OrderBy(s => s.Name.Name, StringComparer.Ordinal))
            {
                switch (stat)
                {
                    case Counter counter:
                        AppendSample(text, family.Key, stat.Name.Labels, null, counter.Value.ToString(Invariant));
                        break;
                    case Gauge gauge:
                        AppendSample(text, family.Key, stat.Name.Labels, null, gauge.Value.ToString(Invariant));
                        break;
                    case Histogram histogram:
                        var snapshot = histogram.Snapshot();
                        for (var i = 0; i < Histogram.BucketBounds.Length; i++)
                        {
                            AppendSample(text, family.Key + "_bucket", stat.Name.Labels,
                                Histogram.BucketBounds[i].ToString(Invariant), snapshot.CumulativeCounts[i].ToString(Invariant));
                        }

                        AppendSample(text, family.Key + "_bucket", stat.Name.Labels, "+Inf", snapshot.Count.ToString(Invariant));
                        AppendSample(text, family.Key + "_sum", stat.Name.Labels, null, snapshot.SumMilliseconds.ToString(Invariant));
                        AppendSample(text, family.Key + "_count", stat.Name.Labels, null, snapshot.Count.ToString(Invariant));
                        break;
                }
            }
        }

        return text.ToString();
    }

    private static void AppendSample(StringBuilder text, string metric, IReadOnlyList<KeyValuePair<string, string>> labels, string? le, string value)
    {
        text.Append(metric);
        if (labels.Count > 0 || le is not null)
        {
            text.Append('{');
            var separator = "";
            foreach (var (key, labelValue) in labels)
            {
                text.Append(separator).Append(key).Append("=\"").Append(EscapeLabelValue(labelValue)).Append('"');
                separator = ",";
            }

            if (le is not null)
            {
                text.Append(separator).Append("le=\"").Append(le).Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(value).Append('\n');
    }

    private static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);

    private static string FormatQuantile(double? value) => value?.ToString("0.###", Invariant) ?? "nan";

    private static string Help(string family) => family switch
    {
        "meshdev_cluster_upstream_rq_total" => "Requests sent to the upstream cluster.",
        "meshdev_cluster_upstream_rq" => "Requests to the upstream cluster by response code.",
        "meshdev_cluster_upstream_rq_xx" => "Requests to the upstream cluster by response code class.",
        "meshdev_cluster_upstream_cx_connect_fail" => "Connections to an upstream endpoint that failed.",
        "meshdev_cluster_upstream_rq_retry" => "Retries sent (one per retried try).",
        "meshdev_cluster_upstream_rq_no_healthy_upstream" => "Requests refused because the cluster had no healthy endpoint.",
        "meshdev_cluster_upstream_rq_timeout" => "Requests answered 504 because the route's timeout expired.",
        "meshdev_cluster_upstream_rq_per_try_timeout" => "Tries that hit the retry policy's per-try timeout.",
        "meshdev_cluster_upstream_rq_retry_success" => "Retried requests that ended with a response the policy accepted.",
        "meshdev_cluster_upstream_rq_retry_limit_exceeded" => "Requests still failing when the retry policy ran out of retries.",
        "meshdev_route_no_route" => "Requests that matched no route of the listener's route table.",
        "meshdev_fault_delays_injected" => "Requests delayed by a route's fault injection.",
        "meshdev_fault_aborts_injected" => "Requests aborted by a route's fault injection.",
        "meshdev_cluster_upstream_rq_time" => "Upstream request time in milliseconds.",
        "meshdev_cluster_upstream_cx_total" => "TCP connections made to the cluster.",
        "meshdev_cluster_upstream_cx_active" => "TCP connections to the cluster open now.",
        "meshdev_cluster_upstream_cx_tx_bytes_total" => "Bytes sent to the cluster over TCP connections.",
        "meshdev_cluster_upstream_cx_rx_bytes_total" => "Bytes received from the cluster over TCP connections.",
        "meshdev_cluster_upstream_cx_connect_timeout" => "TCP connects to the cluster that ran out of the connect timeout.",
        "meshdev_cluster_upstream_cx_none_healthy" => "TCP connections closed because the cluster had no healthy endpoint.",
        "meshdev_cluster_upstream_cx_connect_ms" => "TCP connect time to the cluster in milliseconds.",
        "meshdev_inbound_cx_total" => "TCP connections accepted by the inbound listener.",
        "meshdev_inbound_cx_active" => "TCP connections open on the inbound listener now.",
        "meshdev_inbound_cx_rx_bytes_total" => "Bytes received from peers on inbound TCP connections.",
        "meshdev_inbound_cx_tx_bytes_total" => "Bytes sent to peers on inbound TCP connections.",
        "meshdev_inbound_cx_connect_fail" => "Inbound TCP connections closed because the app could not be reached.",
        "meshdev_inbound_rq_total" => "Requests received by the inbound listener.",
        "meshdev_inbound_rq" => "Inbound requests by response code.",
        "meshdev_inbound_rq_xx" => "Inbound requests by response code class.",
        "meshdev_inbound_rq_time" => "Inbound request time in milliseconds.",
        "meshdev_gateway_rq_total" => "Requests received by the gateway.",
        "meshdev_gateway_no_route" => "Gateway requests that matched no route.",
        "meshdev_control_plane_connect_attempts" => "Attempts to open the configuration stream.",
        "meshdev_control_plane_connect_failures" => "Configuration stream attempts that failed or ended.",
        "meshdev_control_plane_snapshots_applied" => "Configuration snapshots applied.",
        "meshdev_control_plane_snapshots_rejected" => "Configuration snapshots rejected.",
        "meshdev_control_plane_connected" => "1 while the configuration stream is open.",
        IstioMetricNames.RequestsTotal => "Requests, by Istio's standard labels.",
        IstioMetricNames.RequestDuration => "Request duration in milliseconds, by Istio's standard labels.",
        IstioMetricNames.RequestBytes => "Request body size in bytes, by Istio's standard labels.",
        IstioMetricNames.ResponseBytes => "Response body size in bytes, by Istio's standard labels.",
        IstioMetricNames.TcpSentBytes => "Bytes sent to the downstream peer of TCP connections.",
        IstioMetricNames.TcpReceivedBytes => "Bytes received from the downstream peer of TCP connections.",
        IstioMetricNames.TcpConnectionsOpened => "TCP connections opened.",
        IstioMetricNames.TcpConnectionsClosed => "TCP connections closed.",
        _ => "MeshDev proxy statistic.",
    };
}

/// <summary>/stats?format=json.</summary>
public sealed record StatsJson(
    [property: JsonConverter(typeof(JsonMembersConverter<long>))] JsonMembers<long> Counters,
    [property: JsonConverter(typeof(JsonMembersConverter<long>))] JsonMembers<long> Gauges,
    [property: JsonConverter(typeof(JsonMembersConverter<HistogramJson>))] JsonMembers<HistogramJson> Histograms);

/// <summary>A histogram in /stats?format=json: its buckets cumulative, as Prometheus has them.</summary>
public sealed record HistogramJson(long Count, double Sum, IReadOnlyList<HistogramBucketJson> Buckets)
{
    public static HistogramJson From(HistogramSnapshot snapshot) => new(
        snapshot.Count,
        snapshot.SumMilliseconds,
        [.. Histogram.BucketBounds.Select((bound, i) => new HistogramBucketJson(bound, snapshot.CumulativeCounts[i]))]);
}

public sealed record HistogramBucketJson(double Le, long Count);
