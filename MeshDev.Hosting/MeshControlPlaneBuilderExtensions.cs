using Aspire.Hosting.ApplicationModel;
using MeshDev.Core;
using MeshDev.Hosting;

namespace Aspire.Hosting;

/// <summary>Adds the MeshDev control plane to an Aspire application.</summary>
public static class MeshControlPlaneBuilderExtensions
{
    /// <summary>
    /// Adds the control plane: the registry of sidecars, the config push stream and the mesh dashboard with its
    /// HTTP API on <paramref name="httpPort"/> (15080 unless given).
    /// </summary>
    public static IResourceBuilder<MeshControlPlaneResource> AddMeshControlPlane(
        this IDistributedApplicationBuilder builder,
        string name,
        int? httpPort = MeshControlPlaneResource.DefaultHttpPort)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (builder.Resources.OfType<MeshControlPlaneResource>().FirstOrDefault() is { } existing)
        {
            throw new DistributedApplicationException(
                $"Cannot add mesh control plane '{name}': the application already has one ('{existing.Name}'). One mesh has one control plane.");
        }

        var resource = new MeshControlPlaneResource(name, MeshBinaries.DotnetHost, builder.AppHostDirectory);
        return builder.AddResource(resource)
            // Resolved when the process starts, so publishing a manifest does not need the binaries.
            .WithArgs(context => context.Args.Add(MeshBinaries.ControlPlaneAssembly))
            // The dashboard keeps its well-known port; nothing in front of it.
            .WithHttpEndpoint(port: httpPort, name: MeshControlPlaneResource.HttpEndpointName, isProxied: false)
            // Proxies reach gRPC through a stable address that survives a restart of the control plane.
            .WithHttpEndpoint(name: MeshControlPlaneResource.GrpcEndpointName)
            .WithEndpoint(MeshControlPlaneResource.GrpcEndpointName, endpoint => endpoint.Transport = "http2")
            .WithEnvironment(context =>
            {
                var env = context.EnvironmentVariables;
                env[Env(MeshEnvironment.ControlPlane.HttpPort)] = resource.HttpEndpoint.Property(EndpointProperty.TargetPort);
                env[Env(MeshEnvironment.ControlPlane.GrpcPort)] = resource.GrpcEndpoint.Property(EndpointProperty.TargetPort);
            })
            .WithHttpHealthCheck("/health", endpointName: MeshControlPlaneResource.HttpEndpointName)
            .WithUrlForEndpoint(MeshControlPlaneResource.HttpEndpointName, url => url.DisplayText = "Mesh dashboard")
            .WithUrlForEndpoint(MeshControlPlaneResource.GrpcEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithIconName("Organization")
            .WithManifestPublishingCallback(context => MeshManifest.WriteControlPlaneAsync(context, resource));
    }

    internal static string Env(string key) => MeshEnvironment.ToEnvironmentVariable(key);
}
