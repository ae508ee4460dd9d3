using MeshDev.Core.Discovery;

namespace MeshDev.Proxy.Inbound.Authorization;

/// <summary>The outcome of authorization: allowed or not, which policy denied, and the AUDIT policies that matched.</summary>
public sealed record AuthorizationDecision(bool Allowed, CompiledAuthorizationPolicy? DeniedBy, IReadOnlyList<CompiledAuthorizationPolicy> Audited)
{
    public static readonly AuthorizationDecision AllowedWithoutPolicies = new(true, null, []);
}

/// <summary>
/// Istio's evaluation order over the policies that select a workload: AUDIT policies only record a match; a
/// matching DENY policy denies; with no ALLOW policy the request is allowed; otherwise some ALLOW policy must match.
/// </summary>
public sealed class AuthorizationEngine
{
    public static readonly AuthorizationEngine Empty = new([]);

    private readonly CompiledAuthorizationPolicy[] _audit;
    private readonly CompiledAuthorizationPolicy[] _deny;
    private readonly CompiledAuthorizationPolicy[] _allow;

    public AuthorizationEngine(IEnumerable<CompiledAuthorizationPolicy> policies)
    {
        var all = policies.ToArray();
        _audit = all.Where(p => p.Action == AuthorizationAction.Audit).ToArray();
        _deny = all.Where(p => p.Action == AuthorizationAction.Deny).ToArray();
        _allow = all.Where(p => p.Action == AuthorizationAction.Allow).ToArray();
    }

    public bool HasPolicies => _audit.Length + _deny.Length + _allow.Length > 0;

    public AuthorizationDecision Evaluate(AuthorizationRequest request)
    {
        var audited = _audit.Length == 0 ? [] : _audit.Where(p => p.Matches(request)).ToArray();
        foreach (var deny in _deny)
        {
            if (deny.Matches(request))
            {
                return new AuthorizationDecision(false, deny, audited);
            }
        }

        if (_allow.Length == 0 || _allow.Any(p => p.Matches(request)))
        {
            return audited.Length == 0 ? AuthorizationDecision.AllowedWithoutPolicies : new AuthorizationDecision(true, null, audited);
        }

        return new AuthorizationDecision(false, null, audited);
    }
}
