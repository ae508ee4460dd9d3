using MeshDev.ControlPlane.Api;
using MeshDev.ControlPlane.ProxyAdmin;

namespace MeshDev.ControlPlane.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The proxy scraper, its traffic window and the topology it feeds.</summary>
    public static IServiceCollection AddMeshTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var options = TelemetryOptions.FromConfiguration(configuration);
        services.AddSingleton(options);
        services.AddSingleton(new TrafficWindow(options.Window, options.EdgeRetention));
        services.AddSingleton<ProxyAdminClient>();
        services.AddSingleton<TelemetryScraper>();
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryScraper>());
        services.AddSingleton<TopologyView>();
        return services;
    }
}
