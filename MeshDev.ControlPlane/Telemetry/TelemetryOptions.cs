namespace MeshDev.ControlPlane.Telemetry;

/// <summary>How often the control plane scrapes proxies, and over how long the topology's numbers are taken.</summary>
public sealed class TelemetryOptions
{
    public const string ScrapeIntervalKey = "Mesh:ControlPlane:Telemetry:ScrapeInterval";
    public const string WindowKey = "Mesh:ControlPlane:Telemetry:Window";
    public const string EdgeRetentionKey = "Mesh:ControlPlane:Telemetry:EdgeRetention";

    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Sliding window of the rates, error rates and latency quantiles.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an edge stays in the topology after its last request.</summary>
    public TimeSpan EdgeRetention { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A scrape that takes longer counts as a proxy that did not answer; shorter than the interval, so that one
    /// slow proxy never delays the next round of the others.
    /// </summary>
    public TimeSpan ScrapeTimeout => ScrapeInterval * 0.8;

    public static TelemetryOptions FromConfiguration(IConfiguration configuration)
    {
        var defaults = new TelemetryOptions();
        var options = new TelemetryOptions
        {
            ScrapeInterval = ControlPlaneOptions.ReadDuration(configuration, ScrapeIntervalKey, defaults.ScrapeInterval),
            Window = ControlPlaneOptions.ReadDuration(configuration, WindowKey, defaults.Window),
            EdgeRetention = ControlPlaneOptions.ReadDuration(configuration, EdgeRetentionKey, defaults.EdgeRetention),
        };

        if (options.ScrapeInterval < TimeSpan.FromMilliseconds(100))
        {
            throw new InvalidOperationException(
                $"Configuration '{ScrapeIntervalKey}' is {options.ScrapeInterval.TotalSeconds} s; expected at least 0.1 s.");
        }

        if (options.Window < options.ScrapeInterval * 2)
        {
            throw new InvalidOperationException(
                $"Configuration '{WindowKey}' is {options.Window.TotalSeconds} s; expected at least two scrape intervals ({(options.ScrapeInterval * 2).TotalSeconds} s), or no rate can be taken.");
        }

        return options;
    }
}
