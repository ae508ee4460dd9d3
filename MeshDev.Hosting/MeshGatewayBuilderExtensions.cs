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
    /// <c>localhost:<paramref name="port"/></c>. Routes are added with <see cref="WithMeshRoute"/>.
    /// </summary>
    public static IResourceBuilder<MeshGatewayResource> AddMeshGateway(this IDistributedApplicationBuilder builder, string name, int port = 9080)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var controlPlane = builder.Resources.OfType<MeshControlPlaneResource>().FirstOrDefault()
            ?? throw new DistributedApplicationException(
                $"Cannot add mesh gateway '{name}': the application has no mesh control plane. Call AddMeshControlPlane first.");

        var gateway = new MeshGatewayResource(name, MeshBinaries.DotnetHost, builder.AppHostDirectory, controlPlane);
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
                env[Env(MeshEnvironment.Proxy.Service)] = gateway.Name;
                env[Env(MeshEnvironment.Proxy.Namespace)] = controlPlane.Namespace;
                // Istio's Gateway resources select the ingress gateway by this label.
                env[Env($"{MeshEnvironment.Proxy.Labels}:istio")] = "ingressgateway";
                env[Env(MeshEnvironment.Proxy.ControlPlaneAddress)] = controlPlane.GrpcEndpoint;
                env[Env(MeshEnvironment.Proxy.GatewayPort)] = gateway.GetEndpoint(MeshGatewayResource.HttpEndpointName).Property(EndpointProperty.TargetPort);
                env[Env(MeshEnvironment.Proxy.GatewayBindAddress)] = "localhost";
                env[Env(MeshEnvironment.Proxy.AdminPort)] = gateway.GetEndpoint(MeshGatewayResource.AdminEndpointName).Property(EndpointProperty.TargetPort);
                for (var i = 0; i < gateway.Routes.Count; i++)
                {
                    var route = gateway.Routes[i];
                    env[Env($"{MeshEnvironment.Proxy.GatewayRoutes}:{i}:{(route.IsPrefix ? "Prefix" : "Exact")}")] = route.Path;
                    env[Env($"{MeshEnvironment.Proxy.GatewayRoutes}:{i}:Service")] = route.Service;
                }
            })
            .WithHttpHealthCheck("/ready", endpointName: MeshGatewayResource.AdminEndpointName)
            .WithUrlForEndpoint(MeshGatewayResource.AdminEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithIconName("ArrowEnter")
            .WaitFor(builder.CreateResourceBuilder(controlPlane))
            .WithManifestPublishingCallback(context => MeshManifest.WriteGatewayAsync(context, gateway));
    }

    /// <summary>
    /// Sends requests whose path equals <paramref name="path"/> (or starts with it, when <paramref name="prefix"/>)
    /// to the mesh service of <paramref name="target"/>, which must already be in the mesh. Routes match in the order added.
    /// </summary>
    public static IResourceBuilder<MeshGatewayResource> WithMeshRoute(
        this IResourceBuilder<MeshGatewayResource> gateway,
        string path,
        IResourceBuilder<IResourceWithEndpoints> target,
        bool prefix = false)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(target);
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            throw new DistributedApplicationException($"Gateway '{gateway.Resource.Name}': route path '{path}' must start with '/'.");
        }
        var sidecar = MeshSidecarBuilderExtensions.FindSidecar(gateway.ApplicationBuilder, target.Resource)
            ?? throw new DistributedApplicationException(
                $"Gateway '{gateway.Resource.Name}' routes '{path}' to '{target.Resource.Name}', but '{target.Resource.Name}' is not in the mesh: " +
                $"call WithMeshSidecar on '{target.Resource.Name}' first.");

        gateway.Resource.Routes.Add(new MeshGatewayRoute(path, prefix, sidecar.Service));
        return gateway;
    }
}
