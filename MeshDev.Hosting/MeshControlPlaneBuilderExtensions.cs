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
        MeshProxyStatusPublisher.Subscribe(builder, resource);
        MeshRestartSupervisor.Subscribe(builder);
        // Generated for each run and never persisted: tokens minted by an earlier run stop proving anything.
        var bootstrapKey = builder.AddParameter($"{name}-bootstrap-key",
            new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: false);
        resource.BootstrapKey = bootstrapKey.Resource;
        var controlPlane = builder.AddResource(resource);
        bootstrapKey.WithParentRelationship(resource);
        if (builder.ExecutionContext.IsRunMode)
        {
            // A run's own credential for the HTTP API, like the bootstrap key: a deployment brings its own (a Secret).
            var apiToken = builder.AddParameter($"{name}-api-token",
                new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: false);
            resource.ApiToken = apiToken.Resource;
            apiToken.WithParentRelationship(resource);
            MeshApiTokenFile.Subscribe(builder, resource);
        }
        MeshDev.Hosting.Kubernetes.KubernetesPublishing.AddStep(builder, resource);
        return controlPlane
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
                // Config may name these hosts before any of their sidecars has connected.
                var services = resource.Sidecars.Select(sidecar => sidecar.Service).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                foreach (var (service, index) in services.Select((service, index) => (service, index)))
                {
                    env[Env($"{MeshEnvironment.ControlPlane.Services}:{index}")] = service;
                }
                if (resource.ConfigDirectory is { } configDirectory)
                {
                    env[Env(MeshEnvironment.ControlPlane.ConfigDirectory)] = configDirectory;
                }
                env[Env(MeshEnvironment.ControlPlane.DataDirectory)] = resource.DataDirectory;
                env[Env(MeshEnvironment.ControlPlane.TrustDomain)] = resource.TrustDomain;
                // A reference to the secret parameter: resolved when the process starts, written as one in the manifest.
                env[Env(MeshEnvironment.ControlPlane.BootstrapKey)] = resource.BootstrapKey;
                if (resource.ApiToken is { } apiToken)
                {
                    env[Env(MeshEnvironment.ControlPlane.ApiToken)] = apiToken;
                }
            })
            .WithOtlpExporter()
            .WithHttpHealthCheck("/health", endpointName: MeshControlPlaneResource.HttpEndpointName)
            .WithUrls(context => MeshApiTokenFile.DashboardLoginUrlAsync(context, resource))
            .WithUrlForEndpoint(MeshControlPlaneResource.GrpcEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithIconName("Organization")
            .WithManifestPublishingCallback(context => MeshManifest.WriteControlPlaneAsync(context, resource));
    }

    /// <summary>
    /// Loads the Istio YAML files (VirtualService, DestinationRule, Gateway) in <paramref name="path"/> into the mesh
    /// and watches the folder: a saved file takes effect without a restart, and a file the control plane refuses
    /// leaves the config it had in force. The path is relative to the AppHost's project directory.
    /// </summary>
    public static IResourceBuilder<MeshControlPlaneResource> WithMeshConfigDirectory(
        this IResourceBuilder<MeshControlPlaneResource> controlPlane, string path)
    {
        ArgumentNullException.ThrowIfNull(controlPlane);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var appHostDirectory = controlPlane.ApplicationBuilder.AppHostDirectory;
        var fullPath = Path.GetFullPath(path, appHostDirectory);
        if (!Directory.Exists(fullPath))
        {
            throw new DistributedApplicationException(
                $"Mesh control plane '{controlPlane.Resource.Name}': config directory '{path}' does not exist (looked at {fullPath}).");
        }
        // Kept relative so that the manifest does not name a path on this machine.
        controlPlane.Resource.ConfigDirectory = Path.GetRelativePath(appHostDirectory, fullPath);
        return controlPlane;
    }

    /// <summary>
    /// Keeps the control plane's state (its certificate authority's root key and certificate) in <paramref name="path"/>,
    /// relative to the AppHost's project directory, instead of <c>.meshdev/&lt;name&gt;</c>. The control plane makes the
    /// folder owner-only and puts a <c>.gitignore</c> in it; keep it out of source control all the same.
    /// </summary>
    public static IResourceBuilder<MeshControlPlaneResource> WithMeshDataDirectory(
        this IResourceBuilder<MeshControlPlaneResource> controlPlane, string path)
    {
        ArgumentNullException.ThrowIfNull(controlPlane);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var appHostDirectory = controlPlane.ApplicationBuilder.AppHostDirectory;
        // Kept relative so that the manifest does not name a path on this machine.
        controlPlane.Resource.DataDirectory = Path.GetRelativePath(appHostDirectory, Path.GetFullPath(path, appHostDirectory));
        return controlPlane;
    }

    /// <summary>
    /// Sets how publishing writes the mesh for Kubernetes (flavour, namespace, images, replicas, the gateway's Service
    /// type). Configuration keys <c>Mesh:Kubernetes:*</c> and <c>--mesh istio</c> given at publish time win.
    /// </summary>
    public static IResourceBuilder<MeshControlPlaneResource> WithKubernetes(
        this IResourceBuilder<MeshControlPlaneResource> controlPlane, Func<MeshDev.Hosting.Kubernetes.KubernetesOptions, MeshDev.Hosting.Kubernetes.KubernetesOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(controlPlane);
        ArgumentNullException.ThrowIfNull(configure);
        var options = configure(controlPlane.Resource.KubernetesOptions);
        options.Validate();
        controlPlane.Resource.KubernetesOptions = options;
        return controlPlane;
    }

    internal static string Env(string key) => MeshEnvironment.ToEnvironmentVariable(key);
}
