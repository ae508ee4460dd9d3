using MeshDev.Core.Discovery;
using MeshDev.Proxy.Inbound.Authentication;
using MeshDev.Proxy.Inbound.Authorization;

namespace MeshDev.Proxy.Inbound;

/// <summary>
/// A snapshot's InboundSecurity, compiled: the JWT rules and the authorization policies that every request to this
/// proxy's listener passes. The PeerAuthentication mode is a connection's concern, not a request's: the TLS layer of
/// the inbound listener reads it from <see cref="Discovery.TransportSecurity.InboundMode"/>.
/// </summary>
public sealed class InboundPolicy
{
    public static readonly InboundPolicy None = new(JwtAuthenticator.Empty, AuthorizationEngine.Empty, []);

    private InboundPolicy(JwtAuthenticator jwt, AuthorizationEngine authorization, IReadOnlyList<CompiledAuthorizationPolicy> policies)
    {
        Jwt = jwt;
        Authorization = authorization;
        Policies = policies;
    }

    public JwtAuthenticator Jwt { get; }
    public AuthorizationEngine Authorization { get; }
    public IReadOnlyList<CompiledAuthorizationPolicy> Policies { get; }

    /// <summary>True when a request must pass JWT authentication or authorization.</summary>
    public bool Enforces => Jwt.HasRules || Authorization.HasPolicies;

    /// <exception cref="Routing.InvalidSnapshotException">A policy holds a value the control plane should have refused.</exception>
    public static InboundPolicy Compile(InboundSecurity? security)
    {
        if (security is null)
        {
            return None;
        }

        var policies = security.AuthorizationPolicies.Select(CompiledAuthorizationPolicy.Compile).ToArray();
        return new InboundPolicy(
            new JwtAuthenticator(security.JwtRules.Select(CompiledJwtRule.Compile)),
            new AuthorizationEngine(policies),
            policies);
    }
}
