using System.Globalization;
using System.Text;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.ControlPlane.Telemetry;

/// <summary>
/// Admin listeners, one path per proxy, that serve Istio's standard metrics in the Prometheus text format for
/// traffic a test scripts (so many requests per second between two workloads, a share of 503s, a latency), the
/// counters growing in real time: the caller's proxy reports each request as source, the callee's as destination.
/// It stands in for proxies whose own telemetry the test does not run.
/// </summary>
public sealed class ScriptedIstioMetrics : IAsyncDisposable
{
    private static readonly double[] Bounds = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private readonly Lock _lock = new();
    private readonly List<TrafficFlow> _flows = [];
    private readonly TestBackend _backend;
    private readonly Timer _clock;

    private ScriptedIstioMetrics(TestBackend backend)
    {
        _backend = backend;
        _clock = new Timer(_ => Tick(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
    }

    public static async Task<ScriptedIstioMetrics> StartAsync()
    {
        ScriptedIstioMetrics? metrics = null;
        var backend = await TestBackend.StartAsync(context => metrics!.ServeAsync(context));
        return metrics = new ScriptedIstioMetrics(backend);
    }

    /// <summary>What a proxy registers as its adminUrl to be served by this.</summary>
    public string AdminUrlOf(string proxyId) => $"{_backend.Url}{proxyId}/";

    /// <summary>Starts traffic from one workload to another; proxies are the ones that report each side.</summary>
    public void Flow(Workload source, Workload destination, double requestsPerSecond, double errorShare = 0, double latencyMs = 8, bool mutualTls = true)
    {
        lock (_lock)
        {
            _flows.Add(new TrafficFlow(source, destination, requestsPerSecond, errorShare, latencyMs, mutualTls, DateTime.UtcNow));
        }
    }

    /// <summary>Stops a flow; its counters stay where they are, as a proxy's do when traffic ends.</summary>
    public void Stop(Workload source, Workload destination)
    {
        lock (_lock)
        {
            foreach (var flow in _flows.Where(f => f.Source == source && f.Destination == destination))
            {
                flow.Stopped = true;
            }
        }
    }

    private void Tick()
    {
        var now = DateTime.UtcNow;
        lock (_lock)
        {
            foreach (var flow in _flows.Where(f => !f.Stopped))
            {
                var due = (long)((now - flow.Started).TotalSeconds * flow.RequestsPerSecond);
                while (flow.Requests < due)
                {
                    flow.Requests++;
                    // Every n-th request fails, and latencies spread from half to one and a half times the typical one.
                    if (flow.ErrorShare > 0 && flow.Requests % Math.Max(1, (long)Math.Round(1 / flow.ErrorShare)) == 0)
                    {
                        flow.Errors++;
                    }

                    var latency = flow.LatencyMs * (0.5 + (flow.Requests % 11) / 10.0);
                    for (var i = 0; i < Bounds.Length; i++)
                    {
                        if (latency <= Bounds[i])
                        {
                            flow.Buckets[i]++;
                        }
                    }

                    flow.LatencySum += latency;
                }
            }
        }
    }

    private Task ServeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        const string suffix = "/stats/prometheus";
        if (!path.EndsWith(suffix, StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        }

        var proxyId = path[1..^suffix.Length];
        context.Response.ContentType = "text/plain; version=0.0.4";
        return context.Response.WriteAsync(Exposition(proxyId));
    }

    private string Exposition(string proxyId)
    {
        var requests = new StringBuilder("# TYPE istio_requests_total counter\n");
        var durations = new StringBuilder("# TYPE istio_request_duration_milliseconds histogram\n");
        lock (_lock)
        {
            foreach (var flow in _flows)
            {
                foreach (var reporter in new[] { "source", "destination" })
                {
                    var reportingProxy = reporter == "source" ? flow.Source.ProxyId : flow.Destination.ProxyId;
                    if (reportingProxy != proxyId)
                    {
                        continue;
                    }

                    var labels = Labels(flow, reporter);
                    requests.Append(CultureInfo.InvariantCulture, $"istio_requests_total{{{labels},response_code=\"200\"}} {flow.Requests - flow.Errors}\n");
                    if (flow.ErrorShare > 0)
                    {
                        requests.Append(CultureInfo.InvariantCulture, $"istio_requests_total{{{labels},response_code=\"503\"}} {flow.Errors}\n");
                    }

                    for (var i = 0; i < Bounds.Length; i++)
                    {
                        durations.Append(CultureInfo.InvariantCulture, $"istio_request_duration_milliseconds_bucket{{{labels},le=\"{Bounds[i]}\"}} {flow.Buckets[i]}\n");
                    }

                    durations.Append(CultureInfo.InvariantCulture, $"istio_request_duration_milliseconds_bucket{{{labels},le=\"+Inf\"}} {flow.Requests}\n");
                    durations.Append(CultureInfo.InvariantCulture, $"istio_request_duration_milliseconds_sum{{{labels}}} {flow.LatencySum}\n");
                    durations.Append(CultureInfo.InvariantCulture, $"istio_request_duration_milliseconds_count{{{labels}}} {flow.Requests}\n");
                }
            }
        }

        return requests.Append(durations).ToString();
    }

    private static string Labels(TrafficFlow flow, string reporter) =>
        $"reporter=\"{reporter}\",source_workload=\"{flow.Source.Name}\",source_app=\"{flow.Source.App}\",source_version=\"{flow.Source.Version}\"," +
        $"destination_workload=\"{flow.Destination.Name}\",destination_app=\"{flow.Destination.App}\",destination_version=\"{flow.Destination.Version}\"," +
        $"destination_service=\"{flow.Destination.App}.default.svc.cluster.local\",request_protocol=\"http\",response_flags=\"-\"," +
        $"connection_security_policy=\"{(flow.MutualTls ? "mutual_tls" : "none")}\"";

    public async ValueTask DisposeAsync()
    {
        await _clock.DisposeAsync();
        await _backend.DisposeAsync();
    }

    /// <summary>A workload as the metrics name it, and the proxy that reports for it.</summary>
    public sealed record Workload(string Name, string App, string Version, string ProxyId);

    private sealed class TrafficFlow(Workload source, Workload destination, double requestsPerSecond, double errorShare, double latencyMs, bool mutualTls, DateTime started)
    {
        public Workload Source => source;
        public Workload Destination => destination;
        public double RequestsPerSecond => requestsPerSecond;
        public double ErrorShare => errorShare;
        public double LatencyMs => latencyMs;
        public bool MutualTls => mutualTls;
        public DateTime Started => started;
        public bool Stopped { get; set; }
        public long Requests { get; set; }
        public long Errors { get; set; }
        public long[] Buckets { get; } = new long[Bounds.Length];
        public double LatencySum { get; set; }
    }
}
