using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config.Security;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Compiling.Security;

/// <summary>
/// The AuthorizationPolicies that reach a workload (see <see cref="PolicyScope"/>), as the snapshot carries them.
/// serviceAccounts become principals here ("ns/sa" is any trust domain's ".../ns/ns/sa/sa"), so the proxy matches
/// one form of peer identity.
/// </summary>
public static class AuthorizationPolicyCompiler
{
    public static IEnumerable<AuthorizationRule> Compile(Workload workload, MeshConfig config) =>
        config.OfKind<AuthorizationPolicyResource>()
            .Where(p => PolicyScope.Reaches(p.Metadata.Namespace, p.Spec.Selector, workload))
            .OrderBy(p => p.Metadata.Namespace, StringComparer.Ordinal).ThenBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .Select(Compile);

    public static AuthorizationRule Compile(AuthorizationPolicyResource policy)
    {
        var compiled = new AuthorizationRule
        {
            Name = policy.Metadata.Name,
            Namespace = policy.Metadata.Namespace,
            Action = policy.Spec.EffectiveAction switch
            {
                "DENY" => AuthorizationAction.Deny,
                "AUDIT" => AuthorizationAction.Audit,
                _ => AuthorizationAction.Allow,
            },
        };

        foreach (var rule in policy.Spec.Rules)
        {
            var compiledRule = new AuthorizationPolicyRule();
            compiledRule.From.AddRange(rule.From.Where(f => f.Source is not null).Select(f => Source(f.Source!, policy.Metadata.Namespace)));
            compiledRule.To.AddRange(rule.To.Where(t => t.Operation is not null).Select(t => Operation(t.Operation!)));
            foreach (var condition in rule.When)
            {
                var compiledCondition = new AuthorizationCondition { Key = condition.Key ?? "" };
                compiledCondition.Values.AddRange(condition.Values);
                compiledCondition.NotValues.AddRange(condition.NotValues);
                compiledRule.When.Add(compiledCondition);
            }

            compiled.Rules.Add(compiledRule);
        }

        return compiled;
    }

    private static AuthorizationSource Source(SourceSpec spec, string policyNamespace)
    {
        var source = new AuthorizationSource();
        source.Principals.AddRange(spec.Principals.Concat(spec.ServiceAccounts.Select(sa => ServiceAccountPrincipal(sa, policyNamespace))));
        source.NotPrincipals.AddRange(spec.NotPrincipals.Concat(spec.NotServiceAccounts.Select(sa => ServiceAccountPrincipal(sa, policyNamespace))));
        source.RequestPrincipals.AddRange(spec.RequestPrincipals);
        source.NotRequestPrincipals.AddRange(spec.NotRequestPrincipals);
        source.Namespaces.AddRange(spec.Namespaces);
        source.NotNamespaces.AddRange(spec.NotNamespaces);
        source.IpBlocks.AddRange(spec.IpBlocks);
        source.NotIpBlocks.AddRange(spec.NotIpBlocks);
        source.RemoteIpBlocks.AddRange(spec.RemoteIpBlocks);
        source.NotRemoteIpBlocks.AddRange(spec.NotRemoteIpBlocks);
        return source;
    }

    /// <summary>"ns/sa" (or "sa", in the policy's namespace) as a principal suffix pattern that ignores the trust domain.</summary>
    public static string ServiceAccountPrincipal(string serviceAccount, string policyNamespace)
    {
        var slash = serviceAccount.IndexOf('/');
        var (ns, sa) = slash < 0 ? (policyNamespace, serviceAccount) : (serviceAccount[..slash], serviceAccount[(slash + 1)..]);
        return $"*/ns/{ns}/sa/{sa}";
    }

    private static AuthorizationOperation Operation(OperationSpec spec)
    {
        var operation = new AuthorizationOperation();
        operation.Hosts.AddRange(spec.Hosts);
        operation.NotHosts.AddRange(spec.NotHosts);
        operation.Ports.AddRange(spec.Ports);
        operation.NotPorts.AddRange(spec.NotPorts);
        operation.Methods.AddRange(spec.Methods);
        operation.NotMethods.AddRange(spec.NotMethods);
        operation.Paths.AddRange(spec.Paths);
        operation.NotPaths.AddRange(spec.NotPaths);
        return operation;
    }
}
