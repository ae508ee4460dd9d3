using Aspire.Hosting.ApplicationModel;

namespace MeshDev.Hosting;

/// <summary>
/// The MeshDev control plane: registry, config push to every proxy, and the mesh dashboard with its HTTP API.
/// </summary>
public sealed class MeshControlPlaneResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory)
{
    /// <summary>Endpoint of the dashboard and HTTP API.</summary>
    public const string HttpEndpointName = "http";

    /// <summary>Endpoint of the gRPC stream that pushes config to proxies.</summary>
    public const string GrpcEndpointName = "grpc";

    public const int DefaultHttpPort = 15080;

    public string Namespace { get; set; } = Core.MeshEnvironment.DefaultNamespace;

    /// <summary>
    /// Folder of Istio YAML files the control plane loads and watches, relative to the AppHost's directory (where
    /// the control plane runs), or null for none.
    /// </summary>
    public string? ConfigDirectory { get; internal set; }

    public EndpointReference HttpEndpoint => this.GetEndpoint(HttpEndpointName);

    public EndpointReference GrpcEndpoint => this.GetEndpoint(GrpcEndpointName);

    /// <summary>Every sidecar in the mesh, by the mesh service it belongs to.</summary>
    internal List<MeshSidecarResource> Sidecars { get; } = [];

    /// <summary>What the dashboard's mesh traffic buttons have applied, per service.</summary>
    internal TrafficCommandState TrafficCommandState { get; } = new();
}
