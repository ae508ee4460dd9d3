using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Telemetry.Otlp;
using MeshDev.Tests.Telemetry.Otlp.Collector.Logs;
using MeshDev.Tests.Telemetry.Otlp.Collector.Metrics;
using MeshDev.Tests.Telemetry.Otlp.Collector.Trace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshDev.Tests.Telemetry.Infrastructure;

/// <summary>
/// A real OTLP/gRPC receiver on loopback, the part of an OpenTelemetry collector that processes export to: it keeps
/// every span and metric data point it is sent, with the service.name of the resource that sent it.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private WebApplication _app = null!;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentQueue<ReceivedMetric> _metrics = new();
    private readonly ConcurrentQueue<ReceivedLog> _logs = new();

    /// <summary>What OTEL_EXPORTER_OTLP_ENDPOINT is set to for exporters that send here.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    public IReadOnlyCollection<ReceivedMetric> Metrics => _metrics;

    public IReadOnlyCollection<ReceivedLog> Logs => _logs;

    /// <summary>Environment variables that point an OpenTelemetry SDK here and make it export within a second.</summary>
    public IReadOnlyDictionary<string, string> ExporterEnvironment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
    };

    public static async Task<OtlpReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 64 * 1024 * 1024);
        var receiver = new OtlpReceiver();
        builder.Services.AddSingleton(receiver);
        var app = builder.Build();
        receiver._app = app;
        app.MapGrpcService<TraceReceiver>();
        app.MapGrpcService<MetricsReceiver>();
        app.MapGrpcService<LogsReceiver>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Endpoint = new Uri(address);
        return receiver;
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing with a summary of what did arrive.</summary>
    public Task WaitUntilAsync(Func<OtlpReceiver, bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(() => condition(this), what, timeout ?? TimeSpan.FromSeconds(20), () =>
            $"Received {_spans.Count} spans and {_metrics.Count} metric exports from: " +
            string.Join(", ", _spans.Select(s => s.Service).Concat(_metrics.Select(m => m.Service)).Distinct()) + ".");

    /// <summary>The latest data points of a metric, one per distinct attribute set and sender (cumulative values).</summary>
    public IReadOnlyList<ReceivedPoint> LatestPoints(string metricName)
    {
        var latest = new Dictionary<string, ReceivedPoint>(StringComparer.Ordinal);
        foreach (var metric in _metrics.Where(m => m.Metric.Name == metricName))
        {
            foreach (var point in Points(metric))
            {
                var key = metric.Service + "|" + string.Join(",", point.Attributes.OrderBy(a => a.Key).Select(a => $"{a.Key}={a.Value}"));
                if (!latest.TryGetValue(key, out var previous) || previous.TimeUnixNano <= point.TimeUnixNano)
                {
                    latest[key] = point;
                }
            }
        }

        return latest.Values.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static IEnumerable<ReceivedPoint> Points(ReceivedMetric metric)
    {
        var data = metric.Metric;
        if (data.Sum is { } sum)
        {
            foreach (var point in sum.DataPoints)
            {
                var value = point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble;
                yield return new ReceivedPoint(metric.Service, Attributes(point.Attributes), point.TimeUnixNano, value, 0, [], []);
            }
        }

        if (data.Histogram is { } histogram)
        {
            foreach (var point in histogram.DataPoints)
            {
                yield return new ReceivedPoint(metric.Service, Attributes(point.Attributes), point.TimeUnixNano, point.Sum, (long)point.Count,
                    point.ExplicitBounds.ToArray(), point.BucketCounts.Select(c => (long)c).ToArray());
            }
        }
    }

    public static IReadOnlyDictionary<string, string> Attributes(IEnumerable<KeyValue> attributes) =>
        attributes.ToDictionary(a => a.Key, a => a.Value?.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => a.Value.StringValue,
            AnyValue.ValueOneofCase.IntValue => a.Value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.BoolValue => a.Value.BoolValue ? "true" : "false",
            AnyValue.ValueOneofCase.DoubleValue => a.Value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "",
        }, StringComparer.Ordinal);

    private static string ServiceName(Resource? resource) =>
        resource is null ? "" : Attributes(resource.Attributes).GetValueOrDefault("service.name", "");

    private sealed class TraceReceiver(OtlpReceiver receiver) : TraceService.TraceServiceBase
    {
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            foreach (var resourceSpans in request.ResourceSpans)
            {
                var service = ServiceName(resourceSpans.Resource);
                foreach (var span in resourceSpans.ScopeSpans.SelectMany(s => s.Spans.Select(span => (s.Scope, span))))
                {
                    receiver._spans.Enqueue(new ReceivedSpan(service, span.Scope?.Name ?? "", span.span));
                }
            }

            return Task.FromResult(new ExportTraceServiceResponse());
        }
    }

    private sealed class MetricsReceiver(OtlpReceiver receiver) : MetricsService.MetricsServiceBase
    {
        public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
        {
            foreach (var resourceMetrics in request.ResourceMetrics)
            {
                var service = ServiceName(resourceMetrics.Resource);
                foreach (var metric in resourceMetrics.ScopeMetrics.SelectMany(s => s.Metrics))
                {
                    receiver._metrics.Enqueue(new ReceivedMetric(service, metric));
                }
            }

            return Task.FromResult(new ExportMetricsServiceResponse());
        }
    }

    private sealed class LogsReceiver(OtlpReceiver receiver) : LogsService.LogsServiceBase
    {
        public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
        {
            foreach (var resourceLogs in request.ResourceLogs)
            {
                var service = ServiceName(resourceLogs.Resource);
                foreach (var record in resourceLogs.ScopeLogs.SelectMany(s => s.LogRecords))
                {
                    receiver._logs.Enqueue(new ReceivedLog(service, record.SeverityText, record.Body?.StringValue ?? ""));
                }
            }

            return Task.FromResult(new ExportLogsServiceResponse());
        }
    }
}

public sealed record ReceivedSpan(string Service, string Scope, Span Span)
{
    public string TraceId => Convert.ToHexStringLower(Span.TraceId.Span);

    public string SpanId => Convert.ToHexStringLower(Span.SpanId.Span);

    /// <summary>Empty for a root span.</summary>
    public string ParentSpanId => Convert.ToHexStringLower(Span.ParentSpanId.Span);

    public IReadOnlyDictionary<string, string> Attributes => OtlpReceiver.Attributes(Span.Attributes);
}

public sealed record ReceivedMetric(string Service, Metric Metric);

public sealed record ReceivedLog(string Service, string Severity, string Body);

/// <param name="Value">A sum's value, or a histogram's sum.</param>
/// <param name="Count">A histogram's count; 0 for a sum.</param>
public sealed record ReceivedPoint(
    string Service,
    IReadOnlyDictionary<string, string> Attributes,
    ulong TimeUnixNano,
    double Value,
    long Count,
    double[] ExplicitBounds,
    long[] BucketCounts);
