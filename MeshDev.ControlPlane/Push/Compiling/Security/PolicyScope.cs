using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config.Security;

namespace MeshDev.ControlPlane.Push.Compiling.Security;

/// <summary>
/// Which security policies reach a workload, as Istio decides it: a policy in the workload's namespace or in the
/// root namespace (istio-system), whose selector (if any) the workload's labels satisfy. So a root-namespace policy
/// without selector is mesh-wide, and a namespace policy without selector covers its namespace.
/// </summary>
public static class PolicyScope
{
    public static bool Reaches(string policyNamespace, WorkloadSelectorSpec? selector, Workload workload) =>
        (policyNamespace == workload.Namespace || policyNamespace == SecurityScopes.RootNamespace)
        && (selector is null || selector.Matches(workload.Labels));

    public static bool HasSelector(WorkloadSelectorSpec? selector) => selector is { MatchLabels.Count: > 0 };
}
