using MeshDev.ControlPlane.ProxyAdmin;

namespace MeshDev.ControlPlane.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The proxy scraper and its traffic window (the API's topology view reads it).</summary>
    public static IServiceCollection AddMeshTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var options = TelemetryOptions.FromConfiguration(configuration);
        services.AddSingleton(options);
        services.AddSingleton(new TrafficWindow(options.Window, options.EdgeRetention));
        services.AddSingleton<ProxyAdminClient>();
        services.AddSingleton<TelemetryScraper>();
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryScraper>());
        return services;
    }
}
