using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Registry;

namespace MeshDev.ControlPlane.Push.Compiling;

/// <summary>
/// Everything a snapshot is compiled from, read once before a compile so that one snapshot never mixes two configs
/// or two views of the registry: the config in force, the registry's workloads, the roots every proxy trusts and the
/// JSON Web Key Sets fetched so far (by jwksUri; a URI not here goes out without keys).
/// </summary>
public sealed record SnapshotInputs(MeshConfig Config, IReadOnlyCollection<Workload> Workloads)
{
    private static readonly IReadOnlyDictionary<string, string> NoKeySets = new Dictionary<string, string>(StringComparer.Ordinal);

    public IReadOnlyList<string> TrustBundlePem { get; init; } = [];

    public IReadOnlyDictionary<string, string> KeySets { get; init; } = NoKeySets;
}
