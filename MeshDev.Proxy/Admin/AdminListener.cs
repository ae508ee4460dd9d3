using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// The admin listener, loopback only, in Envoy's spirit: GET /config_dump, /stats (?format=json),
/// /stats/prometheus, /ready and /certs. It is not among the traffic listeners it describes.
/// </summary>
public sealed class AdminListener(
    ProxyOptions options,
    SnapshotStore snapshots,
    StatsRegistry stats,
    Readiness readiness,
    IEnumerable<IListenerHandler> trafficListeners,
    IEnumerable<ITcpListenerHandler> tcpListeners,
    TimeProvider time,
    Telemetry.Mesh.MeshMetricsCollector meshMetrics,
    Identity.WorkloadCertificateStore? certificates = null) : IListenerHandler
{
    public ListenerDescription Description { get; } =
        new("admin", "127.0.0.1", options.AdminPort, ServiceProtocol.Http, ListenerDirection.Admin, options.Service);

    public Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return Task.CompletedTask;
        }

        return request.Path.Value switch
        {
            "/config_dump" => WriteAsync(context, StatusCodes.Status200OK, "application/json", ConfigDump()),
            "/stats" when request.Query["format"] == "json" =>
                WriteAsync(context, StatusCodes.Status200OK, "application/json", StatsWriters.WriteJson(stats)),
            "/stats" when request.Query["format"] == "prometheus" => WritePrometheusAsync(context),
            "/stats" => WriteAsync(context, StatusCodes.Status200OK, "text/plain; charset=utf-8", StatsWriters.WriteText(stats)),
            "/stats/prometheus" => WritePrometheusAsync(context),
            "/ready" => ReadyAsync(context),
            "/certs" => WriteAsync(context, StatusCodes.Status200OK, "application/json",
                CertificatesWriter.Write(certificates, snapshots.Current, time.GetUtcNow())),
            _ => WriteAsync(context, StatusCodes.Status404NotFound, "text/plain; charset=utf-8",
                "not found; try /config_dump, /stats, /stats?format=json, /stats/prometheus, /ready or /certs\n"),
        };
    }

    private byte[] ConfigDump()
    {
        var listeners = trafficListeners.Select(h => h.Description).Concat(tcpListeners.Select(h => h.Description));
        return ConfigDumpWriter.Write(options, snapshots.Current, snapshots.LastRejected, listeners);
    }

    private Task ReadyAsync(HttpContext context)
    {
        var reasons = readiness.Reasons();
        var body = AdminJson.Serialize(new ReadinessJson(reasons.Count == 0, reasons.Count > 0 ? reasons : null),
            AdminJsonContext.Default.ReadinessJson, AdminJson.Compact);
        var status = reasons.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return WriteAsync(context, status, "application/json", body);
    }

    private Task WritePrometheusAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status200OK, "text/plain; version=0.0.4; charset=utf-8",
            StatsWriters.WritePrometheus(stats.All().Concat(meshMetrics.Series())));

    private static Task WriteAsync(HttpContext context, int status, string contentType, string body) =>
        WriteAsync(context, status, contentType, System.Text.Encoding.UTF8.GetBytes(body));

    private static Task WriteAsync(HttpContext context, int status, string contentType, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(body).AsTask();
    }
}
