using Aspire.Hosting.ApplicationModel;
using MeshDev.Core;
using MeshDev.Hosting;
using static Aspire.Hosting.MeshControlPlaneBuilderExtensions;

namespace Aspire.Hosting;

/// <summary>Puts apps into the mesh: a sidecar proxy beside each, and mesh references between them.</summary>
public static class MeshSidecarBuilderExtensions
{
    /// <summary>
    /// Gives <paramref name="app"/> a sidecar proxy, nested under it in the dashboard, that makes the app an instance
    /// of the mesh service <paramref name="service"/> (the app's name unless given). Labels such as <c>version</c>
    /// select instances in routing rules; <c>app=&lt;service&gt;</c> is added as in Istio's deployments.
    /// </summary>
    /// <param name="servicePort">The service port as mesh config names it (Istio's Bookinfo uses 9080).</param>
    /// <param name="protocol">The service port's protocol; <see cref="MeshProtocol.Tcp"/> makes the sidecar pipe raw connections.</param>
    /// <param name="appEndpointName">The app's endpoint that the sidecar forwards inbound traffic to (for a TCP app typically "tcp").</param>
    /// <param name="serviceAccount">
    /// The service account the app runs as (the mesh service's name unless given): its identity in the mesh is
    /// <c>spiffe://&lt;trust domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service account&gt;</c>, which mTLS peers see and policies name.
    /// </param>
    public static IResourceBuilder<T> WithMeshSidecar<T>(
        this IResourceBuilder<T> app,
        IResourceBuilder<MeshControlPlaneResource> mesh,
        string? service = null,
        IReadOnlyDictionary<string, string>? labels = null,
        MeshProtocol protocol = MeshProtocol.Http,
        int servicePort = 80,
        string appEndpointName = "http",
        string? serviceAccount = null)
        where T : IResourceWithEndpoints, IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(mesh);
        if (FindSidecar(app.ApplicationBuilder, app.Resource) is { } existing)
        {
            throw new DistributedApplicationException(
                $"'{app.Resource.Name}' already has the mesh sidecar '{existing.Name}'; an app has one sidecar.");
        }
        if (servicePort is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(servicePort), servicePort, $"The service port of '{app.Resource.Name}' must be 1-65535.");
        }

        service ??= app.Resource.Name;
        if (mesh.Resource.Sidecars.FirstOrDefault(other => other.Service == service && other.Protocol != protocol) is { } sibling)
        {
            throw new DistributedApplicationException(
                $"'{app.Resource.Name}' joins mesh service '{service}' speaking {protocol}, but its instance '{sibling.App.Name}' speaks " +
                $"{sibling.Protocol}; all instances of a service share one protocol.");
        }
        var allLabels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["app"] = service };
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            allLabels[key] = value;
        }

        // In the mesh the app is reached through its sidecar, so its own port is private; a fixed port from a launch
        // profile would only make instances of one project (reviews-v1, -v2, -v3) collide on it.
        app.WithEndpoint(appEndpointName, endpoint => endpoint.Port = null, createIfNotExists: false);
        var appEndpoint = app.Resource.GetEndpoint(appEndpointName);
        var sidecarName = MeshWorkloads.SidecarProxyId(app.Resource.Name);
        var identity = MeshIdentity.For(mesh.Resource, mesh.Resource.Namespace, serviceAccount ?? service, sidecarName);
        var sidecar = new MeshSidecarResource(
            sidecarName, MeshBinaries.DotnetHost, app.ApplicationBuilder.AppHostDirectory,
            app.Resource, mesh.Resource, service, allLabels, protocol, servicePort, identity);
        mesh.Resource.Sidecars.Add(sidecar);

        app.ApplicationBuilder.AddResource(sidecar)
            .WithArgs(context => context.Args.Add(MeshBinaries.ProxyAssembly))
            .WithEndpoint(name: MeshSidecarResource.InboundEndpointName, scheme: protocol.ToEndpointScheme())
            .WithHttpEndpoint(name: MeshSidecarResource.AdminEndpointName)
            .WithEnvironment(context =>
            {
                var env = context.EnvironmentVariables;
                env[Env(MeshEnvironment.Proxy.Mode)] = "sidecar";
                env[Env(MeshEnvironment.Proxy.ProxyId)] = sidecar.Name;
                env[Env(MeshEnvironment.Proxy.Workload)] = app.Resource.Name;
                env[Env(MeshEnvironment.Proxy.Service)] = sidecar.Service;
                env[Env(MeshEnvironment.Proxy.Namespace)] = mesh.Resource.Namespace;
                foreach (var (key, value) in sidecar.Labels)
                {
                    env[Env($"{MeshEnvironment.Proxy.Labels}:{key}")] = value;
                }
                env[Env(MeshEnvironment.Proxy.ControlPlaneAddress)] = mesh.Resource.GrpcEndpoint;
                env[Env(MeshEnvironment.Proxy.InboundPort)] = sidecar.GetEndpoint(MeshSidecarResource.InboundEndpointName).Property(EndpointProperty.TargetPort);
                env[Env(MeshEnvironment.Proxy.ServicePort)] = sidecar.ServicePort.ToString(System.Globalization.CultureInfo.InvariantCulture);
                env[Env(MeshEnvironment.Proxy.InboundProtocol)] = sidecar.Protocol.ToConfigValue();
                env[Env(MeshEnvironment.Proxy.AppAddress)] = appEndpoint;
                env[Env(MeshEnvironment.Proxy.AdminPort)] = sidecar.GetEndpoint(MeshSidecarResource.AdminEndpointName).Property(EndpointProperty.TargetPort);
                foreach (var (upstream, upstreamProtocol) in sidecar.Upstreams)
                {
                    var outbound = sidecar.GetEndpoint(MeshSidecarResource.OutboundEndpointName(upstream));
                    env[Env($"{MeshEnvironment.Proxy.Outbound}:{upstream}:Port")] = outbound.Property(EndpointProperty.TargetPort);
                    env[Env($"{MeshEnvironment.Proxy.Outbound}:{upstream}:Protocol")] = upstreamProtocol.ToConfigValue();
                }
            })
            .WithEnvironment(context => MeshIdentity.AddEnvironmentAsync(context, mesh.Resource, sidecar.Identity))
            // Istio's standard metrics and the proxy's spans go to the Aspire dashboard with the apps' own telemetry.
            .WithOtlpExporter()
            .WithParentRelationship(app.Resource)
            .WithHttpHealthCheck("/ready", endpointName: MeshSidecarResource.AdminEndpointName)
            .WithUrlForEndpoint(MeshSidecarResource.AdminEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithUrlForEndpoint(MeshSidecarResource.InboundEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithIconName("ArrowSwap")
            .WaitFor(mesh)
            .WithManifestPublishingCallback(context => MeshManifest.WriteSidecarAsync(context, sidecar));
        MeshTrafficCommands.Add(app, sidecar);

        return app;
    }

    /// <summary>
    /// Lets <paramref name="app"/> call <paramref name="target"/>'s mesh service through the mesh: the app's service
    /// discovery entry for that service (<c>http://&lt;service&gt;</c>) points at its own sidecar's outbound listener,
    /// which load-balances over every healthy instance of the service. Both must already be in the mesh.
    /// </summary>
    public static IResourceBuilder<T> WithMeshReference<T>(this IResourceBuilder<T> app, IResourceBuilder<IResourceWithEndpoints> target)
        where T : IResourceWithEndpoints, IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(target);

        var sidecar = FindSidecar(app.ApplicationBuilder, app.Resource)
            ?? throw new DistributedApplicationException(
                $"'{app.Resource.Name}' references '{target.Resource.Name}' through the mesh, but '{app.Resource.Name}' is not in the mesh: " +
                $"call WithMeshSidecar on '{app.Resource.Name}' before WithMeshReference.");
        var targetSidecar = FindSidecar(app.ApplicationBuilder, target.Resource)
            ?? throw new DistributedApplicationException(
                $"'{app.Resource.Name}' references '{target.Resource.Name}' through the mesh, but '{target.Resource.Name}' is not in the mesh: " +
                $"call WithMeshSidecar on '{target.Resource.Name}' first, or use WithReference for a resource outside the mesh.");
        if (!ReferenceEquals(sidecar.ControlPlane, targetSidecar.ControlPlane))
        {
            throw new DistributedApplicationException(
                $"'{app.Resource.Name}' and '{target.Resource.Name}' belong to different meshes.");
        }

        var service = targetSidecar.Service;
        if (sidecar.Upstreams.TryAdd(service, targetSidecar.Protocol))
        {
            var outboundName = MeshSidecarResource.OutboundEndpointName(service);
            var scheme = targetSidecar.Protocol.ToEndpointScheme();
            app.ApplicationBuilder.CreateResourceBuilder(sidecar)
                .WithEndpoint(name: outboundName, scheme: scheme)
                .WithUrlForEndpoint(outboundName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly);
            // The app resolves http://<service> (a TCP service: services:<service>:tcp:0) the way it always does; the
            // answer is its own sidecar.
            app.WithEnvironment($"services__{service}__{scheme}__0", sidecar.GetEndpoint(outboundName));
        }
        return app;
    }

    internal static MeshSidecarResource? FindSidecar(IDistributedApplicationBuilder builder, IResource app) =>
        builder.Resources.OfType<MeshSidecarResource>().FirstOrDefault(sidecar => ReferenceEquals(sidecar.App, app));
}
