using Aspire.Hosting.ApplicationModel;

namespace MeshDev.Hosting;

/// <summary>The ingress gateway: the mesh proxy in gateway mode, the way into the mesh from outside.</summary>
public sealed class MeshGatewayResource(string name, string command, string workingDirectory, MeshControlPlaneResource controlPlane)
    : ExecutableResource(name, command, workingDirectory)
{
    public const string HttpEndpointName = "http";
    public const string AdminEndpointName = "admin";

    public MeshControlPlaneResource ControlPlane { get; } = controlPlane;
}
