using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace MeshDev.Hosting.Kubernetes;

/// <summary>Reads the mesh from the AppHost's application model, as the publish step sees it.</summary>
internal static class AppModelTopologyReader
{
    public static async Task<MeshTopology> ReadAsync(
        DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, string appHostDirectory, CancellationToken cancellationToken)
    {
        var controlPlane = model.Resources.OfType<MeshControlPlaneResource>().SingleOrDefault()
            ?? throw new DistributedApplicationException("The application has no mesh control plane; there is no mesh to write Kubernetes objects for.");

        var workloads = new List<MeshWorkloadTopology>();
        foreach (var sidecar in controlPlane.Sidecars)
        {
            var upstreams = sidecar.Upstreams
                .Select(upstream => new MeshUpstream(upstream.Key, upstream.Value, ServicePortOf(controlPlane, upstream.Key)))
                .ToList();
            var environment = await AppEnvironmentAsync(sidecar.App, executionContext, cancellationToken).ConfigureAwait(false);
            workloads.Add(new MeshWorkloadTopology(
                sidecar.App.Name, ImageOf(sidecar.App), sidecar.Service, sidecar.Labels, sidecar.Protocol, sidecar.ServicePort,
                sidecar.Identity.ServiceAccount, upstreams, environment));
        }

        var gateway = model.Resources.OfType<MeshGatewayResource>().SingleOrDefault() is { } g
            ? new MeshGatewayTopology(g.Name, g.Identity.Namespace, g.Identity.ServiceAccount, g.ServicePort)
            : null;

        return new MeshTopology(
            new MeshControlPlaneTopology(controlPlane.Name, controlPlane.Namespace, controlPlane.TrustDomain,
                MeshConfigFolder.Read(controlPlane.ConfigDirectory, appHostDirectory)),
            workloads.OrderBy(w => w.Name, StringComparer.Ordinal).ToList(),
            gateway);
    }

    private static int ServicePortOf(MeshControlPlaneResource controlPlane, string service) =>
        controlPlane.Sidecars.First(sidecar => sidecar.Service == service).ServicePort;

    private static WorkloadImage ImageOf(IResource app) => app switch
    {
        ProjectResource project => WorkloadImage.FromProjectPath(project.GetProjectMetadata().ProjectPath),
        _ when app.TryGetLastAnnotation<ContainerImageAnnotation>(out var image) => WorkloadImage.Container(
            (image.Registry is { Length: > 0 } registry ? $"{registry}/" : "") + image.Image + (image.Tag is { Length: > 0 } tag ? $":{tag}" : "")),
        _ => throw new DistributedApplicationException(
            $"'{app.Name}' is neither a project nor a container; MeshDev cannot say which image runs it on Kubernetes."),
    };

    /// <summary>The app's environment as publishing sees it, keeping the plain values the app itself is configured with.</summary>
    private static async Task<IReadOnlyList<KeyValuePair<string, string>>> AppEnvironmentAsync(
        IResource app, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(executionContext, app, values, cancellationToken);
        foreach (var callback in app.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context).ConfigureAwait(false);
        }
        return AppEnvironment.Select(values
            .Where(pair => pair.Value is string)
            .Select(pair => KeyValuePair.Create(pair.Key, (string)pair.Value)));
    }
}
