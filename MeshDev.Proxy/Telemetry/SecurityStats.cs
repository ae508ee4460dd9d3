using System.Collections.Concurrent;

namespace MeshDev.Proxy.Telemetry;

/// <summary>
/// Envoy's jwt_authn and rbac filter stats for one listener (&lt;prefix&gt;jwt_authn.allowed|denied,
/// &lt;prefix&gt;rbac.allowed|denied), and per DENY policy rbac.policy.&lt;namespace&gt;.&lt;name&gt;.denied.
/// </summary>
public sealed class SecurityStats
{
    private readonly StatsRegistry _registry;
    private readonly (string Key, string Value) _scope;
    private readonly ConcurrentDictionary<string, Counter> _policies = new(StringComparer.Ordinal);

    /// <param name="prefix">"inbound.&lt;service&gt;." for a sidecar, "gateway." for the gateway.</param>
    public SecurityStats(StatsRegistry registry, string prefix, string listener)
    {
        _registry = registry;
        _scope = ("listener", listener);
        JwtAllowed = registry.Counter(StatName.Of(prefix + "jwt_authn.allowed", "meshdev_jwt_authn_allowed", _scope));
        JwtDenied = registry.Counter(StatName.Of(prefix + "jwt_authn.denied", "meshdev_jwt_authn_denied", _scope));
        RbacAllowed = registry.Counter(StatName.Of(prefix + "rbac.allowed", "meshdev_rbac_allowed", _scope));
        RbacDenied = registry.Counter(StatName.Of(prefix + "rbac.denied", "meshdev_rbac_denied", _scope));
    }

    public Counter JwtAllowed { get; }
    public Counter JwtDenied { get; }
    public Counter RbacAllowed { get; }
    public Counter RbacDenied { get; }

    /// <param name="policyId">"&lt;namespace&gt;.&lt;name&gt;".</param>
    public Counter PolicyDenied(string policyId) => _policies.GetOrAdd(policyId, id =>
        _registry.Counter(StatName.Of($"rbac.policy.{id}.denied", "meshdev_rbac_policy_denied", _scope, ("policy", id))));
}
