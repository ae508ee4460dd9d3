using Aspire.Hosting.ApplicationModel;

namespace MeshDev.Hosting;

/// <summary>
/// The sidecar proxy of one app: its inbound listener is the app's address in the mesh, and one loopback outbound
/// listener per mesh service the app calls takes the app's requests to that service.
/// </summary>
public sealed class MeshSidecarResource(
    string name,
    string command,
    string workingDirectory,
    IResourceWithEndpoints app,
    MeshControlPlaneResource controlPlane,
    string service,
    IReadOnlyDictionary<string, string> labels,
    MeshProtocol protocol,
    int servicePort,
    Core.Identity.SpiffeId identity)
    : ExecutableResource(name, command, workingDirectory)
{
    public const string InboundEndpointName = "inbound";
    public const string AdminEndpointName = "admin";
    private const string OutboundEndpointPrefix = "outbound-";

    /// <summary>The app this sidecar stands beside.</summary>
    public IResourceWithEndpoints App { get; } = app;

    public MeshControlPlaneResource ControlPlane { get; } = controlPlane;

    /// <summary>Mesh service the app belongs to (several apps can share one, e.g. reviews-v1..v3 in "reviews").</summary>
    public string Service { get; } = service;

    public IReadOnlyDictionary<string, string> Labels { get; } = labels;

    public MeshProtocol Protocol { get; } = protocol;

    /// <summary>The service port as Istio's config names it (9080 for Bookinfo), not the port allocated locally.</summary>
    public int ServicePort { get; } = servicePort;

    /// <summary>The workload identity the sidecar's certificate carries, spiffe://&lt;trust domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service account&gt;.</summary>
    public Core.Identity.SpiffeId Identity { get; } = identity;

    /// <summary>Upstream mesh services this sidecar opens an outbound listener for, and their protocols.</summary>
    internal SortedDictionary<string, MeshProtocol> Upstreams { get; } = new(StringComparer.Ordinal);

    public static string OutboundEndpointName(string upstreamService) => OutboundEndpointPrefix + upstreamService;
}
