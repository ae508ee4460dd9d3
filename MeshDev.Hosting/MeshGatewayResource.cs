using Aspire.Hosting.ApplicationModel;

namespace MeshDev.Hosting;

/// <summary>The ingress gateway: the mesh proxy in gateway mode, the way into the mesh from outside.</summary>
public sealed class MeshGatewayResource(
    string name, string command, string workingDirectory, MeshControlPlaneResource controlPlane, Core.Identity.SpiffeId identity)
    : ExecutableResource(name, command, workingDirectory)
{
    /// <summary>Istio's ingress gateway runs in the root namespace under this service account.</summary>
    public const string DefaultNamespace = "istio-system";
    public const string DefaultServiceAccount = "istio-ingressgateway-service-account";

    public const string HttpEndpointName = "http";
    public const string AdminEndpointName = "admin";

    public MeshControlPlaneResource ControlPlane { get; } = controlPlane;

    /// <summary>The gateway's workload identity: spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account unless set.</summary>
    public Core.Identity.SpiffeId Identity { get; } = identity;

    /// <summary>The gateway's port as Istio Gateway resources name it (80 unless set), whatever port it binds.</summary>
    public int ServicePort { get; internal set; } = 80;
}
