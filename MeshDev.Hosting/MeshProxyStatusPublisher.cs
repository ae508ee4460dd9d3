using System.Collections.Immutable;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using MeshDev.Core.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshDev.Hosting;

/// <summary>
/// Shows on each proxy's resource in the Aspire dashboard which config it runs: the snapshot version it has ACKed,
/// the mesh config version that snapshot was compiled from, and whether it is in sync — read from the control plane's
/// /api/v1/proxies every two seconds while the control plane is up.
/// </summary>
internal static class MeshProxyStatusPublisher
{
    public const string AckedVersionProperty = "mesh.config.ackedVersion";
    public const string ConfigVersionProperty = "mesh.config.configVersion";
    public const string InSyncProperty = "mesh.config.inSync";

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    public static void Subscribe(IDistributedApplicationBuilder builder, MeshControlPlaneResource controlPlane)
    {
        var started = 0;
        builder.Eventing.Subscribe<ResourceReadyEvent>(controlPlane, (@event, cancellationToken) =>
        {
            // Ready fires again after a restart of the control plane; one loop follows it across restarts.
            if (Interlocked.Exchange(ref started, 1) == 0)
            {
                var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                _ = Task.Run(() => RunAsync(@event.Services, controlPlane, stopping), stopping);
            }
            return Task.CompletedTask;
        });
    }

    private static async Task RunAsync(IServiceProvider services, MeshControlPlaneResource controlPlane, CancellationToken stopping)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MeshProxyStatusPublisher).FullName!);
        var model = services.GetRequiredService<DistributedApplicationModel>();
        using var client = await controlPlane.CreateApiClientAsync(TimeSpan.FromSeconds(5), stopping);
        var published = new Dictionary<string, (string?, long?, bool)>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(Interval);
        do
        {
            ProxyResponse[] proxies;
            try
            {
                proxies = await client.GetFromJsonAsync("/api/v1/proxies", MeshApiJsonContext.Default.ProxyResponseArray, stopping) ?? [];
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException && !stopping.IsCancellationRequested)
            {
                // The control plane is restarting or stopped; the proxies keep what they have, and so do the properties.
                logger.LogDebug("Mesh proxy status not read: {Reason}", exception.Message);
                continue;
            }

            foreach (var proxy in proxies)
            {
                var id = proxy.Id;
                if (id is null || model.Resources.FirstOrDefault(r => r.Name == id && r is MeshSidecarResource or MeshGatewayResource) is not { } resource)
                {
                    continue;
                }
                var (acked, configVersion, inSync) = (proxy.AckedVersion, proxy.ConfigVersion, proxy.InSync);
                if (published.TryGetValue(id, out var last) && last == (acked, configVersion, inSync))
                {
                    continue;
                }
                published[id] = (acked, configVersion, inSync);
                await notifications.PublishUpdateAsync(resource, snapshot => snapshot with
                {
                    Properties = snapshot.Properties
                        .SetProperty(AckedVersionProperty, acked ?? "")
                        .SetProperty(ConfigVersionProperty, configVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "")
                        .SetProperty(InSyncProperty, inSync ? "true" : "false"),
                });
            }
        }
        while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false));
    }

    internal static ImmutableArray<ResourcePropertySnapshot> SetProperty(this ImmutableArray<ResourcePropertySnapshot> properties, string name, string value) =>
        [.. properties.Where(p => p.Name != name), new ResourcePropertySnapshot(name, value)];
}
