using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using MeshDev.Tests.Telemetry.Infrastructure;

namespace MeshDev.Tests.EndToEnd;

/// <summary>
/// Bookinfo with every resource — apps, sidecars, gateway, control plane — exporting its OpenTelemetry data to a
/// test OTLP receiver instead of the Aspire dashboard. The testing builder runs no dashboard, so the receiver's
/// address is set on each resource here, after the AppHost's own export settings, which it overrides.
/// </summary>
public sealed class TelemetryExportFixture : BookinfoAppFixture, IAsyncLifetime
{
    private OtlpReceiver? _receiver;

    public OtlpReceiver Receiver => _receiver ?? throw new InvalidOperationException("The receiver has not started.");

    protected override void ConfigureAppHost(IDistributedApplicationTestingBuilder builder)
    {
        // The model is built synchronously; the receiver must listen before any resource starts exporting.
        _receiver = OtlpReceiver.StartAsync().GetAwaiter().GetResult();
        foreach (var resource in builder.Resources.OfType<IResourceWithEnvironment>().ToArray())
        {
            var exporter = builder.CreateResourceBuilder(resource);
            foreach (var (name, value) in _receiver.ExporterEnvironment)
            {
                exporter.WithEnvironment(name, value);
            }

            exporter.WithEnvironment("OTEL_SERVICE_NAME", resource.Name);
        }
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
    }
}
