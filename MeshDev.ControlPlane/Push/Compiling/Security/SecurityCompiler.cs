using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Compiling.Security;

/// <summary>
/// A proxy's InboundSecurity: the effective PeerAuthentication (sidecars; a gateway takes plaintext from outside
/// the mesh), and the AuthorizationPolicies and RequestAuthentication jwtRules that select the workload. A gateway
/// is a workload too: istio=ingressgateway policies in its namespace or the root namespace apply to its listener.
/// </summary>
public static class SecurityCompiler
{
    /// <param name="keySets">The JSON Web Key Sets fetched so far, by jwksUri.</param>
    public static InboundSecurity Compile(Workload workload, MeshConfig config, IReadOnlyDictionary<string, string> keySets)
    {
        var security = new InboundSecurity();
        if (workload.IsSidecar)
        {
            var (mode, ports) = PeerAuthenticationResolver.Resolve(workload, config);
            security.MtlsMode = mode;
            foreach (var (port, portMode) in ports)
            {
                security.PortMtls.Add(port, portMode);
            }
        }

        security.AuthorizationPolicies.AddRange(AuthorizationPolicyCompiler.Compile(workload, config));
        security.JwtRules.AddRange(JwtRuleCompiler.Compile(workload, config, keySets));
        return security;
    }
}
