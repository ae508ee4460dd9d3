using System.Collections.Concurrent;
using MeshDev.ControlPlane.ProxyAdmin;
using MeshDev.ControlPlane.Registry;

namespace MeshDev.ControlPlane.Telemetry;

/// <summary>
/// Reads every connected proxy's /stats/prometheus once per interval into the traffic window. Proxies are
/// scraped in parallel, each with its own timeout: one that does not answer (starting, stopped, or without Istio
/// metrics yet) costs a log line when it starts failing, never the others' numbers.
/// </summary>
public sealed partial class TelemetryScraper : BackgroundService
{
    private readonly IWorkloadRegistry _registry;
    private readonly TrafficWindow _window;
    private readonly ProxyAdminClient _admin;
    private readonly TelemetryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TelemetryScraper> _logger;
    private readonly ConcurrentDictionary<string, string> _failing = new(StringComparer.Ordinal);

    public TelemetryScraper(IWorkloadRegistry registry, TrafficWindow window, ProxyAdminClient admin, TelemetryOptions options,
        TimeProvider time, ILogger<TelemetryScraper> logger)
    {
        _registry = registry;
        _window = window;
        _admin = admin;
        _options = options;
        _time = time;
        _logger = logger;
        registry.Changed += change =>
        {
            if (change.Kind == RegistryChangeKind.Removed)
            {
                _window.Forget(change.ProxyId);
                _failing.TryRemove(change.ProxyId, out _);
            }
        };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.ScrapeInterval, _time);
        try
        {
            do
            {
                await ScrapeAllAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round over every connected proxy that has an admin listener.</summary>
    public Task ScrapeAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_registry.GetAll()
            .Where(w => w.Connected && !string.IsNullOrEmpty(w.AdminUrl))
            .Select(w => ScrapeAsync(w, cancellationToken)));

    private async Task ScrapeAsync(Workload workload, CancellationToken cancellationToken)
    {
        try
        {
            var text = await _admin.GetPrometheusAsync(workload.AdminUrl, _options.ScrapeTimeout, cancellationToken);
            var samples = PrometheusTextParser.Parse(text, IstioSeriesKey.IsTopologyMetric);
            _window.Record(workload.ProxyId, _time.GetUtcNow(), samples);
            if (_failing.TryRemove(workload.ProxyId, out _))
            {
                LogRecovered(workload.ProxyId);
            }
        }
        catch (Exception exception) when (exception is ProxyAdminUnavailableException or PrometheusFormatException)
        {
            if (_failing.TryAdd(workload.ProxyId, exception.Message))
            {
                LogScrapeFailed(workload.ProxyId, exception.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cannot scrape the metrics of proxy {ProxyId}: {Reason}; its edges keep their last values until it answers")]
    private partial void LogScrapeFailed(string proxyId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scraping the metrics of proxy {ProxyId} again")]
    private partial void LogRecovered(string proxyId);
}
