using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Telemetry.AccessLog;
using MeshDev.Proxy.Telemetry.Mesh;
using MeshDev.Proxy.Telemetry.Tracing;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MeshDev.Proxy.Telemetry;

public static class TelemetryHostingExtensions
{
    /// <summary>The OTLP endpoint variable Aspire sets on resources that export telemetry (WithOtlpExporter).</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Istio's standard metrics, the proxy's spans and access logs. Metrics are always kept for the admin listener's
    /// /stats/prometheus; with an OTLP endpoint (Aspire sets one) metrics, spans and the proxy's own logs are exported
    /// to it. Spans are made even without an exporter: their ids are what the proxy propagates and logs.
    /// </summary>
    public static WebApplicationBuilder AddMeshTelemetry(this WebApplicationBuilder builder, ProxyOptions options)
    {
        var services = builder.Services;
        services.AddSingleton<IstioMetrics>();
        services.AddSingleton<MeshMetricsCollector>();
        services.AddSingleton<MeshTelemetry>();
        services.AddSingleton<ITcpTelemetry, TcpTelemetry>();
        services.AddSingleton<AccessLogWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());

        if (!options.Telemetry.Enabled)
        {
            return builder;
        }

        var exportsOtlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // Aspire names the resource by OTEL_SERVICE_NAME; a proxy started by hand is named by its proxy id.
                if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
                {
                    resource.AddService(options.ProxyId);
                }
            })
            .WithTracing(tracing => tracing
                .AddSource(ProxySpans.SourceName)
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.Telemetry.TraceSamplingPercentage / 100))));

        if (exportsOtlp)
        {
            telemetry.WithMetrics(metrics => metrics.AddMeter(IstioMetrics.MeterName));
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            });
            telemetry.UseOtlpExporter();
        }

        return builder;
    }
}
