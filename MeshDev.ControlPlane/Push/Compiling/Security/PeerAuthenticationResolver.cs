using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config.Security;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Compiling.Security;

/// <summary>
/// The effective PeerAuthentication of a workload, resolved as Istio does: the workload-specific policy (selector,
/// same namespace) over the namespace-wide one over the mesh-wide one in the root namespace; UNSET (or no mtls)
/// inherits from the next scope out, and PERMISSIVE is the default. Of several policies at one scope, the oldest
/// wins. portLevelMtls comes from the workload-specific policy; an UNSET port inherits the workload's mode.
/// </summary>
public static class PeerAuthenticationResolver
{
    public static (MtlsMode Mode, IReadOnlyDictionary<uint, MtlsMode> Ports) Resolve(Workload workload, MeshConfig config)
    {
        PeerAuthenticationResource? workloadPolicy = null, namespacePolicy = null, meshPolicy = null;
        // Config order is creation order: the first of a scope is the oldest.
        foreach (var policy in config.OfKind<PeerAuthenticationResource>())
        {
            var ns = policy.Metadata.Namespace;
            if (!PolicyScope.HasSelector(policy.Spec.Selector))
            {
                if (ns == SecurityScopes.RootNamespace)
                {
                    meshPolicy ??= policy;
                }
                else if (ns == workload.Namespace)
                {
                    namespacePolicy ??= policy;
                }
            }
            // Istio ignores selector policies in the root namespace for workloads elsewhere.
            else if (ns == workload.Namespace && policy.Spec.Selector!.Matches(workload.Labels))
            {
                workloadPolicy ??= policy;
            }
        }

        var inherited = Mode(namespacePolicy?.Spec.Mtls?.Mode) ?? Mode(meshPolicy?.Spec.Mtls?.Mode) ?? MtlsMode.Permissive;
        var mode = Mode(workloadPolicy?.Spec.Mtls?.Mode) ?? inherited;
        var ports = new SortedDictionary<uint, MtlsMode>();
        foreach (var (port, mtls) in workloadPolicy?.Spec.PortLevelMtls ?? new Dictionary<string, MtlsSpec>())
        {
            if (uint.TryParse(port, out var number))
            {
                ports[number] = Mode(mtls.Mode) ?? mode;
            }
        }

        return (mode, ports);
    }

    /// <summary>Null for UNSET (or absent): the next scope out decides.</summary>
    public static MtlsMode? Mode(string? mode) => mode switch
    {
        "STRICT" => MtlsMode.Strict,
        "PERMISSIVE" => MtlsMode.Permissive,
        "DISABLE" => MtlsMode.Disable,
        _ => null,
    };
}
