using MeshDev.ControlPlane.Api;
using MeshDev.ControlPlane.Api.Access;
using MeshDev.ControlPlane.Certificates;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Dashboard;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Push.Delivery;
using MeshDev.ControlPlane.Registry;
using MeshDev.ControlPlane.Telemetry;
using MeshDev.Core.Api;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MeshDev.ControlPlane;

/// <summary>
/// Composes the control plane. Program.cs only calls this, so tests start the very same app in-process
/// (with port 0 and short timings passed as arguments).
/// </summary>
public static class ControlPlaneApp
{
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);

        var options = ControlPlaneOptions.FromConfiguration(builder.Configuration);
        var listeners = new ControlPlaneListeners(options);
        builder.WebHost.ConfigureKestrel(listeners.Configure);
        builder.AddServiceDefaults();
        // Hosting's "Request starting" line carries the query string, and the dashboard's /login?t= link carries the API
        // token: that category never logs below Warning, whatever the configured default level.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(listeners);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<MeshChangeSignal>();
        builder.Services.AddSingleton<IProxyLiveness, AdminListenerLiveness>();
        builder.Services.AddSingleton<IWorkloadRegistry, WorkloadRegistry>();
        builder.Services.AddSingleton<JwksCache>();
        // TryAdd: a hosting startup (run before this) may have put its own in place, as the tests' fault hook does.
        builder.Services.TryAddSingleton<ISnapshotCompiler, SnapshotCompiler>();
        builder.Services.AddSingleton<SnapshotInputsReader>();
        builder.Services.AddSingleton<ProxySyncTracker>();
        builder.Services.AddSingleton<ProxyConnectionHub>();
        builder.Services.AddSingleton<PushScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PushScheduler>());
        builder.Services.AddSingleton<StartupWarmup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StartupWarmup>());
        builder.Services.AddSingleton<MeshViews>();
        builder.Services.AddSingleton<TopologyView>();
        builder.Services.AddSingleton<KnownServices>();
        builder.Services.AddSingleton(sp => new AppliedConfigFolder(
            Path.Combine(options.DataDirectory!, AppliedConfigFolder.FolderName), sp.GetRequiredService<ILogger<AppliedConfigFolder>>()));
        builder.Services.AddSingleton<IConfigStore, ConfigStore>();
        builder.Services.AddSingleton<ConfigDirectoryWatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConfigDirectoryWatcher>());
        builder.Services.AddCertificateAuthority(builder.Configuration);
        builder.Services.AddMeshTelemetry(builder.Configuration);
        builder.Services.AddSingleton(sp => ApiToken.Load(
            builder.Configuration, sp.GetRequiredService<CertificateAuthorityOptions>().DataDirectory, sp.GetRequiredService<ILogger<ApiToken>>()));
        builder.Services.AddSingleton<ApiAccess>();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();

        // Resolved up front so it hears every registry change, including removals before the first API call.
        app.Services.GetRequiredService<ProxySyncTracker>();
        // Resolved up front so it is subscribed to the change signal before anything (the config loaded below) publishes.
        app.Services.GetRequiredService<PushScheduler>();
        // Loaded (or made) now, so a CA that cannot be used stops the start with its error instead of failing the first CSR.
        app.Services.GetRequiredService<CertificateAuthority>();
        // Loaded now, before any listener or hosted service starts: the first snapshot any proxy gets already carries
        // the watched folder and the config applied through the API before this start.
        app.Services.GetRequiredService<ConfigDirectoryWatcher>().LoadAtStart();
        // Made (or read) now, after the CA has made the data folder, so that a bare run's token file exists before any client asks.
        app.Services.GetRequiredService<ApiToken>();

        app.UseExceptionHandler(error => error.Run(context =>
            context.Response.WriteAsJsonAsync(new ErrorResponse(
                context.Features.Get<IExceptionHandlerFeature>()?.Error is BadHttpRequestException bad
                    ? bad.Message
                    : "The control plane failed to handle this request; see its log."))));
        app.UseRouting();
        app.Use(ControlPlaneListeners.KeepEndpointsOnTheirListener);
        // After routing, so that it knows which reads need the token; before every endpoint, so that a refusal changes nothing.
        var access = app.Services.GetRequiredService<ApiAccess>();
        app.Use(access.InvokeAsync);

        app.MapGrpcService<MeshDiscoveryService>();
        app.MapGrpcService<MeshCertificatesService>();
        app.MapControlPlaneApi();
        app.MapDashboard();
        app.MapDefaultEndpoints();

        return app;
    }

    /// <summary>The listeners' addresses; ports chosen by the OS (port 0) are known once the app has started.</summary>
    public static ControlPlaneListeners GetListeners(this WebApplication app) => app.Services.GetRequiredService<ControlPlaneListeners>();
}
