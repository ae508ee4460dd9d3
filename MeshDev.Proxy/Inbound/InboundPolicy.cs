using System.Collections.Frozen;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Inbound.Authentication;
using MeshDev.Proxy.Inbound.Authorization;

namespace MeshDev.Proxy.Inbound;

/// <summary>
/// A snapshot's InboundSecurity, compiled: the PeerAuthentication mode (enforced by the TLS layer of the inbound
/// listener), the JWT rules and the authorization policies that every request to this proxy's listener passes.
/// </summary>
public sealed class InboundPolicy
{
    public static readonly InboundPolicy None = new(MtlsMode.Unspecified, FrozenDictionary<uint, MtlsMode>.Empty, JwtAuthenticator.Empty, AuthorizationEngine.Empty, []);

    private InboundPolicy(MtlsMode mode, FrozenDictionary<uint, MtlsMode> portModes, JwtAuthenticator jwt, AuthorizationEngine authorization,
        IReadOnlyList<CompiledAuthorizationPolicy> policies)
    {
        MtlsMode = mode;
        PortMtls = portModes;
        Jwt = jwt;
        Authorization = authorization;
        Policies = policies;
    }

    /// <summary>Unspecified means PERMISSIVE, Istio's default.</summary>
    public MtlsMode MtlsMode { get; }
    public FrozenDictionary<uint, MtlsMode> PortMtls { get; }
    public JwtAuthenticator Jwt { get; }
    public AuthorizationEngine Authorization { get; }
    public IReadOnlyList<CompiledAuthorizationPolicy> Policies { get; }

    /// <summary>True when a request must pass JWT authentication or authorization.</summary>
    public bool Enforces => Jwt.HasRules || Authorization.HasPolicies;

    /// <summary>The mode for a service port: its portLevelMtls if any, else the workload's.</summary>
    public MtlsMode ModeFor(uint servicePort) => PortMtls.TryGetValue(servicePort, out var mode) ? mode : MtlsMode;

    /// <exception cref="Routing.InvalidSnapshotException">A policy holds a value the control plane should have refused.</exception>
    public static InboundPolicy Compile(InboundSecurity? security)
    {
        if (security is null)
        {
            return None;
        }

        var policies = security.AuthorizationPolicies.Select(CompiledAuthorizationPolicy.Compile).ToArray();
        return new InboundPolicy(
            security.MtlsMode,
            security.PortMtls.ToFrozenDictionary(),
            new JwtAuthenticator(security.JwtRules.Select(CompiledJwtRule.Compile)),
            new AuthorizationEngine(policies),
            policies);
    }
}
