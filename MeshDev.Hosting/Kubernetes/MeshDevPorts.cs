namespace MeshDev.Hosting.Kubernetes;

/// <summary>
/// Fixed ports inside a pod, where nothing else competes for them (Istio's numbers where Istio has one): the app
/// listens on loopback only, and its sidecar is the pod's way in.
/// </summary>
internal static class MeshDevPorts
{
    public const int App = 8080;
    public const int ProxyAdmin = 15000;
    public const int ProxyInbound = 15006;
    public const int ProxyHealth = 15021;
    /// <summary>The first outbound listener; one per upstream service in ordinal order of their names.</summary>
    public const int FirstOutbound = 15101;
    public const int ControlPlaneHttp = 15080;
    public const int ControlPlaneGrpc = 15012;
    public const int Gateway = 8080;

    public const string HealthPortName = "health";
    public const string ReadyPath = "/healthz/ready";
    public const string StartedPath = "/healthz/started";
}
