namespace MeshDev.Hosting.Kubernetes;

/// <summary>
/// The mesh as a deployment sees it, independent of where it was read from (the AppHost's model or
/// aspire-manifest.json): what runs, which identity each workload has and whom it calls. Nothing in it names a port
/// that happened to be allocated on one machine.
/// </summary>
public sealed record MeshTopology(MeshControlPlaneTopology ControlPlane, IReadOnlyList<MeshWorkloadTopology> Workloads, MeshGatewayTopology? Gateway)
{
    /// <summary>Mesh services in ordinal order, each with the workloads that are its instances.</summary>
    public IEnumerable<IGrouping<string, MeshWorkloadTopology>> Services =>
        Workloads.GroupBy(w => w.Service, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal);
}

/// <param name="ConfigFiles">The mesh config folder's Istio YAML files, by file name, as bytes (copied unchanged).</param>
public sealed record MeshControlPlaneTopology(
    string Name,
    string Namespace,
    string TrustDomain,
    IReadOnlyList<MeshConfigFile> ConfigFiles);

public sealed record MeshConfigFile(string Name, byte[] Content);

/// <summary>One workload (a Deployment): an app and its sidecar, an instance of a mesh service.</summary>
/// <param name="Name">The app's resource name, e.g. reviews-v2; the Deployment's name.</param>
/// <param name="Image">The image that runs the app.</param>
/// <param name="Upstreams">Mesh services the app calls, ordinal order, with their protocols and service ports.</param>
/// <param name="Environment">The app's own settings (not the ones Aspire or the mesh derive), ordinal order.</param>
public sealed record MeshWorkloadTopology(
    string Name,
    WorkloadImage Image,
    string Service,
    IReadOnlyDictionary<string, string> Labels,
    MeshProtocol Protocol,
    int ServicePort,
    string ServiceAccount,
    IReadOnlyList<MeshUpstream> Upstreams,
    IReadOnlyList<KeyValuePair<string, string>> Environment);

public sealed record MeshUpstream(string Service, MeshProtocol Protocol, int ServicePort);

public sealed record MeshGatewayTopology(string Name, string Namespace, string ServiceAccount, int ServicePort);

/// <summary>
/// A project's image is MeshDev's to name: the project's name in lower case (Bookinfo.Reviews: bookinfo-reviews),
/// under the output's registry and tag. A container keeps the image reference the AppHost gives it.
/// </summary>
public sealed record WorkloadImage(string Reference, bool IsProject)
{
    public static WorkloadImage FromProjectPath(string projectPath) =>
        new(Path.GetFileNameWithoutExtension(projectPath.Replace('\\', '/')).ToLowerInvariant().Replace('.', '-'), IsProject: true);

    public static WorkloadImage Container(string reference) => new(reference, IsProject: false);
}
