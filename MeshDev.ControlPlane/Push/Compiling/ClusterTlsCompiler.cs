using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Compiling;

/// <summary>
/// A cluster's TLS mode from its DestinationRule's trafficPolicy.tls. No setting leaves it absent, which the proxy
/// reads as auto mTLS (Istio's default: mutual TLS to endpoints that have a sidecar).
/// </summary>
public static class ClusterTlsCompiler
{
    public static ClusterTls? Compile(TrafficPolicySpec? policy) => policy?.Tls?.EffectiveMode switch
    {
        ClientTlsSettingsSpec.Disable => new ClusterTls { Mode = ClusterTlsMode.Disable },
        ClientTlsSettingsSpec.IstioMutual => new ClusterTls { Mode = ClusterTlsMode.IstioMutual },
        // SIMPLE and MUTUAL never get here: the validator refuses them.
        _ => null,
    };
}
