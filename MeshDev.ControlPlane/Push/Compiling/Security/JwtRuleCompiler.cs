using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config.Security;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Compiling.Security;

/// <summary>
/// The jwtRules of the RequestAuthentications that reach a workload, with jwksUri resolved to the key set by the
/// control plane (the key sets fetched so far come in with the other inputs of the compile). A key set not fetched
/// (yet) is sent empty: tokens of that issuer then fail verification
/// (401), which is what Istio does, rather than being let through unchecked.
/// </summary>
public static class JwtRuleCompiler
{
    public static IEnumerable<JwtRule> Compile(Workload workload, MeshConfig config, IReadOnlyDictionary<string, string> keySets)
    {
        foreach (var policy in Reaching(workload, config))
        {
            foreach (var spec in policy.Spec.JwtRules)
            {
                var rule = new JwtRule
                {
                    Issuer = spec.Issuer ?? "",
                    Jwks = spec.Jwks ?? (spec.JwksUri is { } uri ? keySets.GetValueOrDefault(uri, "") : ""),
                    JwksUri = spec.JwksUri ?? "",
                    ForwardOriginalToken = spec.ForwardOriginalToken ?? false,
                    OutputPayloadToHeader = spec.OutputPayloadToHeader ?? "",
                    Source = $"{policy.Metadata.Namespace}/{policy.Metadata.Name}",
                };
                rule.Audiences.AddRange(spec.Audiences);
                rule.FromHeaders.AddRange(spec.FromHeaders.Select(h => new JwtHeader { Name = h.Name ?? "", Prefix = h.Prefix ?? "" }));
                rule.FromParams.AddRange(spec.FromParams);
                yield return rule;
            }
        }
    }

    /// <summary>The jwksUris whose key sets <paramref name="workload"/>'s snapshot carries (rules with inline keys need none).</summary>
    public static IEnumerable<(string Uri, TimeSpan? Timeout)> KeySetUris(Workload workload, MeshConfig config) =>
        Reaching(workload, config).SelectMany(p => p.Spec.JwtRules)
            .Where(r => r.Jwks is null && r.JwksUri is not null)
            .Select(r => (r.JwksUri!, r.Timeout));

    private static IEnumerable<RequestAuthenticationResource> Reaching(Workload workload, MeshConfig config) =>
        config.OfKind<RequestAuthenticationResource>()
            .Where(p => PolicyScope.Reaches(p.Metadata.Namespace, p.Spec.Selector, workload))
            .OrderBy(p => p.Metadata.Namespace, StringComparer.Ordinal).ThenBy(p => p.Metadata.Name, StringComparer.Ordinal);
}
