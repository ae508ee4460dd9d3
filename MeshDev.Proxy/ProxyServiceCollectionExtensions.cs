using MeshDev.Core.Discovery;
using MeshDev.Proxy.Admin;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Gateway;
using MeshDev.Proxy.Identity;
using MeshDev.Proxy.Inbound;
using MeshDev.Proxy.Inbound.Tls;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Outbound;
using MeshDev.Proxy.Tcp;
using MeshDev.Proxy.Outbound.Tls;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy;

public static class ProxyServiceCollectionExtensions
{
    /// <summary>Composes the proxy for its mode: the listeners it opens and the background work behind them.</summary>
    public static IServiceCollection AddMeshProxy(this IServiceCollection services, ProxyOptions options)
    {
        services.AddHttpForwarder();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<StatsRegistry>();
        services.AddSingleton<SnapshotStore>();
        // Outbound and Inbound read the snapshot through the view they name, so that they do not depend on Discovery.
        services.AddSingleton<ISnapshotSource<IOutboundSnapshot>>(sp => sp.GetRequiredService<SnapshotStore>());
        services.AddSingleton<ISnapshotSource<IInboundSnapshot>>(sp => sp.GetRequiredService<SnapshotStore>());
        services.AddSingleton<ControlPlaneConnectionState>();
        services.AddSingleton<UpstreamClients>();
        services.AddSingleton<RouteForwarder>();
        services.AddSingleton<RequestMirror>();
        services.AddSingleton<TcpForwarder>();
        services.AddSingleton<Readiness>();
        services.AddSingleton<AdminListener>();
        if (options.HealthPort is not null)
        {
            services.AddSingleton<HealthListener>();
        }
        services.AddSingleton(sp => new ListenerDispatcher(
            sp.GetServices<IListenerHandler>(), sp.GetServices<ITcpListenerHandler>(), sp.GetRequiredService<AdminListener>(), sp.GetService<HealthListener>()));
        services.AddSingleton<ControlPlaneClient>();
        services.AddHostedService(sp => sp.GetRequiredService<ControlPlaneClient>());
        services.AddSingleton<UpstreamConnectionSecurity>();

        if (options.Identity is { } identity)
        {
            // A workload identity brings a certificate, kept current, and mTLS on both sides of the proxy.
            services.AddSingleton(identity);
            services.AddSingleton<WorkloadCertificateStore>();
            services.AddSingleton<IWorkloadCertificateSource>(sp => sp.GetRequiredService<WorkloadCertificateStore>());
            services.AddSingleton<CertificateAuthorityClient>();
            services.AddHostedService<WorkloadCertificateRotator>();
            services.AddSingleton<UpstreamTlsConnector>();
            services.AddSingleton<IHttpUpstreamConnector>(sp => sp.GetRequiredService<UpstreamTlsConnector>());
            services.AddSingleton<ITcpUpstreamConnector, MutualTlsTcpUpstreamConnector>();
            if (options.Mode == ProxyMode.Sidecar)
            {
                services.AddSingleton<InboundConnectionSecurity>();
            }
        }
        else
        {
            services.AddSingleton<ITcpUpstreamConnector, PlainTcpUpstreamConnector>();
        }

        switch (options.Mode)
        {
            case ProxyMode.Sidecar:
                services.AddSingleton<AppHealthMonitor>();
                services.AddHostedService(sp => sp.GetRequiredService<AppHealthMonitor>());
                if (ServiceProtocols.IsTcp(options.Inbound!.Protocol))
                {
                    services.AddSingleton<ITcpListenerHandler, TcpInboundListener>();
                }
                else
                {
                    services.AddSingleton<IListenerHandler, InboundListener>();
                }

                foreach (var outbound in options.Outbound)
                {
                    if (ServiceProtocols.IsTcp(outbound.Protocol))
                    {
                        services.AddSingleton<ITcpListenerHandler>(sp => ActivatorUtilities.CreateInstance<TcpOutboundListener>(sp, outbound));
                    }
                    else
                    {
                        services.AddSingleton<IListenerHandler>(sp => ActivatorUtilities.CreateInstance<OutboundListener>(sp, outbound));
                    }
                }

                break;
            case ProxyMode.Gateway:
                services.AddSingleton<IListenerHandler, GatewayListener>();
                break;
        }

        return services;
    }
}
