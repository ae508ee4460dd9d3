using MeshDev.ControlPlane.Certificates;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Registry;

namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>
/// Reads what a compile for one proxy takes, at the moment its stream pushes: the config in force, the registry's
/// workloads, the trusted roots and the key sets held for the proxy's jwtRules (asking for those that are due, see
/// <see cref="JwksCache.KeySetsFor"/>).
/// </summary>
public sealed class SnapshotInputsReader(IConfigStore config, IWorkloadRegistry registry, ITrustBundle trustBundle, JwksCache jwks)
{
    public SnapshotInputs Read(Workload proxy)
    {
        var current = config.Current;
        return new SnapshotInputs(current, registry.GetAll())
        {
            TrustBundlePem = trustBundle.RootsPem,
            KeySets = jwks.KeySetsFor(proxy, current),
        };
    }
}
