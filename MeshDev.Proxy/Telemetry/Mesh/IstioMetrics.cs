using System.Diagnostics;
using System.Diagnostics.Metrics;
using MeshDev.Core.Telemetry;

namespace MeshDev.Proxy.Telemetry.Mesh;

/// <summary>Which end of a hop reports a measurement: Istio's "reporter" label.</summary>
public enum Reporter
{
    /// <summary>The caller's proxy: a sidecar's outbound side, or the gateway.</summary>
    Source,

    /// <summary>The callee's sidecar, on its inbound side.</summary>
    Destination,
}

/// <summary>
/// Istio's standard metrics, with Istio's names, labels and (Envoy's) histogram buckets, on the "MeshDev.Proxy" meter.
/// OpenTelemetry exports them by OTLP; <see cref="MeshMetricsCollector"/> serves them as Prometheus text.
/// </summary>
public sealed class IstioMetrics
{
    public const string MeterName = "MeshDev.Proxy";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _requestBytes;
    private readonly Histogram<double> _responseBytes;
    private readonly Counter<long> _tcpSent;
    private readonly Counter<long> _tcpReceived;
    private readonly Counter<long> _tcpOpened;
    private readonly Counter<long> _tcpClosed;

    /// <param name="collector">Taken so that it listens before the first measurement: /stats/prometheus misses none.</param>
    public IstioMetrics(IMeterFactory meters, MeshMetricsCollector collector)
    {
        _ = collector;
        var meter = meters.Create(MeterName);
        // Istio's histograms are Envoy histograms, so they share Envoy's default bucket bounds.
        var buckets = new InstrumentAdvice<double> { HistogramBucketBoundaries = Histogram.BucketBounds };
        _requests = meter.CreateCounter<long>(IstioMetricNames.RequestsTotal, description: "Requests, by source, destination and outcome.");
        _duration = meter.CreateHistogram(IstioMetricNames.RequestDuration, "ms", "Request duration in milliseconds.", tags: null, buckets);
        _requestBytes = meter.CreateHistogram(IstioMetricNames.RequestBytes, "By", "Request body size in bytes.", tags: null, buckets);
        _responseBytes = meter.CreateHistogram(IstioMetricNames.ResponseBytes, "By", "Response body size in bytes.", tags: null, buckets);
        _tcpSent = meter.CreateCounter<long>(IstioMetricNames.TcpSentBytes, "By", "Bytes sent to the downstream peer of TCP connections.");
        _tcpReceived = meter.CreateCounter<long>(IstioMetricNames.TcpReceivedBytes, "By", "Bytes received from the downstream peer of TCP connections.");
        _tcpOpened = meter.CreateCounter<long>(IstioMetricNames.TcpConnectionsOpened, description: "TCP connections opened.");
        _tcpClosed = meter.CreateCounter<long>(IstioMetricNames.TcpConnectionsClosed, description: "TCP connections closed.");
    }

    public void RecordRequest(in TagList labels, double durationMilliseconds, long requestBytes, long responseBytes)
    {
        _requests.Add(1, labels);
        _duration.Record(durationMilliseconds, labels);
        _requestBytes.Record(requestBytes, labels);
        _responseBytes.Record(responseBytes, labels);
    }

    public void TcpOpened(in TagList labels) => _tcpOpened.Add(1, labels);

    public void TcpClosed(in TagList labels) => _tcpClosed.Add(1, labels);

    public void TcpSent(long bytes, in TagList labels)
    {
        if (bytes > 0)
        {
            _tcpSent.Add(bytes, labels);
        }
    }

    public void TcpReceived(long bytes, in TagList labels)
    {
        if (bytes > 0)
        {
            _tcpReceived.Add(bytes, labels);
        }
    }
}
