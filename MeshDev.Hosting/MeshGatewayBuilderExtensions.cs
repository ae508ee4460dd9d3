using Aspire.Hosting.ApplicationModel;
using MeshDev.Core;
using MeshDev.Hosting;
using static Aspire.Hosting.MeshControlPlaneBuilderExtensions;

namespace Aspire.Hosting;

/// <summary>Adds the mesh's ingress gateway.</summary>
public static class MeshGatewayBuilderExtensions
{
    /// <summary>
    /// Adds the ingress gateway of the application's mesh (add the control plane first), listening on
    /// <c>localhost:<paramref name="port"/></c>. It carries the label <c>istio: ingressgateway</c>, so Istio
    /// <c>Gateway</c> resources select it, and its routes are the VirtualServices bound to them.
    /// </summary>
    /// <param name="servicePort">The gateway's port as Gateway resources name it (Istio's ingress gateway: 80).</param>
    /// <param name="namespace">The gateway's namespace, Istio's root namespace istio-system unless given.</param>
    /// <param name="serviceAccount">The gateway's service account (Istio's: istio-ingressgateway-service-account).</param>
    public static IResourceBuilder<MeshGatewayResource> AddMeshGateway(
        this IDistributedApplicationBuilder builder, string name, int port = 9080, int servicePort = 80,
        string @namespace = MeshGatewayResource.DefaultNamespace, string serviceAccount = MeshGatewayResource.DefaultServiceAccount)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var controlPlane = builder.Resources.OfType<MeshControlPlaneResource>().FirstOrDefault()
            ?? throw new DistributedApplicationException(
                $"Cannot add mesh gateway '{name}': the application has no mesh control plane. Call AddMeshControlPlane first.");

        var identity = MeshIdentity.For(controlPlane, @namespace, serviceAccount, name);
        var gateway = new MeshGatewayResource(name, MeshBinaries.DotnetHost, builder.AppHostDirectory, controlPlane, identity) { ServicePort = servicePort };
        return builder.AddResource(gateway)
            .WithArgs(context => context.Args.Add(MeshBinaries.ProxyAssembly))
            // The gateway owns its published port, as an ingress gateway's Service does on a cluster.
            .WithHttpEndpoint(port: port, name: MeshGatewayResource.HttpEndpointName, isProxied: false)
            .WithHttpEndpoint(name: MeshGatewayResource.AdminEndpointName)
            .WithEnvironment(context =>
            {
                var env = context.EnvironmentVariables;
                env[Env(MeshEnvironment.Proxy.Mode)] = "gateway";
                env[Env(MeshEnvironment.Proxy.ProxyId)] = gateway.Name;
                env[Env(MeshEnvironment.Proxy.Workload)] = gateway.Name;
                env[Env(MeshEnvironment.Proxy.Service)] = gateway.Name;
                // Its own namespace, which its identity names; its routes still reach services in theirs.
                env[Env(MeshEnvironment.Proxy.Namespace)] = gateway.Identity.Namespace;
                // Istio's Gateway resources select the ingress gateway by this label.
                env[Env($"{MeshEnvironment.Proxy.Labels}:istio")] = "ingressgateway";
                env[Env(MeshEnvironment.Proxy.ControlPlaneAddress)] = controlPlane.GrpcEndpoint;
                env[Env(MeshEnvironment.Proxy.GatewayPort)] = gateway.GetEndpoint(MeshGatewayResource.HttpEndpointName).Property(EndpointProperty.TargetPort);
                env[Env(MeshEnvironment.Proxy.GatewayBindAddress)] = "localhost";
                env[Env(MeshEnvironment.Proxy.AdminPort)] = gateway.GetEndpoint(MeshGatewayResource.AdminEndpointName).Property(EndpointProperty.TargetPort);
                env[Env(MeshEnvironment.Proxy.GatewayServicePort)] = servicePort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            })
            .WithEnvironment(context => MeshIdentity.AddEnvironmentAsync(context, controlPlane, gateway.Identity))
            .WithOtlpExporter()
            .WithHttpHealthCheck("/ready", endpointName: MeshGatewayResource.AdminEndpointName)
            .WithUrlForEndpoint(MeshGatewayResource.AdminEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithIconName("ArrowEnter")
            .WaitFor(builder.CreateResourceBuilder(controlPlane))
            .WithManifestPublishingCallback(context => MeshManifest.WriteGatewayAsync(context, gateway));
    }
}
